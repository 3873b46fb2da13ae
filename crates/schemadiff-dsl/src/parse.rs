//! Parsing: source text → [`SchemaAst`] plus syntax diagnostics, using the pest grammar.
//!
//! The grammar has catch-all rules, so parsing a file always succeeds; lines that do not parse
//! become error items. For each such line the line is parsed again on its own to find the exact
//! position of the mistake, and pest's expectations are translated into user words.

use crate::ast::*;
use crate::diagnostics::Diagnostic;
use pest::Parser;
use pest::iterators::Pair;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "grammar.pest"]
struct DslParser;

/// Deepest bracket nesting accepted on one line (keeps the recursive parser's stack small).
const MAX_NESTING: usize = 32;

/// Parses a schema file. Never fails: problems are returned as diagnostics.
///
/// Clean files go through the hand-written fast path (`fastparse`); anything it does not accept
/// is parsed with the grammar, which gives the same tree and the detailed syntax errors.
pub fn parse(text: &str) -> (SchemaAst, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let safe = neutralize_deep_nesting(text, &mut diags);
    if let Some(ast) = crate::fastparse::parse(&safe, &mut diags) {
        return (ast, diags);
    }
    parse_with_grammar(&safe, diags)
}

/// The fast path alone: `None` when the file needs the grammar (for differential tests).
#[doc(hidden)]
pub fn parse_fast(text: &str) -> Option<(SchemaAst, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    let safe = neutralize_deep_nesting(text, &mut diags);
    crate::fastparse::parse(&safe, &mut diags).map(|ast| (ast, diags))
}

/// The grammar alone, without the fast path (for differential tests).
#[doc(hidden)]
pub fn parse_slow(text: &str) -> (SchemaAst, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let safe = neutralize_deep_nesting(text, &mut diags);
    parse_with_grammar(&safe, diags)
}

/// A `/*` comment that is never closed swallows the rest of the file: report it, so that
/// the models after it are not lost silently.
fn check_block_comment(pair: &Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) {
    let text = pair.as_str();
    // `/*/` ends with `*/` but that `*` belongs to the opening `/*`: a closed comment is `/*…*/`.
    let closed = text.len() >= 4 && text.ends_with("*/");
    if pair.as_rule() == Rule::block_comment && !closed {
        let start = pair.as_span().start();
        diags.push(
            Diagnostic::error(
                "unterminated-comment",
                Span {
                    start,
                    end: start + 2,
                },
                "this `/*` comment is never closed",
            )
            .with_help("close it with `*/`: everything after it is read as part of the comment"),
        );
    }
}

fn parse_with_grammar(safe: &str, mut diags: Vec<Diagnostic>) -> (SchemaAst, Vec<Diagnostic>) {
    let text = safe;
    let mut ast = SchemaAst::default();
    match DslParser::parse(Rule::schema, safe) {
        Ok(mut pairs) => {
            let Some(schema) = pairs.next() else {
                return (ast, diags);
            };
            let mut last_top_error_line: Option<usize> = None;
            // A newline right after an item only ends its line; a blank line is a newline
            // that follows another newline (or the start of the file).
            let mut at_line_start = true;
            for pair in schema.into_inner() {
                let is_nl = pair.as_rule() == Rule::nl;
                let was_line_start = std::mem::replace(&mut at_line_start, is_nl);
                match pair.as_rule() {
                    Rule::nl if was_line_start => ast.items.push(Top::Blank),
                    Rule::nl => {}
                    Rule::doc_comment | Rule::line_comment | Rule::block_comment => {
                        check_block_comment(&pair, &mut diags);
                        ast.items
                            .push(Top::Comment(pair.as_str().trim_end().to_string()))
                    }
                    Rule::block => ast.items.push(Top::Block(block(pair, text, &mut diags))),
                    Rule::top_error => {
                        let span = span_of(&pair);
                        let line = pair.line_col().0;
                        // A run of adjacent bad lines is one mistake (usually a broken block header).
                        if last_top_error_line != Some(line.wrapping_sub(1)) {
                            diags.push(
                                Diagnostic::error(
                                    "syntax-error",
                                    span,
                                    "this line is not a valid declaration",
                                )
                                .with_help(
                                    "declarations are `model`, `enum`, `datasource` and `generator` blocks, \
                                     written `model Name {` with the opening brace at the end of the line",
                                ),
                            );
                        }
                        last_top_error_line = Some(line);
                        ast.items.push(Top::Error(span));
                    }
                    _ => {}
                }
            }
        }
        Err(e) => {
            let pos = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            diags.push(Diagnostic::error(
                "syntax-error",
                Span::new(pos, pos),
                "the file could not be parsed",
            ));
        }
    }
    (ast, diags)
}

