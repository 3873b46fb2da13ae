//! Validation: resolves names, types and attributes of a parsed file into a checked
//! description ([`Db`]) that lowering turns into the model. Every problem becomes a diagnostic;
//! checking goes on after an error so that all problems are reported at once.

mod block_attrs;
mod defaults;
mod fields;
pub mod relations;
pub mod types;

use crate::ast::*;
use crate::diagnostics::{Diagnostic, did_you_mean};
use schemadiff_model::{DefaultValue, IndexMethod, QualifiedName, ReferentialAction, SortOrder};
use std::collections::BTreeMap;

/// The checked content of a schema file.
#[derive(Debug, Default)]
pub struct Db {
    /// Models in source order.
    pub models: Vec<DModel>,
    /// Enums in source order.
    pub enums: Vec<DEnum>,
    /// Foreign keys and join tables, as checked.
    pub relations: Vec<relations::RelationImpl>,
    /// `view` blocks: read, not managed (their database names).
    pub views: Vec<QualifiedName>,
    /// `relationMode = "prisma"` in the datasource: relations are emulated by the client and
    /// the database gets no foreign keys.
    pub relation_mode_prisma: bool,
    /// The datasource's `extensions = [...]` list, when it has one.
    pub extensions: Option<Vec<schemadiff_model::Extension>>,
    /// Position of each model in `models`, by name (lookups stay O(log n) on large schemas).
    model_index: BTreeMap<String, usize>,
    /// Position of each enum in `enums`, by name.
    enum_index: BTreeMap<String, usize>,
}

impl Db {
    /// The model with this name.
    pub fn model(&self, name: &str) -> Option<&DModel> {
        self.model_position(name).map(|i| &self.models[i])
    }
    /// The position of the model with this name in `models`.
    pub fn model_position(&self, name: &str) -> Option<usize> {
        self.model_index.get(name).copied()
    }
    /// The enum with this name.
    pub fn enum_(&self, name: &str) -> Option<&DEnum> {
        self.enum_index.get(name).map(|&i| &self.enums[i])
    }
}

/// A checked enum.
#[derive(Debug)]
pub struct DEnum {
    /// The enum's name.
    pub name: String,
    /// The database type.
    pub db: QualifiedName,
    /// `(name, database name)` of each value.
    pub values: Vec<(String, String)>,
}

/// A checked model.
#[derive(Debug)]
pub struct DModel {
    /// The model's name.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The table.
    pub table: QualifiedName,
    /// Fields in source order.
    pub fields: Vec<DField>,
    /// `@id` / `@@id`.
    pub primary: Option<DKey>,
    /// `@unique`, `@@unique`, `@@index`.
    pub indexes: Vec<DIndex>,
    /// `@@ignore`.
    pub ignored: bool,
}

impl DModel {
    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&DField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq)]
