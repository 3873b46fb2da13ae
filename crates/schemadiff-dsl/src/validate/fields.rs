//! Fields of a model: type resolution and field attributes (`@id`, `@default`, `@db.*`…).

use super::types::{self, Arity};
use super::{DField, DIndex, DKey, DKind, DModel, Db, RelAttr, set_string_arg};
use crate::ast::*;
use crate::diagnostics::{Diagnostic, did_you_mean};
use schemadiff_model::{IndexMethod, QualifiedName, ReferentialAction, SortOrder};
use std::collections::{BTreeMap, HashSet};

const FIELD_ATTRIBUTES: [&str; 8] = [
    "id",
    "unique",
    "default",
    "updatedAt",
    "map",
    "ignore",
    "relation",
    "db",
];

/// Resolves a model block's fields and field attributes (block attributes come later).
pub fn model_block(
    b: &Block,
    names: &BTreeMap<String, Span>,
    db: &Db,
    diags: &mut Vec<Diagnostic>,
) -> DModel {
    let mut m = DModel {
        name: b.name.name.clone(),
        span: b.name.span,
        table: QualifiedName::public(b.name.name.clone()),
        fields: Vec::new(),
        primary: None,
        indexes: Vec::new(),
        ignored: false,
    };
    m.fields.reserve(b.members.len());
    // Membership only (never iterated), so a hash set keeps the output deterministic.
    let mut declared: HashSet<&str> = HashSet::with_capacity(b.members.len());
    for member in &b.members {
        match member {
            Member::Field(f) => {
                if declared.contains(f.name.name.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            "duplicate-field",
                            f.name.span,
                            format!(
                                "field `{}` is declared more than once in model `{}`",
                                f.name.name, m.name
                            ),
                        )
                        .with_help("rename or remove one of them"),
                    );
                    continue;
                }
                if let Some(df) = field(f, &mut m, names, db, diags) {
                    declared.insert(f.name.name.as_str());
                    m.fields.push(df);
                }
            }
            Member::KeyValue(kv) => diags.push(
                Diagnostic::error(
                    "syntax-error",
                    kv.key.span,
                    "settings (`key = value`) are not allowed in a model",
                )
                .with_help("a field looks like `name Type @attribute`"),
            ),
            _ => {}
        }
    }
    m
}