/// Blanks out lines nested too deeply (reported), keeping byte offsets.
fn neutralize_deep_nesting(text: &str, diags: &mut Vec<Diagnostic>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let mut depth = 0usize;
        let mut max = 0usize;
        for c in line.chars() {
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if max > MAX_NESTING {
            let body = line.trim_end_matches(['\n', '\r']);
            diags.push(Diagnostic::error(
                "syntax-error",
                Span::new(offset, offset + body.len()),
                format!("this line nests brackets more than {MAX_NESTING} levels deep"),
            ));
            out.push_str(&"/".repeat(2.min(body.len())));
            out.push_str(&" ".repeat(body.len().saturating_sub(2)));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
        offset += line.len();
    }
    // A "//" comment needs two bytes; a one-byte nested line cannot exist (depth > 32).
    out
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: &Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(pair),
    }
}

fn block(pair: Pair<'_, Rule>, text: &str, diags: &mut Vec<Diagnostic>) -> Block {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let keyword = inner.next().map(|p| ident(&p)).unwrap_or(Ident {
        name: String::new(),
        span,
    });
    let name = inner.next().map(|p| ident(&p)).unwrap_or(Ident {
        name: String::new(),
        span,
    });
    let mut b = Block {
        keyword,
        name,
        header_comment: None,
        members: Vec::new(),
        span,
    };
    let kv_block = matches!(b.keyword.name.as_str(), "datasource" | "generator");
    let mut at_line_start = false;
    for p in inner {
        let is_nl = p.as_rule() == Rule::nl;
        let was_line_start = std::mem::replace(&mut at_line_start, is_nl);
        match p.as_rule() {
            Rule::trailing_comment => b.header_comment = Some(p.as_str().trim_end().to_string()),
            Rule::nl if was_line_start => b.members.push(Member::Blank),
            Rule::nl => {}
            Rule::doc_comment | Rule::line_comment | Rule::block_comment => {
                check_block_comment(&p, diags);
                b.members
                    .push(Member::Comment(p.as_str().trim_end().to_string()))
            }
            Rule::field_line => b.members.push(Member::Field(field(p, diags))),
            Rule::block_attribute_line => {
                let mut it = p.into_inner();
                let attr = it.next().map(|a| attribute(a, diags));
                let comment = it.next().map(|c| c.as_str().trim_end().to_string());
                if let Some(attr) = attr {
                    b.members.push(Member::BlockAttribute(attr, comment));
                }
            }
            Rule::key_value_line => {
                let mut it = p.into_inner();
                let (Some(k), Some(v)) = (it.next(), it.next()) else {
                    continue;
                };
                let comment = it.next().map(|c| c.as_str().trim_end().to_string());
                b.members.push(Member::KeyValue(KeyValue {
                    key: ident(&k),
                    value: expr(v, diags),
                    comment,
                }));
            }
            Rule::error_line => {
                let span = span_of(&p);
                diags.push(line_error(p.as_str(), span.start, kv_block));
                b.members.push(Member::Error(span));
            }
            Rule::missing_close => {
                let at = b.keyword.span;
                diags.push(
                    Diagnostic::error(
                        "unclosed-block",
                        Span::new(at.start, b.name.span.end),
                        format!("this {} block is never closed", b.keyword.name),
                    )
                    .with_help("add a `}` on its own line at the end of the block"),
                );
                let _ = text;
            }
            _ => {}
        }
    }
    b
}

