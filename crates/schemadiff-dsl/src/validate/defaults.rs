//! Default values (`@default(…)`): literals, enum values, functions and lists, checked against
//! the field's type and turned into model defaults.

use super::{DField, DKind, Db};
use crate::ast::*;
use crate::diagnostics::{Diagnostic, did_you_mean};
use schemadiff_model::DefaultValue;

pub(crate) fn default_value(
    a: &Attribute,
    df: &DField,
    db: &Db,
    diags: &mut Vec<Diagnostic>,
) -> Option<DefaultValue> {
    let args = a.arguments();
    let value = args
        .iter()
        .find(|x| x.name.as_ref().is_none_or(|n| n.name == "value"));
    for x in args {
        if let Some(n) = &x.name
            && n.name != "value"
            && n.name != "map"
        {
            diags.push(Diagnostic::error(
                "unknown-argument",
                n.span,
                format!("unknown argument `{}` for `@default`", n.name),
            ));
        }
    }
    let Some(value) = value else {
        diags.push(
            Diagnostic::error("missing-argument", a.span, "`@default` needs a value")
                .with_help("e.g. `@default(0)`, `@default(\"x\")` or `@default(now())`"),
        );
        return None;
    };
    if df.list {
        return match &value.value {
            Expr::Array(items, _) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(single_default(i, df, db, diags)?);
                }
                Some(DefaultValue::List(out.into_iter().flatten().collect()))
            }
            Expr::Function(..) => single_default(&value.value, df, db, diags).flatten(),
            other => {
                diags.push(
                    Diagnostic::error(
                        "default-type-mismatch",
                        other.span(),
                        format!("the default of list field `{}` must be a list", df.name),
                    )
                    .with_help("write `@default([])` or `@default([a, b])`"),
                );
                None
            }
        };
    }
    single_default(&value.value, df, db, diags).flatten()
}

/// One default value: `Some(None)` is a valid client-side default, `None` an error.
fn single_default(
    e: &Expr,
    df: &DField,
    db: &Db,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<DefaultValue>> {
    let scalar = match &df.kind {
        DKind::Scalar(s, _) => *s,
        DKind::Enum(_) => "enum",
        DKind::Unsupported(_) => "Unsupported",
        _ => return Some(None),
    };
    let mismatch = |diags: &mut Vec<Diagnostic>, what: &str| {
        diags.push(Diagnostic::error(
            "default-type-mismatch",
            e.span(),
            format!(
                "{what} is not a valid default for field `{}` of type `{scalar}`",
                df.name
            ),
        ));
        None
    };
    match e {
        Expr::String(s, _) => match scalar {
            "String" | "Json" | "DateTime" | "Bytes" => {
                Some(Some(DefaultValue::String(string_value(s).into_owned())))
            }
            // A number written as a string (`@default("2.00")`) is the number: the column's
            // default is the numeric literal, as the database reads it back.
            "Decimal" | "BigInt" => {
                let text = string_value(s);
                let text = text.trim();
                if is_number(text, scalar == "Decimal") {
                    Some(Some(DefaultValue::Number(text.to_string())))
                } else {
                    let kind = if scalar == "Decimal" {
                        "number"
                    } else {
                        "whole number"
                    };
                    mismatch(diags, &format!("\"{text}\", which is not a {kind},"))
                }
            }
            "enum" => {
                diags.push(
                    Diagnostic::error(
                        "default-type-mismatch",
                        e.span(),
                        "enum defaults are written without quotes",
                    )
                    .with_help(format!("write `@default({s})`")),
                );
                None
            }
            _ => mismatch(diags, "a string"),
        },
        Expr::Number(n, _) => match scalar {
            "Int" | "BigInt" if !n.contains('.') => Some(Some(DefaultValue::Number(n.clone()))),
            "Float" | "Decimal" => Some(Some(DefaultValue::Number(n.clone()))),
            _ => mismatch(diags, &format!("the number `{n}`")),
        },
        Expr::Constant(c, _) if c == "true" || c == "false" => match scalar {
            "Boolean" => Some(Some(DefaultValue::Boolean(c == "true"))),
            _ => mismatch(diags, &format!("`{c}`")),
        },
        Expr::Constant(c, span) => match &df.kind {
            DKind::Enum(en) => {
                let Some(e) = db.enum_(en) else {
                    return Some(None);
                };
                match e.values.iter().find(|(n, _)| n == c) {
                    Some((_, dbv)) => Some(Some(DefaultValue::EnumValue(dbv.clone()))),
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "unknown-enum-value",
                                *span,
                                format!("`{c}` is not a value of enum `{en}`"),
                            )
                            .with_help(
                                did_you_mean(c, e.values.iter().map(|(n, _)| n.as_str()))
                                    .unwrap_or_else(|| {
                                        let all: Vec<&str> =
                                            e.values.iter().map(|(n, _)| n.as_str()).collect();
                                        format!("the values are: {}", all.join(", "))
                                    }),
                            ),
                        );
                        None
                    }
                }
            }
            _ => mismatch(diags, &format!("`{c}`")),
        },
        Expr::Function(name, fargs, _) => {
            let ok = |v: Option<DefaultValue>| Some(v);
            match name.name.as_str() {
                "now" if scalar == "DateTime" => ok(Some(DefaultValue::Now)),
                "autoincrement" if matches!(scalar, "Int" | "BigInt") => {
                    ok(Some(DefaultValue::Autoincrement))
                }
                "dbgenerated" => match fargs.first().map(|a| &a.value) {
                    Some(Expr::String(s, _)) => {
                        ok(Some(DefaultValue::Expression(string_value(s).into_owned())))
                    }
                    // `dbgenerated()` without an expression: the database fills the value in a
                    // way the schema does not describe (a trigger, a default set by hand).
                    // Prisma creates no default for it and leaves the database's alone; so does
                    // the plan.
                    None => ok(Some(DefaultValue::Unmanaged)),
                    _ => {
                        diags.push(
                            Diagnostic::error(
                                "invalid-argument",
                                e.span(),
                                "`dbgenerated` needs the SQL expression as a string",
                            )
                            .with_help("e.g. `dbgenerated(\"gen_random_uuid()\")`"),
                        );
                        None
                    }
                },
                "cuid" | "uuid" | "nanoid" | "ulid" if scalar == "String" => ok(None),
                "now" | "autoincrement" | "cuid" | "uuid" | "nanoid" | "ulid" => {
                    mismatch(diags, &format!("`{}()`", name.name))
                }
                other => {
                    diags.push(
                        Diagnostic::error("unknown-function", name.span, format!("unknown default function `{other}()`"))
                            .with_help(did_you_mean(other, ["now", "autoincrement", "dbgenerated", "cuid", "uuid", "nanoid", "ulid"])
                                .unwrap_or_else(|| "default functions are now(), autoincrement(), dbgenerated(\"…\"), cuid(), uuid(), nanoid() and ulid()".into())),
                    );
                    None
                }
            }
        }
        Expr::Array(..) => mismatch(diags, "a list"),
    }
}

/// True for a plain decimal literal (`-12`, `2.00`; a fraction only when `fraction`).
fn is_number(text: &str, fraction: bool) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) if fraction => (i, Some(f)),
        Some(_) => return false,
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}