fn field(
    f: &Field,
    m: &mut DModel,
    names: &BTreeMap<String, Span>,
    db: &Db,
    diags: &mut Vec<Diagnostic>,
) -> Option<DField> {
    let Some(ty) = &f.ty else {
        diags.push(
            Diagnostic::error(
                "missing-type",
                f.name.span,
                format!("field `{}` has no type", f.name.name),
            )
            .with_help("write the type after the name, e.g. `name String`"),
        );
        return None;
    };
    let (optional, list) = (ty.optional(), ty.list());
    if ty.modifiers.len() > 1 {
        diags.push(
            Diagnostic::error(
                "invalid-type-modifier",
                Span::new(ty.modifiers[0].1.start, ty.span.end),
                format!("type `{}` combines modifiers; a field is either optional (`?`) or a list (`[]`)", ty.text()),
            )
            .with_help("lists cannot be optional: an empty list means no value"),
        );
    }
    let name = &ty.name.name;
    let kind = if let Some(u) = &ty.unsupported {
        DKind::Unsupported(string_value(u).into_owned())
    } else if let Some(ct) = types::default_type(name) {
        DKind::Scalar(
            types::SCALARS
                .iter()
                .copied()
                .find(|s| s == name)
                .unwrap_or("String"),
            ct,
        )
    } else if db.enum_(name).is_some() {
        DKind::Enum(name.clone())
    } else if names.contains_key(name) {
        DKind::Relation(name.clone())
    } else {
        let candidates = types::SCALARS
            .iter()
            .copied()
            .chain(names.keys().map(String::as_str));
        diags.push(
            Diagnostic::error(
                "unknown-type",
                ty.name.span,
                format!("type `{name}` is neither a scalar type nor a declared model or enum"),
            )
            .with_help(did_you_mean(name, candidates).unwrap_or_else(|| {
                "scalar types are String, Boolean, Int, BigInt, Float, Decimal, DateTime, Json and Bytes".into()
            })),
        );
        DKind::Unknown
    };
    let mut df = DField {
        name: f.name.name.clone(),
        span: f.name.span,
        ty_span: ty.span,
        db: f.name.name.clone(),
        kind,
        optional,
        list,
        default: None,
        ignored: false,
        relation: None,
    };
    // Few attributes per field: a linear scan beats building a map for every field.
    let mut seen: Vec<&str> = Vec::with_capacity(f.attributes.len());
    let mut default_attr = None;
    for a in &f.attributes {
        let key = if a.name.name.starts_with("db.") {
            "db"
        } else {
            a.name.name.as_str()
        };
        let repeated = seen.contains(&key);
        seen.push(key);
        if repeated {
            diags.push(
                Diagnostic::error(
                    "duplicate-attribute",
                    a.span,
                    format!(
                        "attribute `@{}` can only be defined once on a field",
                        a.name.name
                    ),
                )
                .with_help("remove the repeated attribute"),
            );
            continue;
        }
        let relation = matches!(df.kind, DKind::Relation(_));
        match a.name.name.as_str() {
            "id" | "unique" if !relation => {
                let map = named_string(a, "map", &["map", "sort", "length", "clustered"], diags);
                if a.name.name == "id" {
                    if optional {
                        diags.push(Diagnostic::error(
                            "optional-id",
                            a.span,
                            format!("field `{}` is optional and cannot be the primary key", df.name),
                        ).with_help("remove the `?`"));
                    }
                    if m.primary.is_some() {
                        diags.push(Diagnostic::error(
                            "duplicate-id",
                            a.span,
                            format!("model `{}` already has a primary key", m.name),
                        ).with_help("use `@@id([a, b])` for a composite primary key"));
                    } else {
                        m.primary = Some(DKey { fields: vec![df.name.clone()], map, span: a.span });
                    }
                } else {
                    m.indexes.push(DIndex {
                        fields: vec![(df.name.clone(), SortOrder::Asc, None)],
                        unique: true,
                        map,
                        method: IndexMethod::BTree,
                        span: a.span,
                    });
                }
            }
            "default" if !relation => default_attr = Some(a),
            "updatedAt" if !relation => {
                if !matches!(df.kind, DKind::Scalar("DateTime", _) | DKind::Unknown) {
                    diags.push(
                        Diagnostic::error(
                            "updated-at-not-datetime",
                            a.span,
                            format!("`@updatedAt` is only allowed on DateTime fields, and `{}` is `{}`", df.name, ty.text()),
                        )
                        .with_help("change the type to `DateTime` or remove `@updatedAt`"),
                    );
                }
            }
            "map" if !relation => set_string_arg(&mut df.db, a, "@", diags),
            "ignore" => df.ignored = true,
            "relation" if relation => df.relation = Some(relation_attr(a, diags)),
            n if n.starts_with("db.") && !relation => native(a, &mut df, diags),
            "id" | "unique" | "default" | "updatedAt" | "map" | "relation" => diags.push(
                Diagnostic::error(
                    "invalid-attribute",
                    a.span,
                    format!(
                        "attribute `@{}` is not allowed on {} field `{}`",
                        a.name.name,
                        if relation { "relation" } else { "scalar" },
                        df.name
                    ),
                )
                .with_help(if relation {
                    "put `@id`, `@unique`, `@default` and `@map` on the scalar fields named in `fields:`"
                } else {
                    "`@relation` belongs on a field whose type is a model"
                }),
            ),
            other => {
                let n = other.strip_prefix("db.").unwrap_or(other);
                let help = match crate::diagnostics::closest(n, FIELD_ATTRIBUTES) {
                    Some("db") => "did you mean a native type `@db.…`?".to_string(),
                    Some(c) => format!("did you mean `@{c}`?"),
                    None => "field attributes are @id, @unique, @default, @updatedAt, @map, @ignore, @relation and @db.*".into(),
                };
                diags.push(
                    Diagnostic::error("unknown-attribute", a.name.span, format!("unknown attribute `@{other}`"))
                        .with_help(help),
                );
            }
        }
    }
    if !matches!(df.kind, DKind::Relation(_)) && df.db == df.name {
        super::check_db_name(&df.name, df.span, "column name", diags);
    }
    if let Some(a) = default_attr {
        df.default = super::defaults::default_value(a, &df, db, diags);
    }
    Some(df)
}

