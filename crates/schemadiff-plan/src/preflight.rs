//! Pre-flight queries: read-only checks `apply` runs on the live database before changing
//! anything, and how to read their answers.
//!
//! Columns returned (all as text):
//! - `enum-mapping`: `legacy` (old value, NULL for NULL), `mapped` (the enum value it becomes,
//!   NULL when nothing), `rows` (count);
//! - `nulls-into-required`: `rows` (number of NULLs in a column that becomes NOT NULL);
//! - `rows-for-required`: `rows` (number of rows of a table that gets a new required column
//!   without a default or fill value);
//! - `value-change`: `rows` (number of rows whose value a hazardous cast changes, rounds or
//!   rejects; informational: the hazard itself refuses the plan unless allowed);
//! - `duplicates`: the key columns, then `rows` (count of each duplicated key, at most 20);
//! - `invalid-json`: `rows` (number of non-NULL values that do not parse as JSON, on every row)
//!   and `example` (one such value per row, at most 5, sorted; NULL when there is none).
//!   Before PostgreSQL 16 (no `pg_input_is_valid`) its `sql` first creates a session-local
//!   helper (`pg_temp.schemadiff_is_json`) and then selects: run it with the simple query
//!   protocol, which takes several statements and returns the rows of the `SELECT`.

use crate::cast::EnumCast;
use crate::ddl::CreateFunction;
use crate::sqltext::{ident_list, qname, quote_ident, sql_type};
use schemadiff_model::{ColumnType, QualifiedName};
use serde::Serialize;

/// What a pre-flight query checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreflightKind {
    /// Every legacy value of a column cast to an enum, with what it becomes.
    EnumMapping,
    /// NULLs in a column that becomes NOT NULL without a fill value.
    NullsIntoRequired,
    /// Rows of a table that gets a required column without a default or fill value.
    RowsForRequired,
    /// Duplicate keys for a new unique index on an existing table.
    Duplicates,
    /// Text that is not valid JSON in a column cast from text to `json`/`jsonb`.
    InvalidJson,
    /// Rows whose value a hazardous cast changes, rounds or rejects (`narrowing-cast`,
    /// `time-zone-cast`, `json-normalized`): the hazard refuses the plan unless allowed, the
    /// count says how many rows it concerns.
    ValueChange,
}

/// A read-only query and how to judge its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightQuery {
    /// What it checks.
    pub kind: PreflightKind,
    /// One line for the user.
    pub description: String,
    /// The query.
    pub sql: String,
    /// For `enum-mapping`: NULL legacy values are blockers (the column becomes required and
    /// NULL maps to nothing).
    pub null_blocks: bool,
    /// For `invalid-json`: the cast is strict (`[json] strict`), so a value that is not valid
    /// JSON stops the migration; otherwise such values are kept as JSON strings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// The message of the hazard (`set-not-null-on-existing-data`) that this query clears when
    /// it counts no row: with nothing to fill, the step cannot fail on the data
    /// ([`PreflightOutcome::clears`], [`crate::Plan::clear_hazard`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clears: Option<String>,
}

/// The session-local helper the `invalid-json` queries call: true when `t` parses as `ty`.
fn is_json_helper(ty: &str) -> CreateFunction {
    CreateFunction {
        name: format!("pg_temp.schemadiff_is_{}", ty.to_ascii_lowercase()),
        returns: "boolean",
        body: format!(
            "\nBEGIN\n  PERFORM t::{ty};\n  RETURN true;\nEXCEPTION WHEN others THEN\n  RETURN false;\nEND\n"
        ),
    }
}