pub enum DKind {
    /// A scalar with its column type.
    Scalar(&'static str, schemadiff_model::ColumnType),
    /// An enum (by name).
    Enum(String),
    /// A relation to a model (by name).
    Relation(String),
    /// `Unsupported("…")`.
    Unsupported(String),
    /// The type did not resolve (already reported).
    Unknown,
}

/// A checked field.
#[derive(Debug)]
pub struct DField {
    /// The field's name.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// Where the type is.
    pub ty_span: Span,
    /// The column name.
    pub db: String,
    /// The type.
    pub kind: DKind,
    /// `?`
    pub optional: bool,
    /// `[]`
    pub list: bool,
    /// The database default.
    pub default: Option<DefaultValue>,
    /// `@ignore`.
    pub ignored: bool,
    /// `@relation(…)` on a relation field.
    pub relation: Option<RelAttr>,
}

/// The arguments of `@relation`.
#[derive(Debug, Clone, Default)]
pub struct RelAttr {
    /// The relation name.
    pub name: Option<String>,
    /// `fields:`
    pub fields: Vec<(String, Span)>,
    /// `references:`
    pub references: Vec<(String, Span)>,
    /// `onDelete:`
    pub on_delete: Option<ReferentialAction>,
    /// `onUpdate:`
    pub on_update: Option<ReferentialAction>,
    /// `map:`
    pub map: Option<String>,
    /// The attribute.
    pub span: Span,
}

/// A primary key.
#[derive(Debug, Clone)]
pub struct DKey {
    /// Field names.
    pub fields: Vec<String>,
    /// `map:`
    pub map: Option<String>,
    /// The attribute.
    pub span: Span,
}

/// An index or unique constraint.
#[derive(Debug, Clone)]
pub struct DIndex {
    /// `(field name, sort, opclass)`.
    pub fields: Vec<(String, SortOrder, Option<String>)>,
    /// Unique?
    pub unique: bool,
    /// `map:`
    pub map: Option<String>,
    /// `type:`
    pub method: IndexMethod,
    /// The attribute.
    pub span: Span,
}

/// The blocks the language knows.
const BLOCK_KEYWORDS: [&str; 4] = ["model", "enum", "datasource", "generator"];

/// Checks a parsed file.
pub fn analyze(ast: &SchemaAst, diags: &mut Vec<Diagnostic>) -> Db {
    let mut db = Db::default();
    // Names first, so types can refer to blocks declared later.
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    let mut model_blocks = Vec::new();
    let mut enum_blocks = Vec::new();
    let mut datasources = 0;
    for item in &ast.items {
        let Top::Block(b) = item else { continue };
        match b.keyword.name.as_str() {
            "model" | "enum" => {
                if let Some(prev) = names.get(&b.name.name) {
                    let _ = prev;
                    diags.push(
                        Diagnostic::error(
                            "duplicate-name",
                            b.name.span,
                            format!("the name `{}` is declared more than once", b.name.name),
                        )
                        .with_help("models and enums share one namespace; rename one of them"),
                    );
                    continue;
                }
                if types::SCALARS.contains(&b.name.name.as_str()) || b.name.name == "Unsupported" {
                    diags.push(Diagnostic::error(
                        "reserved-name",
                        b.name.span,
                        format!(
                            "`{}` is a built-in type name and cannot name a {}",
                            b.name.name, b.keyword.name
                        ),
                    ));
                    continue;
                }
                names.insert(b.name.name.clone(), b.name.span);
                if b.keyword.name == "model" {
                    model_blocks.push(b);
                } else {
                    enum_blocks.push(b);
                }
            }
            "datasource" => {
                datasources += 1;
                if datasources > 1 {
                    diags.push(Diagnostic::error(
                        "duplicate-datasource",
                        b.name.span,
                        "only one datasource block is allowed",
                    ));
                }
                if check_datasource(b, diags) {
                    db.relation_mode_prisma = true;
                }
                if let Some(list) = datasource_extensions(b, diags) {
                    db.extensions = Some(list);
                }
            }
            "view" => db.views.push(view_block(b, diags)),
            "generator" => check_settings(b, diags),
            "type" => diags.push(
                Diagnostic::error(
                    "unsupported-block",
                    b.keyword.span,
                    format!("`{}` blocks are not supported", b.keyword.name),
                )
                .with_help(
                    "schemadiff manages tables and enums of PostgreSQL only; see docs/dsl.md",
                ),
            ),
            other => diags.push(
                Diagnostic::error(
                    "unknown-block",
                    b.keyword.span,
                    format!("unknown block type `{other}`"),
                )
                .with_help(did_you_mean(other, BLOCK_KEYWORDS).unwrap_or_else(
                    || "blocks are `model`, `enum`, `datasource` and `generator`".into(),
                )),
            ),
        }
    }
    for b in &enum_blocks {
        let e = enum_block(b, diags);
        db.enum_index.insert(e.name.clone(), db.enums.len());
        db.enums.push(e);
    }
    for b in &model_blocks {
        let m = fields::model_block(b, &names, &db, diags);
        db.model_index.insert(m.name.clone(), db.models.len());
        db.models.push(m);
    }
    for (i, b) in model_blocks.iter().enumerate() {
        block_attrs::block_attributes(b, &mut db.models[i], diags);
    }
    db.relations = relations::check(&db, diags);
    block_attrs::model_checks(&db, diags);
    db
}

fn check_settings(b: &Block, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for m in &b.members {
        match m {
            Member::KeyValue(kv) if seen.insert(&kv.key.name, kv.key.span).is_some() => {
                diags.push(Diagnostic::error(
                    "duplicate-setting",
                    kv.key.span,
                    format!("`{}` is set more than once", kv.key.name),
                ));
            }
            Member::Field(f) => diags.push(
                Diagnostic::error(
                    "syntax-error",
                    f.span,
                    format!("expected a setting in this {} block", b.keyword.name),
                )
                .with_help("a setting looks like `key = value`"),
            ),
            Member::BlockAttribute(a, _) => diags.push(Diagnostic::error(
                "unknown-attribute",
                a.span,
                format!(
                    "block attributes are not allowed in a {} block",
                    b.keyword.name
                ),
            )),
            _ => {}
        }
    }
}

/// The datasource's `extensions = [pg_trgm, vector(map: "vector"), citext(schema: "x",
/// version: "1.0")]`: each a name, optionally with the database name (`map`), the schema and
/// the version.
fn datasource_extensions(
    b: &Block,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<schemadiff_model::Extension>> {
    let kv = b.members.iter().find_map(|m| match m {
        Member::KeyValue(kv) if kv.key.name == "extensions" => Some(kv),
        _ => None,
    })?;
    let Expr::Array(items, _) = &kv.value else {
        diags.push(
            Diagnostic::error(
                "invalid-argument",
                kv.value.span(),
                "`extensions` must be a list",
            )
            .with_help("e.g. `extensions = [pg_trgm, citext(schema: \"public\")]`"),
        );
        return None;
    };
    let mut out: Vec<schemadiff_model::Extension> = Vec::new();
    for item in items {
        let (name, args) = match item {
            Expr::Constant(n, _) => (n.clone(), &[][..]),
            Expr::Function(n, args, _) => (n.name.clone(), &args[..]),
            other => {
                diags.push(
                    Diagnostic::error(
                        "invalid-argument",
                        other.span(),
                        format!("{} is not an extension", other.render()),
                    )
                    .with_help(
                        "write the extension's name, e.g. `pg_trgm` or `vector(map: \"vector\")`",
                    ),
                );
                continue;
            }
        };
        let mut e = schemadiff_model::Extension {
            name,
            schema: None,
            version: None,
        };
        for a in args {
            let key = a.name.as_ref().map(|n| n.name.as_str());
            let value = match &a.value {
                Expr::String(s, _) => Some(string_value(s).into_owned()),
                _ => None,
            };
            match (key, value) {
                (Some("map"), Some(v)) => e.name = v,
                (Some("schema"), Some(v)) => e.schema = Some(v),
                (Some("version"), Some(v)) => e.version = Some(v),
                _ => diags.push(
                    Diagnostic::error(
                        "invalid-argument",
                        a.span,
                        format!("{} is not an extension argument", a.value.render()),
                    )
                    .with_help("the arguments are `map: \"name\"`, `schema: \"schema\"` and `version: \"1.0\"`"),
                ),
            }
        }
        if out.iter().any(|x| x.name == e.name) {
            diags.push(Diagnostic::error(
                "duplicate-extension",
                item.span(),
                format!("extension `{}` is listed twice", e.name),
            ));
            continue;
        }
        out.push(e);
    }
    Some(out)
}

/// Checks a datasource block; true when it sets `relationMode = "prisma"`.
fn check_datasource(b: &Block, diags: &mut Vec<Diagnostic>) -> bool {
    check_settings(b, diags);
    let mut provider = None;
    let mut relation_mode_prisma = false;
    for m in &b.members {
        let Member::KeyValue(kv) = m else { continue };
        match kv.key.name.as_str() {
            "provider" => provider = Some(kv),
            "relationMode" => match &kv.value {
                Expr::String(s, _) if &*string_value(s) == "prisma" => relation_mode_prisma = true,
                Expr::String(s, _) if &*string_value(s) == "foreignKeys" => {}
                other => diags.push(
                    Diagnostic::error(
                        "invalid-argument",
                        other.span(),
                        format!("relationMode {} is not known", other.render()),
                    )
                    .with_help("write `relationMode = \"foreignKeys\"` (the default) or `relationMode = \"prisma\"`"),
                ),
            },
            _ => {}
        }
    }
    match provider {
        None => diags.push(
            Diagnostic::error(
                "missing-provider",
                b.name.span,
                "this datasource has no `provider`",
            )
            .with_help("add `provider = \"postgresql\"`"),
        ),
        Some(kv) => match &kv.value {
            Expr::String(s, _) if matches!(&*string_value(s), "postgresql" | "postgres") => {}
            other => diags.push(
                Diagnostic::error(
                    "unsupported-provider",
                    other.span(),
                    format!("provider {} is not supported", other.render()),
                )
                .with_help("schemadiff works with PostgreSQL only: `provider = \"postgresql\"`"),
            ),
        },
    }
    relation_mode_prisma
}

/// A `view` block: its fields are not checked (the view's query lives in the database, not in
/// the schema); only its database name is read, so that it can be listed as not managed.
fn view_block(b: &Block, diags: &mut Vec<Diagnostic>) -> QualifiedName {
    let mut name = QualifiedName::public(b.name.name.clone());
    for m in &b.members {
        if let Member::BlockAttribute(a, _) = m {
            match a.name.name.as_str() {
                "map" => set_string_arg(&mut name.name, a, "@@", diags),
                "schema" => set_string_arg(&mut name.schema, a, "@@", diags),
                _ => {}
            }
        }
    }
    name
}

/// Checks a name that becomes a PostgreSQL identifier or enum label (`what` says which, e.g.
/// "table name"): a NUL character is `name-nul-character` (PostgreSQL cannot store it: the
/// statement would fail at apply), longer than 63 bytes is `name-too-long` (PostgreSQL would cut
/// it, or refuse an enum label). Other control characters are valid PostgreSQL names and stay
/// allowed: every comment of a rendered script escapes them. Returns false when the name was
/// reported.
pub(crate) fn check_db_name(
    name: &str,
    span: Span,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let shown = crate::ast::escape(name);
    if name.contains('\0') {
        diags.push(
            Diagnostic::error(
                "name-nul-character",
                span,
                format!("the {what} `{shown}` contains a NUL character (U+0000)"),
            )
            .with_help("PostgreSQL cannot store NUL in a name or label; remove the `\\u0000`"),
        );
        return false;
    }
    if name.len() > schemadiff_model::MAX_IDENTIFIER_LEN {
        diags.push(
            Diagnostic::error(
                "name-too-long",
                span,
                format!(
                    "the {what} `{shown}` is {} bytes, longer than PostgreSQL's 63-byte limit",
                    name.len()
                ),
            )
            .with_help(
                "PostgreSQL cuts longer names (and refuses longer enum labels); use a shorter name or `@map`/`@@map` one",
            ),
        );
        return false;
    }
    true
}

/// The string argument of `@map("x")` / `@@map("x")` / `@@schema("x")`, reported if malformed.
pub(crate) fn string_arg(
    attr: &Attribute,
    prefix: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match attr.arguments() {
        [
            Argument {
                value: Expr::String(s, _),
                name: None | Some(_),
                ..
            },
        ] if !s.is_empty() => {
            let v = string_value(s).into_owned();
            let what = match attr.name.name.as_str() {
                "schema" => "schema name",
                _ => "database name",
            };
            check_db_name(&v, attr.arguments()[0].value.span(), what, diags).then_some(v)
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    "invalid-argument",
                    attr.span,
                    format!("`{prefix}{}` takes one non-empty string", attr.name.name),
                )
                .with_help(format!("write `{prefix}{}(\"name\")`", attr.name.name)),
            );
            None
        }
    }
}

