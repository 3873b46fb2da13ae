//! PostgreSQL text pieces: the ONE identifier quoting function, the ONE literal quoting
//! function, type names and defaults (Prisma-compatible spelling). Whole statements are the
//! typed values of `ddl`.
//!
//! Every name is quoted and schema-qualified (`"public"."User"`); every literal goes through
//! [`quote_literal`], which stays correct whatever `standard_conforming_strings` is.

use schemadiff_model::{ColumnType, DefaultValue, QualifiedName};

/// Quotes an identifier: `"` around it, inner `"` doubled. Always quotes.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes a string literal. `'` is doubled; a value holding `\` is written as an `E'…'`
/// literal with `\` doubled, so it means the same with or without
/// `standard_conforming_strings`.
pub fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// `"schema"."name"`.
pub fn qname(n: &QualifiedName) -> String {
    format!("{}.{}", quote_ident(&n.schema), quote_ident(&n.name))
}

fn with_mod(base: &str, m: &Option<u32>) -> String {
    match m {
        Some(n) => format!("{base}({n})"),
        None => base.to_string(),
    }
}

/// The SQL spelling of a column type (upper case, as Prisma writes it; enums quoted).
pub fn sql_type(t: &ColumnType) -> String {
    match t {
        ColumnType::Text => "TEXT".into(),
        ColumnType::VarChar(n) => with_mod("VARCHAR", n),
        ColumnType::Char(n) => with_mod("CHAR", n),
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::SmallInt => "SMALLINT".into(),
        ColumnType::Integer => "INTEGER".into(),
        ColumnType::BigInt => "BIGINT".into(),
        ColumnType::Real => "REAL".into(),
        ColumnType::DoublePrecision => "DOUBLE PRECISION".into(),
        ColumnType::Decimal(Some((p, s))) => format!("DECIMAL({p},{s})"),
        ColumnType::Decimal(None) => "DECIMAL".into(),
        ColumnType::Money => "MONEY".into(),
        ColumnType::Timestamp(p) => with_mod("TIMESTAMP", p),
        ColumnType::Timestamptz(p) => with_mod("TIMESTAMPTZ", p),
        ColumnType::Date => "DATE".into(),
        ColumnType::Time(p) => with_mod("TIME", p),
        ColumnType::Timetz(p) => with_mod("TIMETZ", p),
        ColumnType::Json => "JSON".into(),
        ColumnType::Jsonb => "JSONB".into(),
        ColumnType::Uuid => "UUID".into(),
        ColumnType::Bytea => "BYTEA".into(),
        ColumnType::Inet => "INET".into(),
        ColumnType::Xml => "XML".into(),
        ColumnType::Citext => "CITEXT".into(),
        ColumnType::Oid => "OID".into(),
        ColumnType::Bit(n) => with_mod("BIT", n),
        ColumnType::VarBit(n) => with_mod("VARBIT", n),
        ColumnType::Enum(n) => qname(n),
        ColumnType::Array(inner) => format!("{}[]", sql_type(inner)),
        ColumnType::Other(s) => s.clone(),
    }
}

/// The SQL expression of a default, or `None` for `autoincrement()` (a serial type instead)
/// and for `dbgenerated()` without an expression (no default is created).
pub fn default_sql(d: &DefaultValue, ty: &ColumnType) -> Option<String> {
    Some(match d {
        DefaultValue::String(s) | DefaultValue::EnumValue(s) => quote_literal(s),
        DefaultValue::Number(n) => n.clone(),
        DefaultValue::Boolean(b) => b.to_string(),
        DefaultValue::Now => "CURRENT_TIMESTAMP".into(),
        DefaultValue::Autoincrement | DefaultValue::Unmanaged => return None,
        DefaultValue::Expression(e) => e.clone(),
        DefaultValue::List(items) => {
            let inner = match ty {
                ColumnType::Array(inner) => inner.as_ref(),
                other => other,
            };
            let parts: Vec<String> = items.iter().filter_map(|i| default_sql(i, inner)).collect();
            format!("ARRAY[{}]::{}", parts.join(", "), sql_type(ty))
        }
    })
}

/// `"a", "b"`.
pub fn ident_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A dollar-quote tag that does not occur in `body`.
pub fn dollar_tag(body: &str) -> String {
    let mut n = 0;
    loop {
        let tag = if n == 0 {
            "$sd$".to_string()
        } else {
            format!("$sd{n}$")
        };
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_handles_quotes_and_backslashes() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
    }

    #[test]
    fn dollar_tag_avoids_the_body() {
        assert_eq!(dollar_tag("x"), "$sd$");
        assert_eq!(dollar_tag("x $sd$ y"), "$sd1$");
    }
}