/// Pre-flight for a text → `json`/`jsonb` cast: how many values of `table.column` (old names:
/// it runs before any rename) do not parse as `check` (the cast's target when strict, else
/// `jsonb`, which the lenient helper parses with), with up to 5 of them.
pub(crate) fn invalid_json_preflight(
    table: &QualifiedName,
    column: &str,
    label: &str,
    check: &ColumnType,
    strict: bool,
    pg_version: u32,
) -> PreflightQuery {
    let ty = sql_type(check);
    let f = format!("pg_temp.schemadiff_is_{}", ty.to_ascii_lowercase());
    let c = quote_ident(column);
    let t = qname(table);
    // PostgreSQL 16+ checks the input without a helper (no subtransaction per row).
    let modern = pg_version >= 16;
    let bad = if modern {
        format!(
            "{c} IS NOT NULL AND NOT pg_input_is_valid({c}::text, {})",
            crate::sqltext::quote_literal(&ty.to_ascii_lowercase())
        )
    } else {
        format!("{c} IS NOT NULL AND NOT {f}({c}::text)")
    };
    let select = format!(
        "SELECT n.rows, e.example FROM (SELECT count(*)::text AS rows FROM {t} WHERE {bad}) AS n LEFT JOIN (SELECT DISTINCT {c}::text AS example FROM {t} WHERE {bad} ORDER BY 1 LIMIT 5) AS e ON true ORDER BY 2"
    );
    PreflightQuery {
        kind: PreflightKind::InvalidJson,
        description: format!(
            "text that is not valid JSON in {label} (→ {})",
            sql_type(check)
        ),
        sql: if modern {
            select
        } else {
            format!("{};\n{select}", is_json_helper(&ty))
        },
        null_blocks: false,
        strict,
        clears: None,
    }
}

/// Pre-flight for a cast to an enum: every legacy value of the column (`src`, the old column
/// as text, in `old_table`: it runs before any rename) with what it becomes and how often.
pub(crate) fn enum_mapping_preflight(
    label: &str,
    e: &QualifiedName,
    cast: &EnumCast,
    old_table: &QualifiedName,
    src: &str,
    null_blocks: bool,
) -> PreflightQuery {
    PreflightQuery {
        kind: PreflightKind::EnumMapping,
        description: format!("values of {label} → enum {e}"),
        sql: format!(
            "SELECT v AS legacy, ({})::text AS mapped, count(*)::text AS rows FROM (SELECT {src} AS v FROM {}) AS s GROUP BY 1, 2 ORDER BY 1 NULLS FIRST",
            cast.case_sql("v", None),
            qname(old_table)
        ),
        null_blocks,
        strict: false,
        clears: None,
    }
}

/// Pre-flight for a column that becomes NOT NULL with nothing to fill it: its NULLs (old
/// names: it runs before any rename). A count of 0 clears the hazard `message`.
pub(crate) fn nulls_preflight(
    label: &str,
    old_table: &QualifiedName,
    old_col: &str,
    message: &str,
) -> PreflightQuery {
    PreflightQuery {
        kind: PreflightKind::NullsIntoRequired,
        description: format!("NULLs in {label} (becomes NOT NULL)"),
        sql: format!(
            "SELECT count(*)::text AS rows FROM {} WHERE {} IS NULL",
            qname(old_table),
            quote_ident(old_col)
        ),
        null_blocks: true,
        strict: false,
        clears: Some(message.to_string()),
    }
}

/// Pre-flight for a new required column `label` without a default or fill value: the rows of
/// `old_table` (old name). A count of 0 clears the hazard `message`.
pub(crate) fn rows_for_required_preflight(
    label: &str,
    old_table: &QualifiedName,
    message: &str,
) -> PreflightQuery {
    PreflightQuery {
        kind: PreflightKind::RowsForRequired,
        description: format!("rows that the new required column {label} needs a value for"),
        sql: format!("SELECT count(*)::text AS rows FROM {}", qname(old_table)),
        null_blocks: false,
        strict: false,
        clears: Some(message.to_string()),
    }
}

/// Pre-flight for a hazardous cast: the rows of `old_table` whose value `cond` says it changes.
pub(crate) fn value_change_preflight(
    description: String,
    old_table: &QualifiedName,
    cond: &str,
) -> PreflightQuery {
    PreflightQuery {
        kind: PreflightKind::ValueChange,
        description,
        sql: format!(
            "SELECT count(*)::text AS rows FROM {} WHERE {cond}",
            qname(old_table)
        ),
        null_blocks: false,
        strict: false,
        clears: None,
    }
}