/// Sets `target` to the string argument of `attr` (see [`string_arg`]), if it has a valid one.
pub(crate) fn set_string_arg(
    target: &mut String,
    attr: &Attribute,
    prefix: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(s) = string_arg(attr, prefix, diags) {
        *target = s;
    }
}

fn enum_block(b: &Block, diags: &mut Vec<Diagnostic>) -> DEnum {
    let mut values: Vec<(String, String)> = Vec::new();
    let mut db_name = b.name.name.clone();
    let mut schema = QualifiedName::DEFAULT_SCHEMA.to_string();
    let mut seen_attrs: BTreeMap<String, Span> = BTreeMap::new();
    for m in &b.members {
        match m {
            Member::Field(f) => {
                if let Some(ty) = &f.ty {
                    diags.push(
                        Diagnostic::error(
                            "syntax-error",
                            ty.span,
                            format!("enum value `{}` cannot have a type", f.name.name),
                        )
                        .with_help("an enum lists one value per line, e.g. `ACTIVE` or `ACTIVE @map(\"active\")`"),
                    );
                }
                let mut value_db = f.name.name.clone();
                for a in &f.attributes {
                    match a.name.name.as_str() {
                        "map" => set_string_arg(&mut value_db, a, "@", diags),
                        other => diags.push(
                            Diagnostic::error(
                                "unknown-attribute",
                                a.span,
                                format!("attribute `@{other}` is not allowed on an enum value"),
                            )
                            .with_help("enum values accept only `@map(\"…\")`"),
                        ),
                    }
                }
                let duplicate = if values.iter().any(|(n, _)| *n == f.name.name) {
                    Some(format!("value `{}`", f.name.name))
                } else if values.iter().any(|(_, d)| *d == value_db) {
                    Some(format!("database value `{value_db}`"))
                } else {
                    None
                };
                if let Some(what) = duplicate {
                    let message =
                        format!("{what} appears more than once in enum `{}`", b.name.name);
                    diags.push(Diagnostic::error(
                        "duplicate-enum-value",
                        f.name.span,
                        message,
                    ));
                } else {
                    if value_db == f.name.name {
                        check_db_name(&value_db, f.name.span, "enum value", diags);
                    }
                    values.push((f.name.name.clone(), value_db));
                }
            }
            Member::BlockAttribute(a, _) => {
                if let Some(prev) = seen_attrs.insert(a.name.name.clone(), a.span) {
                    let _ = prev;
                    diags.push(Diagnostic::error(
                        "duplicate-attribute",
                        a.span,
                        format!("attribute `@@{}` can only be defined once", a.name.name),
                    ));
                    continue;
                }
                match a.name.name.as_str() {
                    "map" => set_string_arg(&mut db_name, a, "@@", diags),
                    "schema" => set_string_arg(&mut schema, a, "@@", diags),
                    other => diags.push(
                        Diagnostic::error(
                            "unknown-attribute",
                            a.name.span,
                            format!("attribute `@@{other}` is not allowed on an enum"),
                        )
                        .with_help_opt(did_you_mean(other, ["map", "schema"]))
                        .with_help_opt(
                            Some("enums accept `@@map` and `@@schema`".into())
                                .filter(|_| did_you_mean(other, ["map", "schema"]).is_none()),
                        ),
                    ),
                }
            }
            Member::KeyValue(kv) => diags.push(Diagnostic::error(
                "syntax-error",
                kv.key.span,
                "settings (`key = value`) are not allowed in an enum",
            )),
            _ => {}
        }
    }
    if db_name == b.name.name {
        check_db_name(&db_name, b.name.span, "enum name", diags);
    }
    if values.is_empty() && b.members.iter().all(|m| !matches!(m, Member::Error(_))) {
        diags.push(Diagnostic::error(
            "empty-enum",
            b.name.span,
            format!("enum `{}` has no values", b.name.name),
        ));
    }
    DEnum {
        name: b.name.name.clone(),
        db: QualifiedName::new(schema, db_name),
        values,
    }
}
