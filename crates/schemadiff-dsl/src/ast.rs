//! The syntax tree of a schema file: blocks, members, attributes and expressions, with spans.
//!
//! The tree keeps comments and blank lines so the formatter can write them back.

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A name with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A whole file.
#[derive(Debug, Clone, Default)]
pub struct SchemaAst {
    /// Top-level items in source order.
    pub items: Vec<Top>,
}

/// A top-level item.
#[derive(Debug, Clone)]
pub enum Top {
    /// A `keyword Name { … }` block.
    Block(Block),
    /// A comment line (`//`, `///` or `/* */`), verbatim.
    Comment(String),
    /// An empty line.
    Blank,
    /// A line that could not be parsed (already reported).
    Error(Span),
}

/// A block: `model`, `enum`, `datasource`, `generator` or an unknown keyword.
#[derive(Debug, Clone)]
pub struct Block {
    /// The keyword (`model`, `enum`, …).
    pub keyword: Ident,
    /// The block's name.
    pub name: Ident,
    /// A comment after the opening brace.
    pub header_comment: Option<String>,
    /// Members in source order.
    pub members: Vec<Member>,
    /// The whole block.
    pub span: Span,
}

/// One line inside a block.
#[derive(Debug, Clone)]
pub enum Member {
    /// A field (model) or value (enum).
    Field(Field),
    /// A block attribute `@@…`.
    BlockAttribute(Attribute, Option<String>),
    /// `key = value` (datasource, generator).
    KeyValue(KeyValue),
    /// A comment line, verbatim.
    Comment(String),
    /// An empty line.
    Blank,
    /// A line that could not be parsed (already reported).
    Error(Span),
}

/// `key = value` inside a datasource or generator.
#[derive(Debug, Clone)]
pub struct KeyValue {
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Expr,
    /// A trailing comment.
    pub comment: Option<String>,
}

/// A field of a model, or a value of an enum (which has no type).
#[derive(Debug, Clone)]
pub struct Field {
    /// The field's name.
    pub name: Ident,
    /// The type, absent on enum values.
    pub ty: Option<FieldType>,
    /// Field attributes in source order.
    pub attributes: Vec<Attribute>,
    /// A trailing comment.
    pub comment: Option<String>,
    /// The whole line (without the trailing comment).
    pub span: Span,
}

/// A field type with its modifiers.
#[derive(Debug, Clone)]
pub struct FieldType {
    /// The type name (`String`, a model, an enum, or `Unsupported`).
    pub name: Ident,
    /// For `Unsupported("…")`, the database type.
    pub unsupported: Option<String>,
    /// `?` and `[]` in order, with their spans.
    pub modifiers: Vec<(TypeModifier, Span)>,
    /// The whole type.
    pub span: Span,
}

impl FieldType {
    /// True when the type ends in `?`.
    pub fn optional(&self) -> bool {
        self.modifiers
            .iter()
            .any(|(m, _)| *m == TypeModifier::Optional)
    }

    /// True when the type has `[]`.
    pub fn list(&self) -> bool {
        self.modifiers.iter().any(|(m, _)| *m == TypeModifier::List)
    }

    /// The type as written, normalized (`String?`, `Tag[]`, `Unsupported("circle")`).
    pub fn text(&self) -> String {
        let mut s = match &self.unsupported {
            Some(u) => format!("Unsupported(\"{u}\")"),
            None => self.name.name.clone(),
        };
        for (m, _) in &self.modifiers {
            s.push_str(match m {
                TypeModifier::Optional => "?",
                TypeModifier::List => "[]",
            });
        }
        s
    }
}

/// A type modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeModifier {
    /// `?`
    Optional,
    /// `[]`
    List,
}

/// An attribute (`@id`, `@db.VarChar(10)`, `@@index([a])`).
#[derive(Debug, Clone)]
pub struct Attribute {
    /// The name without `@`/`@@` (`id`, `db.VarChar`, `index`).
    pub name: Ident,
    /// The arguments, if parentheses were written.
    pub args: Option<Vec<Argument>>,
    /// The whole attribute, including `@`.
    pub span: Span,
}

impl Attribute {
    /// The arguments (empty when no parentheses were written).
    pub fn arguments(&self) -> &[Argument] {
        self.args.as_deref().unwrap_or(&[])
    }
}

/// An argument, positional or named.
#[derive(Debug, Clone)]
pub struct Argument {
    /// The name before `:`, if any.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    pub span: Span,
}

/// A value in an argument.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A string literal: its content as written, escapes kept (the formatter writes it back
    /// unchanged); [`unescape`] gives its value.
    String(String, Span),
    /// A number literal as written.
    Number(String, Span),
    /// A bare identifier (`true`, `Cascade`, an enum value, a field name).
    Constant(String, Span),
    /// `name(args)`.
    Function(Ident, Vec<Argument>, Span),
    /// `[a, b]`.
    Array(Vec<Expr>, Span),
}

