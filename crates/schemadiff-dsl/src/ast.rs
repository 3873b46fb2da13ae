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
    /// A string literal (content as written, escapes kept).
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