fn field(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Field {
    let mut name = None;
    let mut ty = None;
    let mut attributes = Vec::new();
    let mut comment = None;
    let start = pair.as_span().start();
    let mut end = start;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => {
                end = p.as_span().end();
                name = Some(ident(&p));
            }
            Rule::field_type => {
                end = p.as_span().end();
                ty = Some(field_type(p, diags));
            }
            Rule::field_attribute => {
                end = p.as_span().end();
                attributes.push(attribute(p, diags));
            }
            Rule::trailing_comment => comment = Some(p.as_str().trim_end().to_string()),
            _ => {}
        }
    }
    Field {
        name: name.unwrap_or(Ident {
            name: String::new(),
            span: Span::new(start, start),
        }),
        ty,
        attributes,
        comment,
        span: Span::new(start, end),
    }
}

fn field_type(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> FieldType {
    let span = span_of(&pair);
    let mut name = Ident {
        name: String::new(),
        span,
    };
    let mut unsupported = None;
    let mut modifiers = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::type_name => name = ident(&p),
            Rule::unsupported_type => {
                let s = p.as_span();
                name = Ident {
                    name: "Unsupported".into(),
                    span: Span::new(s.start(), s.start() + "Unsupported".len()),
                };
                unsupported = p
                    .into_inner()
                    .find(|q| q.as_rule() == Rule::string)
                    .map(|q| string_content(&q, diags));
            }
            Rule::type_modifier => {
                let m = if p.as_str() == "?" {
                    TypeModifier::Optional
                } else {
                    TypeModifier::List
                };
                modifiers.push((m, span_of(&p)));
            }
            _ => {}
        }
    }
    FieldType {
        name,
        unsupported,
        modifiers,
        span,
    }
}

fn attribute(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Attribute {
    let span = span_of(&pair);
    let mut name = Ident {
        name: String::new(),
        span,
    };
    let mut args = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::attribute_name => name = ident(&p),
            Rule::arguments => args = Some(arguments(p, diags)),
            _ => {}
        }
    }
    Attribute { name, args, span }
}

fn arguments(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Vec<Argument> {
    pair.into_inner()
        .filter(|p| p.as_rule() == Rule::argument)
        .filter_map(|p| argument(p, diags))
        .collect()
}

fn argument(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Option<Argument> {
    let span = span_of(&pair);
    let mut name = None;
    let mut value = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::argument_name => name = Some(ident(&p)),
            _ => value = Some(expr(p, diags)),
        }
    }
    Some(Argument {
        name,
        value: value?,
        span,
    })
}

/// The diagnostic for an invalid escape sequence at `span`.
pub(crate) fn escape_diagnostic(span: Span, message: String) -> Diagnostic {
    Diagnostic::error("invalid-escape", span, message).with_help(
        "strings use the escapes `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r` and `\\uXXXX`; \
         write a backslash as `\\\\`",
    )
}

