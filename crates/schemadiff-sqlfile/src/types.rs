//! SQL column types and `DEFAULT` expressions → the model's `ColumnType` / `DefaultValue`.
//!
//! Types follow what introspection reports after PostgreSQL normalised them: `char` is
//! `char(1)`, `numeric(p)` is `numeric(p,0)`, `float(p≤24)` is `real`, `serial` is `integer`
//! with an owned sequence (`Autoincrement`). A name that is a known enum becomes `Enum`;
//! any other name is kept as `Other` in lower case.

use crate::names;
use schemadiff_model::{ColumnType, DefaultValue, QualifiedName, Schema};
use sqlparser::ast::{
    ArrayElemTypeDef, CharacterLength, DataType, ExactNumberInfo, Expr, ObjectName, TimezoneInfo,
    TypeModifier, UnaryOperator, Value,
};

/// A resolved column type, plus whether it was a `serial` pseudo-type.
pub struct Resolved {
    pub ty: ColumnType,
    pub serial: bool,
}

fn len(l: &Option<CharacterLength>) -> Option<u32> {
    match l {
        Some(CharacterLength::IntegerLength { length, .. }) => u32::try_from(*length).ok(),
        _ => None,
    }
}

fn prec(p: &Option<u64>) -> Option<u32> {
    p.and_then(|v| u32::try_from(v).ok())
}

fn numeric(info: &ExactNumberInfo) -> ColumnType {
    match info {
        ExactNumberInfo::None => ColumnType::Decimal(None),
        ExactNumberInfo::Precision(p) => ColumnType::Decimal(Some((*p as u32, 0))),
        ExactNumberInfo::PrecisionAndScale(p, s) if *s >= 0 => {
            ColumnType::Decimal(Some((*p as u32, *s as u32)))
        }
        other => ColumnType::Other(format!("numeric{other}")),
    }
}

/// Resolves a SQL data type. `default_schema` resolves unqualified enum names.
pub fn resolve(dt: &DataType, schema: &Schema, default_schema: &str) -> Resolved {
    let plain = |ty| Resolved { ty, serial: false };
    let ty = match dt {
        DataType::Text => ColumnType::Text,
        DataType::Varchar(l) | DataType::CharacterVarying(l) | DataType::CharVarying(l) => {
            ColumnType::VarChar(len(l))
        }
        DataType::Char(l) | DataType::Character(l) => ColumnType::Char(Some(len(l).unwrap_or(1))),
        DataType::Uuid => ColumnType::Uuid,
        DataType::Bytea => ColumnType::Bytea,
        DataType::JSON => ColumnType::Json,
        DataType::JSONB => ColumnType::Jsonb,
        DataType::Bool | DataType::Boolean => ColumnType::Boolean,
        DataType::SmallInt(_) | DataType::Int2(_) => ColumnType::SmallInt,
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => ColumnType::Integer,
        DataType::BigInt(_) | DataType::Int8(_) => ColumnType::BigInt,
        DataType::Real | DataType::Float4 => ColumnType::Real,
        DataType::DoublePrecision | DataType::Float8 | DataType::Double(_) => {
            ColumnType::DoublePrecision
        }
        DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => ColumnType::Real,
        DataType::Float(_) => ColumnType::DoublePrecision,
        DataType::Numeric(i) | DataType::Decimal(i) | DataType::Dec(i) => numeric(i),
        DataType::Date => ColumnType::Date,
        DataType::Timestamp(p, tz) => match tz {
            TimezoneInfo::WithTimeZone | TimezoneInfo::Tz => ColumnType::Timestamptz(prec(p)),
            _ => ColumnType::Timestamp(prec(p)),
        },
        DataType::Time(p, tz) => match tz {
            TimezoneInfo::WithTimeZone | TimezoneInfo::Tz => ColumnType::Timetz(prec(p)),
            _ => ColumnType::Time(prec(p)),
        },
        DataType::Bit(n) => ColumnType::Bit(Some(prec(n).unwrap_or(1))),
        DataType::BitVarying(n) | DataType::VarBit(n) => ColumnType::VarBit(prec(n)),
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::AngleBracket(inner),
        ) => {
            let inner = resolve(inner, schema, default_schema);
            ColumnType::Array(Box::new(inner.ty))
        }
        DataType::Custom(name, mods) => return custom(name, mods, schema, default_schema),
        other => ColumnType::Other(other.to_string().to_ascii_lowercase()),
    };
    plain(ty)
}