impl Expr {
    /// Where the expression is.
    pub fn span(&self) -> Span {
        match self {
            Expr::String(_, s)
            | Expr::Number(_, s)
            | Expr::Constant(_, s)
            | Expr::Function(_, _, s)
            | Expr::Array(_, s) => *s,
        }
    }

    /// A short description for messages ("a string", "a list"...).
    pub fn describe(&self) -> &'static str {
        match self {
            Expr::String(..) => "a string",
            Expr::Number(..) => "a number",
            Expr::Constant(..) => "a name",
            Expr::Function(..) => "a function call",
            Expr::Array(..) => "a list",
        }
    }

    /// Writes the expression in canonical formatting (`[a, b]`, `f(x: 1)`).
    pub fn render(&self) -> String {
        match self {
            Expr::String(s, _) => format!("\"{s}\""),
            Expr::Number(n, _) | Expr::Constant(n, _) => n.clone(),
            Expr::Function(name, args, _) => format!("{}({})", name.name, render_args(args)),
            Expr::Array(items, _) => {
                let inner: Vec<String> = items.iter().map(Expr::render).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

/// Writes arguments in canonical formatting, comma separated.
pub fn render_args(args: &[Argument]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| match &a.name {
            Some(n) => format!("{}: {}", n.name, a.value.render()),
            None => a.value.render(),
        })
        .collect();
    parts.join(", ")
}

impl Attribute {
    /// Writes the attribute in canonical formatting with the given prefix (`@` or `@@`).
    pub fn render(&self, prefix: &str) -> String {
        match &self.args {
            Some(args) => format!("{prefix}{}({})", self.name.name, render_args(args)),
            None => format!("{prefix}{}", self.name.name),
        }
    }
}

/// An invalid escape sequence in a string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    /// Byte offset of the backslash within the literal's content.
    pub offset: usize,
    /// Length in bytes of the bad sequence (at least the backslash).
    pub len: usize,
    /// What is wrong.
    pub message: String,
}

/// The value of a string literal's content (as written between the quotes): JSON escapes
/// `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` (UTF-16, surrogate pairs
/// combined) are decoded. Any other escape is an error.
pub fn unescape(raw: &str) -> Result<String, EscapeError> {
    let Some(first) = raw.find('\\') else {
        return Ok(raw.to_string());
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let bytes = raw.as_bytes();
    let mut i = first;
    while i < raw.len() {
        let Some(rel) = raw[i..].find('\\') else {
            out.push_str(&raw[i..]);
            break;
        };
        out.push_str(&raw[i..i + rel]);
        i += rel;
        let bad = |len: usize, message: String| EscapeError {
            offset: i,
            len,
            message,
        };
        let Some(c) = raw[i + 1..].chars().next() else {
            return Err(bad(1, "a string cannot end with a lone `\\`".into()));
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            i += 2;
            continue;
        }
        if c != 'u' {
            return Err(bad(
                1 + c.len_utf8(),
                format!("`\\{c}` is not a valid escape in a string"),
            ));
        }
        let hex4 = |at: usize| -> Option<u32> {
            let h = raw.get(at..at + 4)?;
            if h.bytes().all(|b| b.is_ascii_hexdigit()) {
                u32::from_str_radix(h, 16).ok()
            } else {
                None
            }
        };
        let Some(hi) = hex4(i + 2) else {
            let len = 2 + bytes[i + 2..]
                .iter()
                .take(4)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            return Err(bad(
                len,
                "`\\u` needs four hexadecimal digits (`\\u00e9`)".into(),
            ));
        };
        let (code, len) = match hi {
            0xD800..=0xDBFF => match (raw.get(i + 6..i + 8), hex4(i + 8)) {
                (Some("\\u"), Some(lo @ 0xDC00..=0xDFFF)) => {
                    (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 12)
                }
                _ => {
                    return Err(bad(
                        6,
                        format!(
                            "`\\u{hi:04x}` is half of a surrogate pair; the other half must follow"
                        ),
                    ));
                }
            },
            0xDC00..=0xDFFF => {
                return Err(bad(
                    6,
                    format!(
                        "`\\u{hi:04x}` is the second half of a surrogate pair without its first half"
                    ),
                ));
            }
            _ => (hi, 6),
        };
        match char::from_u32(code) {
            Some(v) => out.push(v),
            None => return Err(bad(len, "not a valid character".into())),
        }
        i += len;
    }
    Ok(out)
}

/// The value of a string literal whose escapes were already checked (the parser reports
/// invalid ones): decoded when valid, else the content as written.
pub fn string_value(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('\\') {
        return std::borrow::Cow::Borrowed(raw);
    }
    match unescape(raw) {
        Ok(v) => std::borrow::Cow::Owned(v),
        Err(_) => std::borrow::Cow::Borrowed(raw),
    }
}

/// Writes a value as the content of a string literal (the inverse of [`unescape`]): `"`, `\\`
/// and control characters are escaped, everything else (unicode included) is kept.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}' =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}