/// The content of a string literal as written (escapes kept); invalid escapes are reported.
fn string_content(pair: &Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> String {
    let s = pair.as_str();
    let content = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
    if content.contains('\\')
        && let Err(e) = unescape(content)
    {
        let start = pair.as_span().start() + 1 + e.offset;
        diags.push(escape_diagnostic(
            Span::new(start, start + e.len),
            e.message,
        ));
    }
    content.to_string()
}

fn expr(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Expr {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::string => Expr::String(string_content(&pair, diags), span),
        Rule::number => Expr::Number(pair.as_str().to_string(), span),
        Rule::function_call => {
            let mut it = pair.into_inner();
            let name = it.next().map(|p| ident(&p)).unwrap_or(Ident {
                name: String::new(),
                span,
            });
            let args = it.next().map(|a| arguments(a, diags)).unwrap_or_default();
            Expr::Function(name, args, span)
        }
        Rule::array => Expr::Array(pair.into_inner().map(|p| expr(p, diags)).collect(), span),
        _ => Expr::Constant(pair.as_str().to_string(), span),
    }
}

/// Explains why one line inside a block does not parse, pointing at the first bad character.
fn line_error(line: &str, offset: usize, kv_block: bool) -> Diagnostic {
    let rule = if line.starts_with("@@") {
        Rule::block_attribute_line
    } else if kv_block || line.contains('=') && !line.contains('@') {
        Rule::key_value_line
    } else {
        Rule::field_line
    };
    let what = match rule {
        Rule::block_attribute_line => "block attribute",
        Rule::key_value_line => "setting",
        _ => "field",
    };
    let help = match rule {
        Rule::block_attribute_line => "a block attribute looks like `@@index([a, b])`",
        Rule::key_value_line => "a setting looks like `provider = \"postgresql\"`",
        _ => "a field looks like `name Type @attribute`, one field per line",
    };
    if let Some(open) = unclosed_bracket(line) {
        let c = &line[open..open + 1];
        let close = if c == "(" { ")" } else { "]" };
        return Diagnostic::error(
            "syntax-error",
            Span::new(offset + open, offset + open + 1),
            format!("this `{c}` is never closed"),
        )
        .with_help(format!("add the missing `{close}`; {help}"));
    }
    let (pos, expected) = match DslParser::parse(rule, line) {
        Ok(_) => (0, Vec::new()),
        Err(e) => {
            let pos = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            let expected = match &e.variant {
                pest::error::ErrorVariant::ParsingError { positives, .. } => positives
                    .iter()
                    .filter_map(|r| describe_rule(*r))
                    .collect::<Vec<_>>(),
                pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
            };
            (pos.min(line.len()), expected)
        }
    };
    let found: String = line[pos..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(20)
        .collect();
    let end = if found.is_empty() {
        (pos + line[pos..].chars().next().map_or(0, char::len_utf8)).min(line.len())
    } else {
        pos + found.len()
    };
    let message = if found.is_empty() {
        format!("this {what} is incomplete")
    } else if found.starts_with('"') && !found[1..].contains('"') {
        "this string is never closed".to_string()
    } else {
        format!("unexpected `{found}` in this {what}")
    };
    let mut expected_words: Vec<&str> = Vec::new();
    for e in expected {
        if !expected_words.contains(&e) {
            expected_words.push(e);
        }
    }
    let help = if expected_words.is_empty() {
        help.to_string()
    } else {
        format!("expected {}; {help}", expected_words.join(" or "))
    };
    Diagnostic::error(
        "syntax-error",
        Span::new(offset + pos, offset + end.max(pos)),
        message,
    )
    .with_help(help)
}

/// Rule names in user words (never shown raw).
fn describe_rule(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::field_type | Rule::type_name | Rule::unsupported_type => "a type",
        Rule::type_modifier => "`?` or `[]`",
        Rule::field_attribute => "an attribute such as `@id`",
        Rule::block_attribute => "a block attribute such as `@@index`",
        Rule::attribute_name => "an attribute name",
        Rule::arguments => "`(`",
        Rule::argument | Rule::argument_name => "an argument",
        Rule::function_call | Rule::array | Rule::string | Rule::number | Rule::constant => {
            "a value"
        }
        Rule::string_content => "the rest of the string",
        Rule::trailing_comment => "a comment",
        Rule::ident | Rule::keyword => "a name",
        _ => return None,
    })
}

/// The position of the first `(` or `[` left open on a line (outside strings and comments),
/// when every string on the line is closed.
fn unclosed_bracket(line: &str) -> Option<usize> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'(' | b'[' => stack.push(i),
            b')' | b']' => {
                stack.pop()?;
            }
            _ => {}
        }
    }
    if in_string {
        None
    } else {
        stack.first().copied()
    }
}