/// Reads a named string argument (`map: "x"`), checking that only `allowed` names appear.
pub(crate) fn named_string(
    a: &Attribute,
    key: &str,
    allowed: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let mut out = None;
    for arg in a.arguments() {
        let Some(n) = &arg.name else {
            diags.push(Diagnostic::error(
                "invalid-argument",
                arg.span,
                format!("`@{}` takes only named arguments here", a.name.name),
            ));
            continue;
        };
        if !allowed.contains(&n.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "unknown-argument",
                    n.span,
                    format!("unknown argument `{}` for `{}`", n.name, a.name.name),
                )
                .with_help_opt(did_you_mean(&n.name, allowed.iter().copied())),
            );
        } else if n.name == key {
            match &arg.value {
                Expr::String(s, _) if !s.is_empty() => out = Some(string_value(s).into_owned()),
                other => diags.push(Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    format!(
                        "`{key}:` expects a non-empty string, found {}",
                        other.describe()
                    ),
                )),
            }
        }
    }
    if let Some(n) = &out
        && !super::check_db_name(n, a.span, "constraint name", diags)
    {
        return None;
    }
    out
}

fn native(a: &Attribute, df: &mut DField, diags: &mut Vec<Diagnostic>) {
    let n = a.name.name.trim_start_matches("db.");
    let Some((_, scalar, arity)) = types::native(n) else {
        diags.push(
            Diagnostic::error(
                "unknown-native-type",
                a.name.span,
                format!("unknown native type `@db.{n}`"),
            )
            .with_help_opt(
                crate::diagnostics::closest(n, types::NATIVE_TYPES.iter().map(|t| t.0))
                    .map(|c| format!("did you mean `@db.{c}`?")),
            ),
        );
        return;
    };
    let DKind::Scalar(field_scalar, _) = df.kind else {
        if df.kind != DKind::Unknown {
            diags.push(Diagnostic::error(
                "native-type-mismatch",
                a.span,
                format!("`@db.{n}` can only be used on a `{scalar}` field"),
            ));
        }
        return;
    };
    if field_scalar != scalar {
        diags.push(
            Diagnostic::error(
                "native-type-mismatch",
                a.span,
                format!("`@db.{n}` cannot be used on a `{field_scalar}` field"),
            )
            .with_help(format!("`@db.{n}` applies to `{scalar}` fields")),
        );
        return;
    }
    let mut nums = Vec::new();
    for arg in a.arguments() {
        match &arg.value {
            Expr::Number(v, _) if arg.name.is_none() && v.parse::<u32>().is_ok() => {
                nums.push(v.parse::<u32>().unwrap_or(0))
            }
            other => {
                diags.push(Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    format!(
                        "`@db.{n}` expects whole numbers as arguments, found {}",
                        other.describe()
                    ),
                ));
                return;
            }
        }
    }
    let ok = match arity {
        Arity::Zero => nums.is_empty() && a.args.is_none(),
        Arity::OptionalOne => nums.len() <= 1,
        Arity::OptionalTwo => nums.len() == 2 || nums.is_empty(),
    };
    if !ok {
        let usage = match arity {
            Arity::Zero => format!("`@db.{n}` takes no arguments"),
            Arity::OptionalOne => {
                format!("`@db.{n}` takes at most one argument, e.g. `@db.{n}(3)`")
            }
            Arity::OptionalTwo => {
                format!("`@db.{n}` takes a precision and a scale, e.g. `@db.{n}(10, 2)`")
            }
        };
        diags.push(Diagnostic::error("invalid-argument", a.span, usage));
        return;
    }
    if let Some(ct) = types::native_column_type(n, &nums) {
        df.kind = DKind::Scalar(scalar, ct);
    }
}

