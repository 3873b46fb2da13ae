//! Block attributes of a model (`@@id`, `@@unique`, `@@index`, `@@map`, `@@schema`, `@@ignore`)
//! and the checks that need a whole model (identifier, column names, redundant indexes).

use super::fields::field_list;
use super::{DIndex, DKey, DKind, DModel, Db, set_string_arg};
use crate::ast::*;
use crate::diagnostics::{Diagnostic, did_you_mean};
use schemadiff_model::{IndexMethod, SortOrder};
use std::collections::BTreeMap;

const BLOCK_ATTRIBUTES: [&str; 6] = ["id", "unique", "index", "map", "schema", "ignore"];

/// Applies the block attributes of a model block to its checked model.
pub fn block_attributes(b: &Block, m: &mut DModel, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for member in &b.members {
        let Member::BlockAttribute(a, _) = member else {
            continue;
        };
        let name = a.name.name.as_str();
        if matches!(name, "id" | "map" | "schema" | "ignore")
            && seen.insert(name.to_string(), a.span).is_some()
        {
            diags.push(
                Diagnostic::error(
                    "duplicate-attribute",
                    a.span,
                    format!("attribute `@@{name}` can only be defined once"),
                )
                .with_help("remove the repeated attribute"),
            );
            continue;
        }
        match name {
            "map" => set_string_arg(&mut m.table.name, a, "@@", diags),
            "schema" => set_string_arg(&mut m.table.schema, a, "@@", diags),
            "ignore" => m.ignored = true,
            "id" => {
                let Some((fields, map)) = fields_and_map(a, m, diags, &["fields", "name", "map"]) else { continue };
                if m.primary.is_some() {
                    diags.push(
                        Diagnostic::error("duplicate-id", a.span, format!("model `{}` already has a primary key", m.name))
                            .with_help("use either `@id` on one field or `@@id` on the model"),
                    );
                } else {
                    for (f, _, _) in &fields {
                        if m.field(f).is_some_and(|x| x.optional) {
                            diags.push(Diagnostic::error(
                                "optional-id",
                                a.span,
                                format!("field `{f}` is optional and cannot be part of the primary key"),
                            ));
                        }
                    }
                    m.primary = Some(DKey { fields: fields.into_iter().map(|f| f.0).collect(), map, span: a.span });
                }
            }
            "unique" | "index" => {
                let Some((fields, map)) = fields_and_map(a, m, diags, &["fields", "name", "map", "type"]) else { continue };
                let mut method = IndexMethod::BTree;
                for arg in a.arguments() {
                    if arg.name.as_ref().is_some_and(|n| n.name == "type") {
                        match &arg.value {
                            Expr::Constant(c, _) if IndexMethod::from_sql_name(c).is_some() && name == "index" => {
                                method = IndexMethod::from_sql_name(c).unwrap_or_default()
                            }
                            other => diags.push(
                                Diagnostic::error("invalid-argument", other.span(), format!("`{}` is not an index type here", other.render()))
                                    .with_help("`@@index` accepts type: BTree, Hash, Gist, Gin, SpGist or Brin"),
                            ),
                        }
                    }
                }
                // On `@@index`, `name:` is the index's database name when `map:` is absent (an
                // older spelling of `map:`); on `@@unique` it names the client's compound key
                // and the index keeps its default name (both checked against Prisma 6.19).
                let map = if name == "index" { map.or_else(|| named_string(a, "name")) } else { map };
                m.indexes.push(DIndex { fields, unique: name == "unique", map, method, span: a.span });
            }
            "fulltext" => diags.push(
                Diagnostic::error("unsupported-attribute", a.span, "`@@fulltext` is not supported on PostgreSQL")
                    .with_help("use `@@index([field], type: Gin)` with an operator class instead"),
            ),
            other => diags.push(
                Diagnostic::error("unknown-attribute", a.name.span, format!("unknown attribute `@@{other}`")).with_help(
                    did_you_mean(other, BLOCK_ATTRIBUTES)
                        .map(|h| h.replace("`", "`@@").replace("`@@?", "`?"))
                        .unwrap_or_else(|| "block attributes are @@id, @@unique, @@index, @@map, @@schema and @@ignore".into()),
                ),
            ),
        }
    }
    if m.table.name == m.name {
        super::check_db_name(&m.name, m.span, "table name", diags);
    }
}

