//! A hand-written fast path for [`crate::parse::parse`]: a single pass over the bytes that builds
//! the same syntax tree the pest grammar gives, for files that parse cleanly.
//!
//! The pest parser costs a rule call (with a stack probe) per token, which dominated loading large
//! schemas. This parser accepts a subset of the grammar: blocks, fields, attributes, settings,
//! comments and blank lines, everything on the lines the grammar expects. Whenever it meets
//! anything else (a syntax error, an unclosed block, a member followed by `}` on the same
//! line…) it gives up and returns `None`, and the pest parser handles the file, so
//! errors and unusual layouts keep their exact diagnostics. When it succeeds, its tree is the one
//! pest builds (checked by a differential test over the fixtures and random edits of them).

use crate::ast::*;
use crate::diagnostics::Diagnostic;

/// Parses `text`, or returns `None` when the file needs the full grammar.
pub(crate) fn parse(text: &str, diags: &mut Vec<Diagnostic>) -> Option<SchemaAst> {
    let mut p = P {
        s: text.as_bytes(),
        text,
        i: 0,
        diags: Vec::new(),
    };
    let ast = p.schema()?;
    diags.append(&mut p.diags);
    Some(ast)
}

struct P<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    diags: Vec<Diagnostic>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, lit: &str) -> bool {
        self.s[self.i..].starts_with(lit.as_bytes())
    }

    /// Skips the grammar's WHITESPACE: spaces, tabs and byte order marks.
    fn skip(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(0xEF) if self.at("\u{feff}") => self.i += 3,
                _ => return,
            }
        }
    }

    /// The length of a NEWLINE at the cursor (`\n`, `\r\n` or `\r`), 0 if none.
    fn newline_len(&self) -> usize {
        match self.peek() {
            Some(b'\n') => 1,
            Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => 2,
            Some(b'\r') => 1,
            _ => 0,
        }
    }

    fn at_line_end(&self) -> bool {
        self.i == self.s.len() || self.newline_len() > 0
    }

    fn ident(&mut self) -> Option<Ident> {
        let start = self.i;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        self.i += 1;
        while self.peek().is_some_and(is_ident_char) {
            self.i += 1;
        }
        Some(Ident {
            name: self.text[start..self.i].to_string(),
            span: Span::new(start, self.i),
        })
    }

    /// `//…` up to the end of the line, trimmed at the end (as the tree keeps comments).
    fn comment(&mut self) -> Option<String> {
        if !self.at("//") {
            return None;
        }
        let start = self.i;
        while self.i < self.s.len() && !matches!(self.s[self.i], b'\n' | b'\r') {
            self.i += 1;
        }
        Some(self.text[start..self.i].trim_end().to_string())
    }

    /// A comment line item: `//…` or a `/* … */` comment (possibly over several lines).
    fn comment_item(&mut self) -> Option<String> {
        if !self.at("/*") {
            return self.comment();
        }
        let start = self.i;
        self.i = match self.text[start + 2..].find("*/") {
            Some(k) => start + 2 + k + 2,
            // Unterminated: the grammar reports it (`unterminated-comment`).
            None => return None,
        };
        Some(self.text[start..self.i].trim_end().to_string())
    }

    fn schema(&mut self) -> Option<SchemaAst> {
        let mut ast = SchemaAst::default();
        let mut at_line_start = true;
        loop {
            self.skip();
            if self.i == self.s.len() {
                return Some(ast);
            }
            let nl = self.newline_len();
            if nl > 0 {
                self.i += nl;
                if std::mem::replace(&mut at_line_start, true) {
                    ast.items.push(Top::Blank);
                }
                continue;
            }
            at_line_start = false;
            if let Some(c) = self.comment_item() {
                ast.items.push(Top::Comment(c));
            } else {
                ast.items.push(Top::Block(self.block()?));
                self.skip();
                if !self.at_line_end() {
                    return None;
                }
            }
        }
    }

    fn block(&mut self) -> Option<Block> {
        let start = self.i;
        let keyword = self.ident()?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        if self.peek() != Some(b'{') {
            return None;
        }
        self.i += 1;
        self.skip();
        let header_comment = self.comment();
        if !self.at_line_end() {
            return None;
        }
        let mut b = Block {
            keyword,
            name,
            header_comment,
            members: Vec::new(),
            span: Span::new(start, start),
        };
        let mut at_line_start = false;
        loop {
            self.skip();
            if self.i == self.s.len() {
                // Unclosed block: the full grammar reports it.
                return None;
            }
            let nl = self.newline_len();
            if nl > 0 {
                self.i += nl;
                if std::mem::replace(&mut at_line_start, true) {
                    b.members.push(Member::Blank);
                }
                continue;
            }
            at_line_start = false;
            match self.peek()? {
                b'}' => {
                    self.i += 1;
                    b.span = Span::new(start, self.i);
                    return Some(b);
                }
                b'/' => {
                    let c = self.comment_item()?;
                    b.members.push(Member::Comment(c));
                    continue;
                }
                b'@' => {
                    if !self.at("@@") {
                        return None;
                    }
                    let attr = self.attribute(2)?;
                    self.skip();
                    let comment = self.comment();
                    b.members.push(Member::BlockAttribute(attr, comment));
                }
                _ => {
                    let m = self.field_or_setting()?;
                    b.members.push(m);
                }
            }
            if !self.at_line_end() {
                return None;
            }
        }
    }

    /// `key = value` or `name Type @attr…`, with a trailing comment.
    fn field_or_setting(&mut self) -> Option<Member> {
        let start = self.i;
        let name = self.ident()?;
        self.skip();
        if self.peek() == Some(b'=') {
            self.i += 1;
            self.skip();
            let value = self.expr(0)?;
            self.skip();
            let comment = self.comment();
            return Some(Member::KeyValue(KeyValue {
                key: name,
                value,
                comment,
            }));
        }
        let mut end = name.span.end;
        let ty = if self.peek().is_some_and(is_ident_start) {
            let t = self.field_type()?;
            end = t.span.end;
            self.skip();
            Some(t)
        } else {
            None
        };
        let mut attributes = Vec::new();
        while self.peek() == Some(b'@') {
            if self.at("@@") {
                return None;
            }
            let a = self.attribute(1)?;
            end = a.span.end;
            attributes.push(a);
            self.skip();
        }
        let comment = self.comment();
        Some(Member::Field(Field {
            name,
            ty,
            attributes,
            comment,
            span: Span::new(start, end),
        }))
    }

    fn field_type(&mut self) -> Option<FieldType> {
        let start = self.i;
        let mut unsupported = None;
        let name = if self.at("Unsupported") && {
            let save = self.i;
            self.i += "Unsupported".len();
            self.skip_ws_only();
            let open = self.peek() == Some(b'(');
            self.i = save;
            open
        } {
            self.i += "Unsupported".len();
            self.skip_ws_only();
            self.i += 1;
            self.skip_ws_only();
            let (raw, _) = self.string()?;
            self.skip_ws_only();
            if self.peek() != Some(b')') {
                return None;
            }
            self.i += 1;
            unsupported = Some(raw);
            Ident {
                name: "Unsupported".into(),
                span: Span::new(start, start + "Unsupported".len()),
            }
        } else {
            self.ident()?
        };
        let mut modifiers = Vec::new();
        loop {
            if self.at("[]") {
                modifiers.push((TypeModifier::List, Span::new(self.i, self.i + 2)));
                self.i += 2;
            } else if self.peek() == Some(b'?') {
                modifiers.push((TypeModifier::Optional, Span::new(self.i, self.i + 1)));
                self.i += 1;
            } else {
                break;
            }
        }
        Some(FieldType {
            name,
            unsupported,
            modifiers,
            span: Span::new(start, self.i),
        })
    }

    /// The grammar's explicit `WHITESPACE*` inside atomic rules (the same characters as skip).
    fn skip_ws_only(&mut self) {
        self.skip();
    }

    /// `@name(args)` / `@@name(args)`; `prefix` is the number of `@`.
    fn attribute(&mut self, prefix: usize) -> Option<Attribute> {
        let start = self.i;
        self.i += prefix;
        let name_start = self.i;
        self.ident()?;
        if self.peek() == Some(b'.') && self.s.get(self.i + 1).is_some_and(|b| is_ident_start(*b)) {
            self.i += 1;
            self.ident()?;
        }
        let name = Ident {
            name: self.text[name_start..self.i].to_string(),
            span: Span::new(name_start, self.i),
        };
        let save = self.i;
        self.skip_ws_only();
        let args = if self.peek() == Some(b'(') {
            Some(self.arguments(0)?)
        } else {
            self.i = save;
            None
        };
        Some(Attribute {
            name,
            args,
            span: Span::new(start, self.i),
        })
    }

    /// `( argument, … )` with the cursor on `(`.
    fn arguments(&mut self, depth: usize) -> Option<Vec<Argument>> {
        self.i += 1;
        self.skip();
        let mut out = Vec::new();
        if self.peek() == Some(b')') {
            self.i += 1;
            return Some(out);
        }
        loop {
            out.push(self.argument(depth)?);
            self.skip();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip();
                    if self.peek() == Some(b')') {
                        self.i += 1;
                        return Some(out);
                    }
                }
                b')' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn argument(&mut self, depth: usize) -> Option<Argument> {
        let start = self.i;
        let mut name = None;
        if self.peek().is_some_and(is_ident_start) {
            let save = self.i;
            let id = self.ident()?;
            self.skip();
            if self.peek() == Some(b':') {
                self.i += 1;
                self.skip();
                name = Some(id);
            } else {
                self.i = save;
            }
        }
        let value = self.expr(depth + 1)?;
        Some(Argument {
            name,
            span: Span::new(start, value.span().end),
            value,
        })
    }

    /// A string literal at the cursor: its raw content and span; invalid escapes are reported.
    fn string(&mut self) -> Option<(String, Span)> {
        let start = self.i;
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        let mut escapes = false;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\n' | b'\r' => return None,
                b'\\' => {
                    escapes = true;
                    if matches!(self.s.get(self.i + 1), None | Some(b'\n' | b'\r')) {
                        return None;
                    }
                    self.i += 1;
                    // Step over one whole character.
                    self.i += self.text[self.i..].chars().next().map_or(1, char::len_utf8);
                }
                _ => self.i += 1,
            }
        }
        let content = &self.text[start + 1..self.i];
        self.i += 1;
        if escapes && let Err(e) = unescape(content) {
            let at = start + 1 + e.offset;
            self.diags.push(crate::parse::escape_diagnostic(
                Span::new(at, at + e.len),
                e.message,
            ));
        }
        Some((content.to_string(), Span::new(start, self.i)))
    }

    fn expr(&mut self, depth: usize) -> Option<Expr> {
        if depth > 64 {
            return None;
        }
        let start = self.i;
        match self.peek()? {
            b'"' => {
                let (s, span) = self.string()?;
                Some(Expr::String(s, span))
            }
            b'[' => {
                self.i += 1;
                self.skip();
                let mut items = Vec::new();
                if self.peek() != Some(b']') {
                    loop {
                        items.push(self.expr(depth + 1)?);
                        self.skip();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                self.skip();
                                if self.peek() == Some(b']') {
                                    break;
                                }
                            }
                            b']' => break,
                            _ => return None,
                        }
                    }
                }
                self.i += 1;
                Some(Expr::Array(items, Span::new(start, self.i)))
            }
            b'-' | b'0'..=b'9' => {
                if self.peek() == Some(b'-') {
                    self.i += 1;
                }
                let digits = |p: &mut Self| {
                    let s = p.i;
                    while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                        p.i += 1;
                    }
                    p.i > s
                };
                if !digits(self) {
                    return None;
                }
                if self.peek() == Some(b'.')
                    && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit)
                {
                    self.i += 1;
                    digits(self);
                }
                Some(Expr::Number(
                    self.text[start..self.i].to_string(),
                    Span::new(start, self.i),
                ))
            }
            b if is_ident_start(b) => {
                let id = self.ident()?;
                let save = self.i;
                self.skip();
                if self.peek() == Some(b'(') {
                    let args = self.arguments(depth)?;
                    return Some(Expr::Function(id, args, Span::new(start, self.i)));
                }
                self.i = save;
                Some(Expr::Constant(id.name, id.span))
            }
            _ => None,
        }
    }
}