/// Parses a referential action name.
pub(crate) fn action(name: &str) -> Option<ReferentialAction> {
    Some(match name {
        "Cascade" => ReferentialAction::Cascade,
        "Restrict" => ReferentialAction::Restrict,
        "NoAction" => ReferentialAction::NoAction,
        "SetNull" => ReferentialAction::SetNull,
        "SetDefault" => ReferentialAction::SetDefault,
        _ => return None,
    })
}

/// Field names in a list argument (`[a, b]`).
pub(crate) fn field_list(e: &Expr, what: &str, diags: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
    match e {
        Expr::Array(items, _) => items
            .iter()
            .filter_map(|i| match i {
                Expr::Constant(c, s) => Some((c.clone(), *s)),
                other => {
                    diags.push(Diagnostic::error(
                        "invalid-argument",
                        other.span(),
                        format!("`{what}` lists field names, found {}", other.describe()),
                    ));
                    None
                }
            })
            .collect(),
        Expr::Constant(c, s) => vec![(c.clone(), *s)],
        other => {
            diags.push(
                Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    format!("`{what}` expects a list of fields"),
                )
                .with_help(format!("write `{what}: [a, b]`")),
            );
            Vec::new()
        }
    }
}

fn relation_attr(a: &Attribute, diags: &mut Vec<Diagnostic>) -> RelAttr {
    let mut r = RelAttr {
        span: a.span,
        ..RelAttr::default()
    };
    const ARGS: [&str; 6] = [
        "name",
        "fields",
        "references",
        "onDelete",
        "onUpdate",
        "map",
    ];
    for (i, arg) in a.arguments().iter().enumerate() {
        let key = match &arg.name {
            Some(n) => n.name.as_str(),
            None if i == 0 => "name",
            None => {
                diags.push(Diagnostic::error(
                    "invalid-argument",
                    arg.span,
                    "only the relation name can be given without `name:`",
                ));
                continue;
            }
        };
        match key {
            "name" | "map" => match &arg.value {
                Expr::String(s, _) if !s.is_empty() => {
                    let value = Some(string_value(s).into_owned());
                    if key == "name" {
                        r.name = value
                    } else if value.as_deref().is_some_and(|v| {
                        super::check_db_name(v, arg.value.span(), "constraint name", diags)
                    }) {
                        r.map = value
                    }
                }
                other => diags.push(Diagnostic::error(
                    "invalid-argument",
                    other.span(),
                    format!(
                        "`{key}` expects a non-empty string, found {}",
                        other.describe()
                    ),
                )),
            },
            "fields" => r.fields = field_list(&arg.value, "fields", diags),
            "references" => r.references = field_list(&arg.value, "references", diags),
            "onDelete" | "onUpdate" => {
                let act = match &arg.value {
                    Expr::Constant(c, _) => action(c),
                    _ => None,
                };
                match act {
                    Some(act) if key == "onDelete" => r.on_delete = Some(act),
                    Some(act) => r.on_update = Some(act),
                    None => {
                        let text = arg.value.render();
                        diags.push(
                            Diagnostic::error(
                                "invalid-argument",
                                arg.value.span(),
                                format!("`{text}` is not a referential action"),
                            )
                            .with_help(did_you_mean(&text, ["Cascade", "Restrict", "NoAction", "SetNull", "SetDefault"]).unwrap_or_else(|| {
                                "actions are Cascade, Restrict, NoAction, SetNull and SetDefault".into()
                            })),
                        )
                    }
                }
            }
            other => diags.push(
                Diagnostic::error(
                    "unknown-argument",
                    arg.span,
                    format!("unknown argument `{other}` for `@relation`"),
                )
                .with_help_opt(did_you_mean(other, ARGS)),
            ),
        }
    }
    r
}
