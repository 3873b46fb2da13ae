//! Data-preserving column casts: the `USING` expression of a type change, the generated
//! legacy-value → enum-value mapping, and the guard that stops the migration before any
//! table is rewritten when a value maps to nothing.

use crate::sqltext::{dollar_tag, qname, quote_ident, quote_literal, sql_type};
use crate::{MappingEntry, MappingSource, ValueMapping};
use schemadiff_model::{ColumnType, QualifiedName};
use serde::Serialize;

/// The name-match key: letters and digits only, upper case (`'Google Ads'` → `GOOGLEADS`).
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The SQL of the same normalisation, applied to an expression.
fn normalize_sql(expr: &str) -> String {
    format!("upper(regexp_replace({expr}, '[^A-Za-z0-9]', '', 'g'))")
}

/// How a column's old values become values of the new enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumCast {
    /// The mapping (explicit entries first, then name matches).
    pub mapping: ValueMapping,
    /// What NULL becomes (`None`: stays NULL), as an enum value.
    pub null_value: Option<String>,
}

impl EnumCast {
    /// `CASE … END` over `src` (a text expression) giving the enum value as text; unmapped
    /// values give `else_expr` (or NULL when `None`).
    pub fn case_sql(&self, src: &str, else_expr: Option<&str>) -> String {
        let mut s = String::from("CASE");
        if let Some(v) = &self.null_value {
            s.push_str(&format!(" WHEN {src} IS NULL THEN {}", quote_literal(v)));
        }
        for e in self.entries(MappingSource::MappingFile) {
            s.push_str(&format!(
                " WHEN {src} = {} THEN {}",
                quote_literal(&e.legacy),
                quote_literal(&e.value)
            ));
        }
        // Values already spelled exactly as an enum value that name matching would give
        // itself: a plain comparison, so most rows of a clean column never reach the
        // normalisation below. Same result as the name match, only cheaper.
        let identical = self.identical_labels();
        if !identical.is_empty() {
            let list: Vec<String> = identical.iter().map(|l| quote_literal(l)).collect();
            s.push_str(&format!(" WHEN {src} IN ({}) THEN {src}", list.join(", ")));
        }
        // Name matches: one simple CASE over the normalised value, so the normalisation
        // runs once per row, not once per enum value.
        let mut names = self.entries(MappingSource::NameMatch).peekable();
        let mut tail = else_expr.map(|e| format!(" ELSE {e}")).unwrap_or_default();
        if names.peek().is_some() {
            let mut inner = format!(" ELSE CASE {}", normalize_sql(src));
            for e in names {
                inner.push_str(&format!(
                    " WHEN {} THEN {}",
                    quote_literal(&e.legacy),
                    quote_literal(&e.value)
                ));
            }
            inner.push_str(&tail);
            inner.push_str(" END");
            tail = inner;
        }
        s.push_str(&tail);
        s.push_str(" END");
        s
    }

    fn entries(&self, source: MappingSource) -> impl Iterator<Item = &MappingEntry> {
        self.mapping
            .entries
            .iter()
            .filter(move |e| e.source == source)
    }

    /// The enum values that name matching gives for their own spelling: each name-match
    /// rule's value (a value whose key an earlier value already took has no rule), in enum
    /// order.
    fn identical_labels(&self) -> Vec<&str> {
        self.entries(MappingSource::NameMatch)
            .map(|e| e.value.as_str())
            .collect()
    }

    /// The `USING` expression: unmapped values fall to `src::"E"`, which fails loudly (the
    /// CASE stays text throughout and is cast to the enum once).
    pub fn using_sql(&self, src: &str) -> String {
        let target = qname(&self.mapping.enum_name);
        format!(
            "({})::{target}",
            self.case_sql(src, Some(&format!("{src}::{target}::text")))
        )
    }

    /// A `DO` block that raises, naming the table, the column and every value that maps to
    /// nothing, before anything has changed.
    pub fn guard_sql(&self, table: &QualifiedName, column: &str, src_of_v: &str) -> String {
        let case = self.case_sql("v", None);
        let msg = format!(
            "schemadiff: column {}.{} holds values that map to no value of enum {}: ",
            table, column, self.mapping.enum_name
        )
        .replace('%', "%%")
            + "%";
        let hint = format!(
            "map them in the mapping file under [values.<Model>.<field>] for {}.{}",
            table, column
        )
        .replace('%', "%%");
        let body = format!(
            "\nDECLARE bad text;\nBEGIN\n  SELECT string_agg(DISTINCT quote_literal(v), ', ' ORDER BY quote_literal(v)) INTO bad\n    FROM (SELECT DISTINCT {src_of_v} AS v FROM {}) AS s\n   WHERE v IS NOT NULL AND ({case}) IS NULL;\n  IF bad IS NOT NULL THEN\n    RAISE EXCEPTION {} , bad USING HINT = {};\n  END IF;\nEND\n",
            qname(table),
            quote_literal(&msg),
            quote_literal(&hint)
        );
        let tag = dollar_tag(&body);
        format!("DO {tag}{body}{tag}")
    }
}