/// Pre-flight for a new unique key on `old_table` (old names): the duplicated keys, at most 20.
pub(crate) fn duplicates_preflight_query(
    description: String,
    old_table: &QualifiedName,
    old_cols: &[String],
) -> PreflightQuery {
    let list = ident_list(old_cols);
    let not_null: Vec<String> = old_cols
        .iter()
        .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
        .collect();
    PreflightQuery {
        kind: PreflightKind::Duplicates,
        description,
        sql: format!(
            "SELECT {list}, count(*)::text AS rows FROM {} WHERE {} GROUP BY {list} HAVING count(*) > 1 ORDER BY {list} LIMIT 20",
            qname(old_table),
            not_null.join(" AND ")
        ),
        null_blocks: false,
        strict: false,
        clears: None,
    }
}

/// The verdict on a pre-flight answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightOutcome {
    /// True when applying would fail or lose data.
    pub blocking: bool,
    /// One line saying why (or that all is well).
    pub summary: String,
    /// Details, one line per row.
    pub lines: Vec<String>,
    /// True when the answer clears the query's hazard ([`PreflightQuery::clears`]): no row to
    /// fill.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clears: bool,
}

fn show(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("'{s}'"),
        None => "NULL".into(),
    }
}

impl PreflightQuery {
    /// Judges the rows the query returned (every value as text, `None` for NULL).
    pub fn evaluate(&self, rows: &[Vec<Option<String>>]) -> PreflightOutcome {
        match self.kind {
            PreflightKind::EnumMapping => self.evaluate_enum_mapping(rows),
            PreflightKind::NullsIntoRequired | PreflightKind::RowsForRequired => {
                self.evaluate_required(rows)
            }
            PreflightKind::InvalidJson => self.evaluate_invalid_json(rows),
            PreflightKind::ValueChange => {
                let n = first_count(rows);
                PreflightOutcome {
                    blocking: false,
                    summary: match n {
                        0 => format!("{}: no row changes", self.description),
                        n => format!(
                            "{}: {n} row(s) would change or be rejected",
                            self.description
                        ),
                    },
                    lines: Vec::new(),
                    clears: false,
                }
            }
            PreflightKind::Duplicates => PreflightOutcome {
                blocking: !rows.is_empty(),
                summary: format!("{}: {} duplicated key(s)", self.description, rows.len()),
                lines: rows
                    .iter()
                    .map(|r| r.iter().map(show).collect::<Vec<_>>().join(", "))
                    .collect(),
                clears: false,
            },
        }
    }

    /// `nulls-into-required` / `rows-for-required`: only a count of 0 clears the hazard (no
    /// answer is no evidence).
    fn evaluate_required(&self, rows: &[Vec<Option<String>>]) -> PreflightOutcome {
        let n: Option<u64> = rows
            .first()
            .and_then(|r| cell(r, 0))
            .and_then(|s| s.parse().ok());
        let what = if self.kind == PreflightKind::NullsIntoRequired {
            "NULL row(s)"
        } else {
            "row(s)"
        };
        let summary = match n {
            Some(0) => format!(
                "{}: 0 {what}, so nothing needs a value (no [fill] and no --allow-hazard needed)",
                self.description
            ),
            Some(n) => format!(
                "{}: {n} {what} need a value ({})",
                self.description,
                self.clears
                    .as_deref()
                    .unwrap_or("give one with [fill] in the mapping file")
            ),
            None => format!("{}: no count returned", self.description),
        };
        PreflightOutcome {
            blocking: n != Some(0),
            summary,
            lines: Vec::new(),
            clears: n == Some(0) && self.clears.is_some(),
        }
    }