type IndexFields = Vec<(String, SortOrder, Option<String>)>;

/// The field list and `map:` of `@@id`/`@@unique`/`@@index`, with every field checked.
fn fields_and_map(
    a: &Attribute,
    m: &DModel,
    diags: &mut Vec<Diagnostic>,
    allowed: &[&str],
) -> Option<(IndexFields, Option<String>)> {
    let mut fields_expr = None;
    let mut map = None;
    for (i, arg) in a.arguments().iter().enumerate() {
        match arg.name.as_ref().map(|n| n.name.as_str()) {
            None if i == 0 => fields_expr = Some(&arg.value),
            Some("fields") => fields_expr = Some(&arg.value),
            Some("map") => match &arg.value {
                Expr::String(s, sp) if !s.is_empty() => {
                    let v = string_value(s).into_owned();
                    if super::check_db_name(&v, *sp, "constraint name", diags) {
                        map = Some(v)
                    }
                }
                other => diags.push(Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    "`map:` expects a non-empty string",
                )),
            },
            Some(n) if allowed.contains(&n) => {}
            Some(n) => {
                let span = arg.name.as_ref().map_or(arg.span, |x| x.span);
                diags.push(
                    Diagnostic::error(
                        "unknown-argument",
                        span,
                        format!("unknown argument `{n}` for `@@{}`", a.name.name),
                    )
                    .with_help_opt(did_you_mean(n, allowed.iter().copied())),
                )
            }
            None => diags.push(Diagnostic::error(
                "invalid-argument",
                arg.span,
                "only the field list can be given without a name",
            )),
        }
    }
    let Some(expr) = fields_expr else {
        diags.push(
            Diagnostic::error(
                "missing-argument",
                a.span,
                format!("`@@{}` needs a list of fields", a.name.name),
            )
            .with_help(format!("e.g. `@@{}([a, b])`", a.name.name)),
        );
        return None;
    };
    let items: Vec<&Expr> = match expr {
        Expr::Array(items, _) => items.iter().collect(),
        // One field without brackets: `@@index(email)`, as Prisma accepts it.
        Expr::Constant(..) | Expr::Function(..) => vec![expr],
        other => {
            diags.push(
                Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    "expected a list of fields",
                )
                .with_help(format!("write `@@{}([a, b])`", a.name.name)),
            );
            return None;
        }
    };
    if items.is_empty() {
        diags.push(Diagnostic::error(
            "invalid-argument",
            expr.span(),
            "the field list is empty",
        ));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let (name, span, args): (&str, Span, &[Argument]) = match item {
            Expr::Constant(c, s) => (c, *s, &[]),
            Expr::Function(n, args, _) => (&n.name, n.span, args),
            other => {
                field_list(other, "fields", diags);
                ok = false;
                continue;
            }
        };
        let mut sort = SortOrder::Asc;
        let mut ops = None;
        for arg in args {
            match (arg.name.as_ref().map(|n| n.name.as_str()), &arg.value) {
                (Some("sort"), Expr::Constant(c, _)) if c == "Asc" || c == "Desc" => {
                    sort = if c == "Desc" {
                        SortOrder::Desc
                    } else {
                        SortOrder::Asc
                    }
                }
                (Some("ops"), Expr::Constant(c, _)) => ops = Some(snake(c)),
                (Some("ops"), Expr::Function(f, fa, _)) if f.name == "raw" => {
                    match fa.first().map(|x| &x.value) {
                        Some(Expr::String(s, _)) => ops = Some(string_value(s).into_owned()),
                        _ => diags.push(Diagnostic::error(
                            "invalid-argument",
                            arg.span,
                            "`raw` needs the operator class as a string",
                        )),
                    }
                }
                (Some("length"), _) => diags.push(Diagnostic::error(
                    "unsupported-attribute",
                    arg.span,
                    "`length:` is a MySQL option and is not supported on PostgreSQL",
                )),
                _ => diags.push(
                    Diagnostic::error(
                        "invalid-argument",
                        arg.span,
                        format!(
                            "`{}` is not a valid index field option",
                            render_args(std::slice::from_ref(arg))
                        ),
                    )
                    .with_help("index fields accept `sort: Asc|Desc` and `ops: …`"),
                ),
            }
        }
        match m.field(name) {
            None => {
                ok = false;
                diags.push(
                    Diagnostic::error(
                        "unknown-field",
                        span,
                        format!("model `{}` has no field `{name}`", m.name),
                    )
                    .with_help(
                        did_you_mean(name, m.fields.iter().map(|f| f.name.as_str()))
                            .unwrap_or_else(|| "list scalar fields of this model".into()),
                    ),
                );
            }
            Some(f) if matches!(f.kind, DKind::Relation(_)) => {
                ok = false;
                diags.push(
                    Diagnostic::error(
                        "invalid-index-field",
                        span,
                        format!("`{name}` is a relation field and cannot be indexed"),
                    )
                    .with_help("index the scalar fields named in its `fields:` argument"),
                );
            }
            Some(_) => out.push((name.to_string(), sort, ops)),
        }
    }
    ok.then_some((out, map))
}

