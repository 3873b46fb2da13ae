//! Pre-flight queries: read-only checks `apply` runs on the live database before changing
//! anything, and how to read their answers.
//!
//! Columns returned (all as text):
//! - `enum-mapping`: `legacy` (old value, NULL for NULL), `mapped` (the enum value it becomes,
//!   NULL when nothing), `rows` (count);
//! - `nulls-into-required`: `rows` (number of NULLs in a column that becomes NOT NULL);
//! - `duplicates`: the key columns, then `rows` (count of each duplicated key, at most 20).

use serde::Serialize;

/// What a pre-flight query checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreflightKind {
    /// Every legacy value of a column cast to an enum, with what it becomes.
    EnumMapping,
    /// NULLs in a column that becomes NOT NULL without a fill value.
    NullsIntoRequired,
    /// Duplicate keys for a new unique index on an existing table.
    Duplicates,
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
        let cell = |r: &Vec<Option<String>>, i: usize| r.get(i).cloned().flatten();
        match self.kind {
            PreflightKind::EnumMapping => {
                let mut lines = Vec::new();
                let mut bad = Vec::new();
                for r in rows {
                    let (legacy, mapped, n) =
                        (cell(r, 0), cell(r, 1), cell(r, 2).unwrap_or_default());
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
                }
            }
            PreflightKind::NullsIntoRequired => {
                let n: u64 = rows
                    .first()
                    .and_then(|r| cell(r, 0))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                PreflightOutcome {
                    blocking: n > 0,
                    summary: format!("{}: {n} NULL row(s)", self.description),
                    lines: Vec::new(),
                }
            }
            PreflightKind::Duplicates => PreflightOutcome {
                blocking: !rows.is_empty(),
                summary: format!("{}: {} duplicated key(s)", self.description, rows.len()),
                lines: rows
                    .iter()
                    .map(|r| r.iter().map(show).collect::<Vec<_>>().join(", "))
                    .collect(),
            },
        }
    }
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
