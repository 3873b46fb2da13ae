//! Data-preserving column casts: the `USING` expression of a type change, the generated
//! legacy-value → enum-value mapping, and the guard that stops the migration before any
//! table is rewritten when a value maps to nothing.

use crate::ddl::{CreateFunction, DoBlock};
use crate::sqltext::{qname, quote_ident, quote_literal, sql_type};
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
        if self.null_value.is_none() && self.mapping.entries.is_empty() {
            // No rule at all (an enum without labels): `CASE END` is not SQL.
            return format!("({})", else_expr.unwrap_or("NULL::text"));
        }
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
        self.mapping
            .entries
            .iter()
            .filter(|e| matches!(e.source, MappingSource::NameMatch | MappingSource::Exact))
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
    pub(crate) fn guard_sql(&self, table: &QualifiedName, column: &str, src_of_v: &str) -> DoBlock {
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
        DoBlock(body)
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
            if let Some(natural) = values
                .iter()
                .find(|v| normalize(v) == key && (!key.is_empty() || *v == legacy) && *v != value)
            {
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
            // No ASCII letter or digit (`有効`, `-`): no name match, but a value spelled
            // exactly like the label is that label.
            entries.push(MappingEntry {
                legacy: v.clone(),
                value: v.clone(),
                source: MappingSource::Exact,
            });
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
    /// No value can be lost, changed or rejected.
    Safe,
    /// Values may be cut, rounded or rejected (`narrowing-cast`).
    Narrowing,
    /// PostgreSQL may reject values, or there is no cast (`not-castable`).
    NotCastable,
    /// Values are read through the session's `TimeZone` (`time-zone-cast`): `timestamptz` →
    /// `timestamp` drops the offset (`drops_offset`); `timestamp`/`date` → `timestamptz` takes
    /// the wall-clock time as local time of the session.
    TimeZone {
        /// True for `timestamptz` → `timestamp`: the instant cannot be told any more.
        drops_offset: bool,
    },
    /// `json` → `jsonb` (`json-normalized`): duplicate keys collapse to the last one, keys are
    /// reordered and whitespace is normalised.
    JsonNormalized,
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

/// The range of an integer type.
fn int_range(t: &ColumnType) -> Option<(i64, i64)> {
    match t {
        ColumnType::SmallInt => Some((i16::MIN.into(), i16::MAX.into())),
        ColumnType::Integer => Some((i32::MIN.into(), i32::MAX.into())),
        ColumnType::BigInt => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

/// Bits of an integer type's values; of a float type's mantissa.
fn int_bits(t: &ColumnType) -> Option<u32> {
    match t {
        ColumnType::SmallInt => Some(16),
        ColumnType::Integer => Some(32),
        ColumnType::BigInt => Some(64),
        _ => None,
    }
}

fn mantissa_bits(t: &ColumnType) -> Option<u32> {
    match t {
        ColumnType::Real => Some(24),
        ColumnType::DoublePrecision => Some(53),
        _ => None,
    }
}

/// The maximum length of a character type: `None` inside for no limit. `CHAR` without a length
/// is `char(1)`.
fn text_len(t: &ColumnType) -> Option<Option<u32>> {
    match t {
        ColumnType::Text | ColumnType::Citext | ColumnType::VarChar(None) => Some(None),
        ColumnType::VarChar(n) => Some(*n),
        ColumnType::Char(n) => Some(Some(n.unwrap_or(1))),
        _ => None,
    }
}

fn is_float(t: &ColumnType) -> bool {
    matches!(t, ColumnType::Real | ColumnType::DoublePrecision)
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
        (f, T::Decimal(None)) if int_rank(f).is_some() => Safety::Safe,
        // An integer fits a float exactly only when its bits fit the mantissa: bigint →
        // double rounds above 2^53, integer → real above 2^24.
        (f, t) if int_bits(f).is_some() && is_float(t) => {
            if int_bits(f) < mantissa_bits(t) {
                Safety::Safe
            } else {
                Safety::Narrowing
            }
        }
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
        | (T::Time(a), T::Time(b))
        | (T::Timetz(a), T::Timetz(b)) => {
            if b.unwrap_or(6) >= a.unwrap_or(6) {
                Safety::Safe
            } else {
                Safety::Narrowing
            }
        }
        (T::Timestamptz(_), T::Timestamp(_)) => Safety::TimeZone { drops_offset: true },
        (T::Timestamp(_) | T::Date, T::Timestamptz(_)) => Safety::TimeZone {
            drops_offset: false,
        },
        (T::Date, T::Timestamp(_)) => Safety::Safe,
        // The time of day is cut.
        (T::Timestamp(_) | T::Timestamptz(_), T::Date) => Safety::Narrowing,
        (T::Json, T::Jsonb) => Safety::JsonNormalized,
        (T::Jsonb, T::Json) => Safety::Safe,
        // A float or decimal cast to an integer is rounded (or rejected).
        (T::DoublePrecision | T::Real | T::Decimal(_), _) => Safety::Narrowing,
        _ => Safety::NotCastable,
    }
}

/// True when a timestamp or time cast (with or without time zone) keeps fewer fractional
/// digits.
pub fn precision_narrows(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    match (from, to) {
        (T::Timestamp(a) | T::Timestamptz(a), T::Timestamp(b) | T::Timestamptz(b)) => {
            b.unwrap_or(6) < a.unwrap_or(6)
        }
        _ => false,
    }
}

/// A condition on the rows of column `c` (quoted) that holds for each row whose value the cast
/// `from` → `to` changes, rounds or rejects (the pre-flight counts them), for casts that are not
/// [`Safety::Safe`]; `None` when no such condition is known (`not-castable` casts: the cast
/// itself reports the first value it rejects). The condition fails only on a value the cast
/// itself would reject (a `json` text that `jsonb` refuses).
pub fn changed_rows_sql(c: &str, from: &ColumnType, to: &ColumnType) -> Option<String> {
    use ColumnType as T;
    let target = sql_type(to);
    let non_finite = format!("{c}::text IN ('NaN', 'Infinity', '-Infinity')");
    Some(match (from, to) {
        (T::Array(_), _) | (_, T::Array(_)) => return None,
        (f, t) if text_len(f).is_some() && text_len(t).is_some() => {
            let Some(Some(n)) = text_len(t) else {
                return None;
            };
            format!("length({c}::text) > {n}")
        }
        (f, t) if int_rank(f).is_some() && int_rank(t).is_some() => {
            let (lo, hi) = int_range(t)?;
            format!("({c} < {lo} OR {c} > {hi})")
        }
        (f, t) if int_bits(f).is_some() && is_float(t) => {
            // Exact in the float's own terms: the rounded value read back as an integer
            // (2^63 and beyond no longer fits a bigint, so it changed; -2^63 is exact).
            format!(
                "(CASE WHEN {c}::{target} >= 9223372036854775807::{target} THEN true ELSE {c}::{target}::bigint <> {c} END)"
            )
        }
        (T::DoublePrecision, T::Real) => format!(
            "(CASE WHEN {non_finite} THEN false WHEN abs({c}) > 3.4028234663852886e38 OR ({c} <> 0 AND abs({c}) < 1.1754943508222875e-38) THEN true ELSE {c}::real::double precision <> {c} END)"
        ),
        (T::Decimal(_), t) if is_float(t) => {
            let max = if matches!(t, T::Real) {
                "3.4028234663852886e38"
            } else {
                "1.7976931348623157e308"
            };
            format!(
                "(CASE WHEN {c} = 'NaN' THEN false WHEN abs({c}) > {max} THEN true ELSE {c}::{target}::text::numeric <> {c} END)"
            )
        }
        (f, T::Decimal(Some((p, s)))) if is_float(f) || matches!(f, T::Decimal(_)) => {
            let guard = if is_float(f) {
                format!("{non_finite} OR ")
            } else {
                String::new()
            };
            let limit = format!("1e{}", p.saturating_sub(*s));
            format!(
                "(CASE WHEN {guard}{c} = 'NaN' THEN true ELSE abs({c}::numeric) >= {limit} OR round({c}::numeric, {s}) <> {c}::numeric END)"
            )
        }
        (f, t) if (is_float(f) || matches!(f, T::Decimal(_))) && int_rank(t).is_some() => {
            let (lo, hi) = int_range(t)?;
            if is_float(f) {
                format!(
                    "({non_finite} OR {c} <> round({c}::double precision) OR {c} < {lo} OR {c} > {hi})"
                )
            } else {
                format!("({c} <> round({c}) OR {c} < {lo} OR {c} > {hi})")
            }
        }
        (T::Timestamp(_), T::Timestamp(_))
        | (T::Timestamptz(_), T::Timestamptz(_))
        | (T::Time(_), T::Time(_))
        | (T::Timetz(_), T::Timetz(_)) => format!("{c}::{target} <> {c}"),
        (T::Timestamp(_) | T::Timestamptz(_), T::Date) => format!("{c}::date <> {c}"),
        // Every value is converted through the session's time zone.
        (T::Timestamptz(_), T::Timestamp(_)) | (T::Timestamp(_) | T::Date, T::Timestamptz(_)) => {
            format!("{c} IS NOT NULL")
        }
        (T::Json, T::Jsonb) => format!("{c}::jsonb::text <> {c}::text"),
        _ => return None,
    })
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
pub(crate) fn json_helper() -> CreateFunction {
    CreateFunction {
        name: JSON_HELPER_NAME.to_string(),
        returns: "jsonb",
        body:
            "\nBEGIN\n  RETURN t::jsonb;\nEXCEPTION WHEN others THEN\n  RETURN to_jsonb(t);\nEND\n"
                .to_string(),
    }
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