/// The value of a named string argument (`name: "x"`), if present and well formed.
fn named_string(a: &Attribute, arg: &str) -> Option<String> {
    a.arguments()
        .iter()
        .find_map(|x| match (&x.name, &x.value) {
            (Some(n), Expr::String(s, _)) if n.name == arg && !s.is_empty() => {
                let v = string_value(s).into_owned();
                (v.len() <= schemadiff_model::MAX_IDENTIFIER_LEN).then_some(v)
            }
            _ => None,
        })
}

/// `JsonbPathOps` → `jsonb_path_ops`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that need a whole model: identifier, column and table name clashes, redundant indexes.
pub fn model_checks(db: &Db, diags: &mut Vec<Diagnostic>) {
    let mut tables: BTreeMap<&schemadiff_model::QualifiedName, &str> = BTreeMap::new();
    for m in &db.models {
        if let Some(other) = tables.insert(&m.table, &m.name) {
            diags.push(Diagnostic::error(
                "duplicate-table",
                m.span,
                format!(
                    "models `{other}` and `{}` both map to table `{}`",
                    m.name, m.table
                ),
            ));
        }
        let mut cols: BTreeMap<&str, &str> = BTreeMap::new();
        for f in &m.fields {
            if matches!(f.kind, DKind::Relation(_)) {
                continue;
            }
            if let Some(other) = cols.insert(&f.db, &f.name) {
                diags.push(Diagnostic::error(
                    "duplicate-column",
                    f.span,
                    format!(
                        "fields `{other}` and `{}` both map to column `{}`",
                        f.name, f.db
                    ),
                ));
            }
        }
        let has_unique = m.indexes.iter().any(|i| {
            i.unique
                && i.fields
                    .iter()
                    .all(|(f, _, _)| m.field(f).is_some_and(|x| !x.optional && !x.list))
        });
        if m.primary.is_none() && !has_unique && !m.ignored {
            diags.push(
                Diagnostic::error(
                    "missing-identifier",
                    m.span,
                    format!("model `{}` has no unique identifier", m.name),
                )
                .with_help(
                    "add `@id` to a field, `@@id([a, b])`, or a `@unique` on a required field",
                ),
            );
        }
        for idx in m.indexes.iter().filter(|i| !i.unique) {
            let cols: Vec<&str> = idx.fields.iter().map(|f| f.0.as_str()).collect();
            let covered = m.indexes.iter().any(|u| {
                u.unique
                    && u.fields
                        .iter()
                        .map(|f| f.0.as_str())
                        .eq(cols.iter().copied())
            }) || m
                .primary
                .as_ref()
                .is_some_and(|p| p.fields.iter().map(String::as_str).eq(cols.iter().copied()));
            if covered
                && idx.method == IndexMethod::BTree
                && idx
                    .fields
                    .iter()
                    .all(|f| f.1 == SortOrder::Asc && f.2.is_none())
            {
                diags.push(
                    Diagnostic::warning(
                        "redundant-index",
                        idx.span,
                        format!(
                            "this index duplicates the unique index on ({}) of model `{}`",
                            cols.join(", "),
                            m.name
                        ),
                    )
                    .with_help("remove it: the unique index already serves these lookups"),
                );
            }
        }
    }
}