/// Builds the mapping of a column cast to enum `enum_name` with labels `values`:
/// explicit entries (mapping file) first, then one name-match rule per label.
/// Returns the mapping and warnings (explicit entries overriding a name match, ambiguous
/// name matches).
pub fn build_enum_mapping(
    table: &QualifiedName,
    column: &str,
    enum_name: &QualifiedName,
    values: &[String],
    explicit: Option<&std::collections::BTreeMap<String, String>>,
) -> (ValueMapping, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    if let Some(ex) = explicit {
        for (legacy, value) in ex {
            let key = normalize(legacy);
            if let Some(natural) = values.iter().find(|v| normalize(v) == key && *v != value) {
                warnings.push(format!(
                    "{table}.{column}: the mapping file maps '{legacy}' to {value}, overriding the name match {natural}"
                ));
            }
            entries.push(MappingEntry {
                legacy: legacy.clone(),
                value: value.clone(),
                source: MappingSource::MappingFile,
            });
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for v in values {
        let key = normalize(v);
        if key.is_empty() {
            continue;
        }
        if seen.contains(&key) {
            warnings.push(format!(
                "{table}.{column}: enum {enum_name} has several values that match '{key}' by name; the first wins"
            ));
            continue;
        }
        seen.push(key.clone());
        entries.push(MappingEntry {
            legacy: key,
            value: v.clone(),
            source: MappingSource::NameMatch,
        });
    }
    (
        ValueMapping {
            table: table.clone(),
            column: column.to_string(),
            enum_name: enum_name.clone(),
            entries,
        },
        warnings,
    )
}

/// How a type change that is not a mapping to an enum is cast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Safety {
    /// No value can be lost or rejected.
    Safe,
    /// Values may be cut, rounded or rejected (`narrowing-cast`).
    Narrowing,
    /// PostgreSQL may reject values, or there is no cast (`not-castable`).
    NotCastable,
}

/// Rank of an integer-like type.
fn int_rank(t: &ColumnType) -> Option<u8> {
    match t {
        ColumnType::SmallInt => Some(1),
        ColumnType::Integer => Some(2),
        ColumnType::BigInt => Some(3),
        _ => None,
    }
}

fn text_len(t: &ColumnType) -> Option<Option<u32>> {
    match t {
        ColumnType::Text | ColumnType::Citext => Some(None),
        ColumnType::VarChar(n) | ColumnType::Char(n) => Some(*n),
        _ => None,
    }
}

/// Classifies a plain cast `from` → `to`.
pub fn classify(from: &ColumnType, to: &ColumnType) -> Safety {
    use ColumnType as T;
    if let (Some(a), Some(b)) = (text_len(from), text_len(to)) {
        return match (a, b) {
            (_, None) => Safety::Safe,
            (None, Some(_)) => Safety::Narrowing,
            (Some(x), Some(y)) if y < x => Safety::Narrowing,
            _ => Safety::Safe,
        };
    }
    if to.is_textual() && text_len(to) == Some(None) {
        return Safety::Safe;
    }
    if let (Some(a), Some(b)) = (int_rank(from), int_rank(to)) {
        return if b >= a {
            Safety::Safe
        } else {
            Safety::Narrowing
        };
    }
    match (from, to) {
        // The same enum, recreated: every label that still exists casts; removed labels are
        // the `enum-value-removed` hazard of the enum itself.
        (T::Array(a), T::Array(b)) if a == b => Safety::Safe,
        (T::Array(a), T::Array(b)) => classify(a, b),
        (f, T::Decimal(None) | T::DoublePrecision) if int_rank(f).is_some() => Safety::Safe,
        (T::Real, T::DoublePrecision) => Safety::Safe,
        (T::Decimal(Some((p, s))), T::Decimal(Some((p2, s2)))) => {
            if p2 - s2.min(p2) >= p - s.min(p) && s2 >= s {
                Safety::Safe
            } else {
                Safety::Narrowing
            }
        }
        (T::Decimal(Some(_)), T::Decimal(None)) => Safety::Safe,
        (T::Timestamp(a), T::Timestamp(b))
        | (T::Timestamptz(a), T::Timestamptz(b))
        | (T::Time(a), T::Time(b)) => {
            if b.unwrap_or(6) >= a.unwrap_or(6) {
                Safety::Safe
            } else {
                Safety::Narrowing
            }
        }
        (T::Timestamp(_), T::Timestamptz(_)) | (T::Timestamptz(_), T::Timestamp(_)) => Safety::Safe,
        (T::Date, T::Timestamp(_) | T::Timestamptz(_)) => Safety::Safe,
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Safety::Safe,
        (f, T::Integer | T::SmallInt | T::BigInt) if int_rank(f).is_none() => Safety::NotCastable,
        (T::DoublePrecision | T::Real | T::Decimal(_), _) => Safety::Narrowing,
        _ => Safety::NotCastable,
    }
}

/// The `USING` expression of a plain cast.
pub fn plain_using(col: &str, from: &ColumnType, to: &ColumnType) -> String {
    let c = quote_ident(col);
    match (from, to) {
        (ColumnType::Jsonb, t) if t.is_textual() => {
            format!("CASE WHEN jsonb_typeof({c}) = 'string' THEN {c} #>> '{{}}' ELSE {c}::text END")
        }
        (ColumnType::Json, t) if t.is_textual() => {
            format!("CASE WHEN json_typeof({c}) = 'string' THEN {c} #>> '{{}}' ELSE {c}::text END")
        }
        (ColumnType::Enum(_), t) if t.is_textual() => format!("{c}::text"),
        (ColumnType::Array(a), ColumnType::Array(_)) if matches!(**a, ColumnType::Enum(_)) => {
            format!("{c}::text[]::{}", sql_type(to))
        }
        _ => format!("{c}::{}", sql_type(to)),
    }
}

/// Text → `jsonb` keeping text that is not valid JSON as a JSON string, without a helper
/// function (PostgreSQL 16+): `pg_input_is_valid` checks exactly what the `jsonb` input
/// accepts, with no subtransaction per row. (`IS JSON`, also 16+, is not enough: it accepts
/// `"\u0000"` and lone surrogate escapes, which `jsonb` refuses, so the cast would fail.)
pub fn lenient_jsonb_sql(c: &str) -> String {
    format!(
        "CASE WHEN pg_input_is_valid({c}, 'jsonb') THEN {c}::jsonb ELSE to_jsonb({c}::text) END"
    )
}

/// The temporary helper that parses text as JSON and keeps invalid text as a JSON string
/// (before PostgreSQL 16, which has no `pg_input_is_valid`; a PL/pgSQL exception block, one
/// subtransaction per row).
pub const JSON_HELPER_NAME: &str = "pg_temp.schemadiff_text_to_jsonb";

/// `CREATE OR REPLACE FUNCTION pg_temp.schemadiff_text_to_jsonb(text)`.
pub fn json_helper_sql() -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {JSON_HELPER_NAME}(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $sd$\nBEGIN\n  RETURN t::jsonb;\nEXCEPTION WHEN others THEN\n  RETURN to_jsonb(t);\nEND\n$sd$"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_and_separators() {
        assert_eq!(normalize("Google Ads"), "GOOGLEADS");
        assert_eq!(normalize("google_ads"), "GOOGLEADS");
        assert_eq!(normalize("In Progress"), "INPROGRESS");
    }

    #[test]
    fn explicit_mapping_overriding_a_name_match_warns() {
        let mut ex = std::collections::BTreeMap::new();
        ex.insert("completed".to_string(), "SUCCESS".to_string());
        let vals = vec!["SUCCESS".to_string(), "COMPLETED".to_string()];
        let t = QualifiedName::public("Campaign");
        let (m, w) = build_enum_mapping(
            &t,
            "syncStatus",
            &QualifiedName::public("SyncStatus"),
            &vals,
            Some(&ex),
        );
        assert_eq!(m.entries[0].source, MappingSource::MappingFile);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("overriding the name match COMPLETED"),
            "{w:?}"
        );
    }

    #[test]
    fn narrowing_is_detected() {
        assert_eq!(
            classify(
                &ColumnType::VarChar(Some(100)),
                &ColumnType::VarChar(Some(50))
            ),
            Safety::Narrowing
        );
        assert_eq!(
            classify(&ColumnType::BigInt, &ColumnType::Integer),
            Safety::Narrowing
        );
        assert_eq!(
            classify(&ColumnType::Integer, &ColumnType::BigInt),
            Safety::Safe
        );
        assert_eq!(
            classify(&ColumnType::Text, &ColumnType::Integer),
            Safety::NotCastable
        );
        assert_eq!(
            classify(
                &ColumnType::Decimal(Some((10, 2))),
                &ColumnType::Decimal(Some((8, 2)))
            ),
            Safety::Narrowing
        );
    }
}