    fn evaluate_enum_mapping(&self, rows: &[Vec<Option<String>>]) -> PreflightOutcome {
        let mut lines = Vec::new();
        let mut bad = Vec::new();
        for r in rows {
            let (legacy, mapped, n) = (cell(r, 0), cell(r, 1), cell(r, 2).unwrap_or_default());
            match &mapped {
                Some(m) => lines.push(format!("{} -> {m} ({n} rows)", show(&legacy))),
                None if legacy.is_none() && !self.null_blocks => {
                    lines.push(format!("NULL stays NULL ({n} rows)"))
                }
                None => {
                    lines.push(format!("{} -> NOTHING ({n} rows)", show(&legacy)));
                    bad.push(show(&legacy));
                }
            }
        }
        PreflightOutcome {
            blocking: !bad.is_empty(),
            summary: if bad.is_empty() {
                format!("{}: every value is mapped", self.description)
            } else {
                format!("{}: no mapping for {}", self.description, bad.join(", "))
            },
            lines,
            clears: false,
        }
    }

    fn evaluate_invalid_json(&self, rows: &[Vec<Option<String>>]) -> PreflightOutcome {
        let n = first_count(rows);
        let lines: Vec<String> = rows
            .iter()
            .filter_map(|r| cell(r, 1))
            .map(|v| format!("not JSON: {}", show(&Some(v))))
            .collect();
        let summary = match (n, self.strict) {
            (0, _) => format!("{}: every value is valid JSON", self.description),
            (n, true) => format!(
                "{}: {n} value(s) are not valid JSON and the cast is strict: the migration would fail",
                self.description
            ),
            (n, false) => format!(
                "{}: {n} value(s) are not valid JSON and will be kept as JSON strings",
                self.description
            ),
        };
        PreflightOutcome {
            blocking: n > 0 && self.strict,
            summary,
            lines,
            clears: false,
        }
    }
}

/// The value of cell `i` of a row (`None` for NULL or a missing cell).
fn cell(r: &[Option<String>], i: usize) -> Option<String> {
    r.get(i).cloned().flatten()
}

/// The count in the first cell of the first row (0 when there is none).
fn first_count(rows: &[Vec<Option<String>>]) -> u64 {
    rows.first()
        .and_then(|r| cell(r, 0))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_values_block() {
        let q = PreflightQuery {
            kind: PreflightKind::EnumMapping,
            description: "Campaign.platform".into(),
            sql: String::new(),
            null_blocks: false,
            strict: false,
            clears: None,
        };
        let ok = q.evaluate(&[vec![
            Some("google_ads".into()),
            Some("GOOGLE_ADS".into()),
            Some("3".into()),
        ]]);
        assert!(!ok.blocking);
        let bad = q.evaluate(&[vec![Some("myspace".into()), None, Some("1".into())]]);
        assert!(bad.blocking && bad.summary.contains("'myspace'"), "{bad:?}");
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    fn q(strict: bool) -> PreflightQuery {
        PreflightQuery {
            kind: PreflightKind::InvalidJson,
            description: "text that is not valid JSON in Post.meta".into(),
            sql: String::new(),
            null_blocks: false,
            strict,
            clears: None,
        }
    }

    #[test]
    fn invalid_json_blocks_only_strict_casts() {
        let rows = vec![
            vec![Some("2".into()), Some("not json".into())],
            vec![Some("2".into()), Some("{oops".into())],
        ];
        let strict = q(true).evaluate(&rows);
        assert!(strict.blocking, "{strict:?}");
        assert!(strict.summary.contains("2 value(s) are not valid JSON"));
        assert_eq!(strict.lines, ["not JSON: 'not json'", "not JSON: '{oops'"]);
        let lenient = q(false).evaluate(&rows);
        assert!(!lenient.blocking);
        assert!(
            lenient.summary.contains("kept as JSON strings"),
            "{lenient:?}"
        );
        let clean = q(true).evaluate(&[vec![Some("0".into()), None]]);
        assert!(!clean.blocking && clean.lines.is_empty(), "{clean:?}");
    }
}