fn custom(
    name: &ObjectName,
    mods: &[TypeModifier],
    schema: &Schema,
    default_schema: &str,
) -> Resolved {
    let q = names::qualified(name, default_schema);
    let mut out = Resolved {
        ty: ColumnType::Other(String::new()),
        serial: false,
    };
    if schema.enums.contains_key(&q) {
        out.ty = ColumnType::Enum(q);
        return out;
    }
    if !names::is_qualified(name) && default_schema != QualifiedName::DEFAULT_SCHEMA {
        let p = QualifiedName::public(q.name.clone());
        if schema.enums.contains_key(&p) {
            out.ty = ColumnType::Enum(p);
            return out;
        }
    }
    let m: Option<u32> = mods.first().and_then(|m| m.to_string().parse().ok());
    let base = q.name.to_ascii_lowercase();
    out.ty = match base.as_str() {
        "serial" | "serial4" => {
            out.serial = true;
            ColumnType::Integer
        }
        "bigserial" | "serial8" => {
            out.serial = true;
            ColumnType::BigInt
        }
        "smallserial" | "serial2" => {
            out.serial = true;
            ColumnType::SmallInt
        }
        "timestamptz" => ColumnType::Timestamptz(m),
        "timetz" => ColumnType::Timetz(m),
        "citext" => ColumnType::Citext,
        "inet" => ColumnType::Inet,
        "xml" => ColumnType::Xml,
        "oid" => ColumnType::Oid,
        "money" => ColumnType::Money,
        "float4" => ColumnType::Real,
        "float8" => ColumnType::DoublePrecision,
        "int2" => ColumnType::SmallInt,
        "int4" => ColumnType::Integer,
        "int8" => ColumnType::BigInt,
        "bool" => ColumnType::Boolean,
        "varbit" => ColumnType::VarBit(m),
        _ => {
            let mut s = q.name.clone();
            if !mods.is_empty() {
                let ms: Vec<String> = mods.iter().map(|m| m.to_string()).collect();
                s = format!("{s}({})", ms.join(","));
            }
            ColumnType::Other(s)
        }
    };
    out
}

/// Maps a `DEFAULT` expression of a column of type `ty`. `None` for `DEFAULT NULL`, which
/// PostgreSQL does not store.
pub fn default_value(expr: &Expr, ty: &ColumnType) -> Option<DefaultValue> {
    Some(match expr {
        Expr::Nested(e) => return default_value(e, ty),
        Expr::Cast { expr: inner, .. } => {
            return match default_value(inner, ty) {
                Some(DefaultValue::Expression(_)) => {
                    Some(DefaultValue::Expression(expr.to_string()))
                }
                other => other,
            };
        }
        Expr::Value(v) => match &v.value {
            Value::Null => return None,
            Value::Number(n, _) => DefaultValue::Number(n.clone()),
            Value::Boolean(b) => DefaultValue::Boolean(*b),
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => string_default(s, ty),
            _ => DefaultValue::Expression(expr.to_string()),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: inner,
        } => match inner.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => DefaultValue::Number(format!("-{n}")),
                _ => DefaultValue::Expression(expr.to_string()),
            },
            _ => DefaultValue::Expression(expr.to_string()),
        },
        Expr::Array(a) => {
            let elem = match ty {
                ColumnType::Array(inner) => inner.as_ref().clone(),
                other => other.clone(),
            };
            let mut items = Vec::new();
            for e in &a.elem {
                match default_value(e, &elem) {
                    Some(d) => items.push(d),
                    None => return Some(DefaultValue::Expression(expr.to_string())),
                }
            }
            DefaultValue::List(items)
        }
        Expr::Function(f) => {
            let name = names::parts(&f.name).join(".").to_ascii_lowercase();
            match name.as_str() {
                "current_timestamp" | "now" | "pg_catalog.now" => DefaultValue::Now,
                "nextval" | "pg_catalog.nextval" => DefaultValue::Autoincrement,
                _ => DefaultValue::Expression(expr.to_string()),
            }
        }
        _ => DefaultValue::Expression(expr.to_string()),
    })
}

fn string_default(s: &str, ty: &ColumnType) -> DefaultValue {
    match ty {
        ColumnType::Enum(_) => DefaultValue::EnumValue(s.to_string()),
        ColumnType::Array(inner) => match parse_array_literal(s) {
            Some(items) => DefaultValue::List(
                items
                    .into_iter()
                    .map(|i| scalar_from_text(&i, inner))
                    .collect(),
            ),
            None => DefaultValue::String(s.to_string()),
        },
        t if t.is_numeric() && is_number(s) => DefaultValue::Number(s.trim().to_string()),
        ColumnType::Boolean => match s.to_ascii_lowercase().as_str() {
            "t" | "true" => DefaultValue::Boolean(true),
            "f" | "false" => DefaultValue::Boolean(false),
            _ => DefaultValue::String(s.to_string()),
        },
        _ => DefaultValue::String(s.to_string()),
    }
}

fn is_number(s: &str) -> bool {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
}

fn scalar_from_text(s: &str, ty: &ColumnType) -> DefaultValue {
    string_default(s, ty)
}

/// Parses a one-dimensional array literal `{a,"b c",d}` into its elements.
fn parse_array_literal(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.trim().is_empty() {
        return Some(items);
    }
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.push(chars.next()?),
            ',' if !quoted => items.push(std::mem::take(&mut cur).trim().to_string()),
            '{' | '}' if !quoted => return None,
            c => cur.push(c),
        }
    }
    items.push(cur.trim().to_string());
    Some(items)
}

/// Re-interprets a default after the column's type changed (e.g. text → enum).
pub fn retype_default(d: DefaultValue, ty: &ColumnType) -> DefaultValue {
    match (d, ty) {
        (DefaultValue::String(s), ColumnType::Enum(_)) => DefaultValue::EnumValue(s),
        (DefaultValue::EnumValue(s), t) if !matches!(t, ColumnType::Enum(_)) => {
            DefaultValue::String(s)
        }
        (d, _) => d,
    }
}
