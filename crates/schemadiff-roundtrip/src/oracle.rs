//! The oracle: what every row must hold after a `from → to` plan, computed from the two schemas,
//! the mapping file and the rows as they were before, without the planner.
//!
//! Rules (the mapping file is read here with `toml`, not with the planner's parser; its keys are
//! taken as database names, which is what the generator writes):
//! - a `to` table pairs with the `from` table of the same name, or the one `[renames.tables]`
//!   names; a `to` table without a partner must be empty; a paired one keeps its row count;
//! - a `to` column pairs likewise (`[renames.columns.<NewModel>]`); a column without a partner
//!   holds its literal default (string, integer, boolean, enum) or NULL, and is not checked for
//!   other defaults (`now()`, numbers of inexact types);
//! - a paired column keeps every value's text when its type is unchanged or widened
//!   (`smallint → integer → bigint`, longer `varchar`, `varchar → text`, more timestamp
//!   precision or decimal digits); text → enum, and enum → enum when the enum lost a value or
//!   the column changes enum, map each value with `[values]` first, else by name ignoring case
//!   and all but ASCII letters and digits; text → json(b) keeps valid JSON as JSON and any other
//!   text as a JSON string; `jsonb → text` unwraps JSON strings and keeps any other JSON's
//!   text; integers, booleans, uuids, dates and enum labels becoming `text` keep their text; a NULL in a column that becomes required takes the `[fill]` value,
//!   else the new literal default;
//! - any other type change is an error of the oracle (the generator must not produce what the
//!   oracle cannot judge).

use crate::generate::same_as_text;
use schemadiff_model::{ColumnType, DefaultValue, QualifiedName, Schema, Table};
use std::collections::BTreeMap;

/// The rows of a table as text, in primary-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Column names, in the order of each row.
    pub columns: Vec<String>,
    /// One entry per row, `None` for NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

impl Snapshot {
    /// The values of one column, by name.
    pub fn column(&self, name: &str) -> Option<Vec<Option<String>>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i].clone()).collect())
    }
}

/// What one cell must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Exactly this text (`None`: NULL).
    Exact(Option<String>),
    /// The JSON value of this text when it is valid JSON, else the text as a JSON string. The
    /// decision (valid or not) is made here; the runner asks PostgreSQL only for the canonical
    /// `jsonb` text of the result.
    Json {
        /// The text before the cast.
        text: String,
        /// Whether it is valid JSON.
        valid: bool,
    },
    /// Not checked (a `now()` default, an inexact numeric default).
    Any,
}

/// The expectation for one `to` table.
#[derive(Debug, Clone)]
pub struct TableExpect {
    /// The table in `to`.
    pub table: QualifiedName,
    /// Its partner in `from`, if any.
    pub from: Option<QualifiedName>,
    /// The rows it must have.
    pub rows: usize,
    /// Columns (`to` names) with one expected cell per row, in primary-key order.
    pub columns: Vec<(String, Vec<Cell>)>,
}

/// `SELECT` every named column of `table` as text, ordered by the primary key (else by every
/// column). A `json` column is read through `jsonb`, so that equal JSON values compare equal
/// whatever their spacing and key order (`json` keeps the text as written).
pub fn select_sql(table: &Table, columns: &[String]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let order_by = order_columns(table);
    let table_name = &table.name;
    let cols: Vec<String> = columns
        .iter()
        .map(|c| match table.column(c).map(|x| &x.ty) {
            Some(ColumnType::Json) => format!("{}::jsonb::text", q(c)),
            _ => format!("{}::text", q(c)),
        })
        .collect();
    let order: Vec<String> = order_by.iter().map(|c| q(c)).collect();
    format!(
        "SELECT {} FROM {}.{} ORDER BY {}",
        if cols.is_empty() {
            "1".to_string()
        } else {
            cols.join(", ")
        },
        q(&table_name.schema),
        q(&table_name.name),
        if order.is_empty() {
            "1".to_string()
        } else {
            order.join(", ")
        }
    )
}

/// The primary-key columns of a table (its order), else every column.
pub fn order_columns(t: &Table) -> Vec<String> {
    match &t.primary_key {
        Some(pk) => pk.columns.clone(),
        None => t.columns.iter().map(|c| c.name.clone()).collect(),
    }
}

/// The parts of a mapping file the oracle needs.
#[derive(Debug, Default)]
struct MappingFile {
    tables: BTreeMap<String, String>,
    columns: BTreeMap<String, BTreeMap<String, String>>,
    values: BTreeMap<(String, String), BTreeMap<String, String>>,
    fill: BTreeMap<(String, String), String>,
}

fn scalar_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn table_of<'a>(
    v: Option<&'a toml::Value>,
    path: &str,
) -> Result<Vec<(&'a String, &'a toml::Value)>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(toml::Value::Table(t)) => Ok(t.iter().collect()),
        Some(_) => Err(format!("mapping: `{path}` is not a table")),
    }
}

fn parse_mapping(text: &str) -> Result<MappingFile, String> {
    let root: toml::Table = if text.trim().is_empty() {
        toml::Table::new()
    } else {
        text.parse().map_err(|e| format!("mapping: {e}"))?
    };
    let mut m = MappingFile::default();
    let renames = root.get("renames");
    let renames_t = renames.and_then(|r| r.as_table());
    for (old, new) in table_of(renames_t.and_then(|r| r.get("tables")), "renames.tables")? {
        m.tables.insert(scalar_text(new), old.clone());
    }
    for (model, cols) in table_of(renames_t.and_then(|r| r.get("columns")), "renames.columns")? {
        for (old, new) in table_of(Some(cols), "renames.columns.*")? {
            m.columns
                .entry(model.clone())
                .or_default()
                .insert(scalar_text(new), old.clone());
        }
    }
    for (model, fields) in table_of(root.get("values"), "values")? {
        for (field, entries) in table_of(Some(fields), "values.*")? {
            let map = table_of(Some(entries), "values.*.*")?
                .into_iter()
                .map(|(k, v)| (k.clone(), scalar_text(v)))
                .collect();
            m.values.insert((model.clone(), field.clone()), map);
        }
    }
    for (model, fields) in table_of(root.get("fill"), "fill")? {
        for (field, v) in table_of(Some(fields), "fill.*")? {
            m.fill
                .insert((model.clone(), field.clone()), scalar_text(v));
        }
    }
    Ok(m)
}

/// The name-match key: ASCII letters and digits, upper case.
pub fn name_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Text of a literal default as `col::text` prints it, when the oracle can tell.
fn default_text(ty: &ColumnType, d: &DefaultValue) -> Option<String> {
    match (d, ty) {
        (DefaultValue::String(s), t) if t.is_textual() => Some(s.clone()),
        (DefaultValue::EnumValue(v), ColumnType::Enum(_)) => Some(v.clone()),
        (DefaultValue::Boolean(b), ColumnType::Boolean) => Some(b.to_string()),
        (
            DefaultValue::Number(n),
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt,
        ) => Some(n.clone()),
        _ => None,
    }
}

/// True when `to` keeps every value of `from` and their order (only values added): the column
/// is not cast, so the mapping does not apply.
fn enum_only_grew(from: &[String], to: &[String]) -> bool {
    let mut it = to.iter();
    from.iter().all(|v| it.any(|x| x == v))
}

fn widening(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (SmallInt, Integer | BigInt) | (Integer, BigInt) => true,
        (VarChar(Some(a)), VarChar(Some(b))) => b >= a,
        (VarChar(_), Text) => true,
        (Timestamp(Some(a)), Timestamp(b)) => b.is_none_or(|b| b >= *a),
        (Decimal(Some((p1, s1))), Decimal(Some((p2, s2)))) => s1 == s2 && p2 >= p1,
        _ => false,
    }
}

/// How a paired column's values are carried over.
enum Carry {
    Same,
    /// `jsonb → text`: a JSON string becomes its text, any other JSON its `jsonb` text.
    JsonToText,
    Mapped(Vec<String>),
    Json,
}

/// The expectation for every table of `to`.
pub fn expect(
    from: &Schema,
    to: &Schema,
    mapping: &str,
    before: &BTreeMap<QualifiedName, Snapshot>,
) -> Result<Vec<TableExpect>, String> {
    let m = parse_mapping(mapping)?;
    let mut out = Vec::new();
    for (qn, t) in &to.tables {
        // The partner: the rename's source, else the same name unless that name was renamed
        // away (then this is a new table that took the freed name).
        let old_name = match m.tables.get(&qn.name) {
            Some(old) => Some(old.clone()),
            None if m.tables.values().any(|o| o == &qn.name) => None,
            None => Some(qn.name.clone()),
        };
        let fqn = QualifiedName::new(qn.schema.clone(), old_name.clone().unwrap_or_default());
        let Some(ft) = old_name.and(from.tables.get(&fqn)) else {
            out.push(TableExpect {
                table: qn.clone(),
                from: None,
                rows: 0,
                columns: Vec::new(),
            });
            continue;
        };
        let snap = before
            .get(&fqn)
            .ok_or_else(|| format!("no rows recorded for {fqn} before the plan"))?;
        let n = snap.rows.len();
        let mut columns = Vec::new();
        for c in &t.columns {
            let renamed = m.columns.get(&qn.name);
            let old = match renamed.and_then(|r| r.get(&c.name)) {
                Some(o) => Some(o.clone()),
                None if renamed.is_some_and(|r| r.values().any(|o| o == &c.name)) => None,
                None => Some(c.name.clone()),
            };
            let Some(fc) = old.as_deref().and_then(|o| ft.column(o)) else {
                // A new column: its default, or NULL.
                let cell = match &c.default {
                    None => Cell::Exact(None),
                    Some(d) => match default_text(&c.ty, d) {
                        Some(s) => Cell::Exact(Some(s)),
                        None => Cell::Any,
                    },
                };
                columns.push((c.name.clone(), vec![cell; n]));
                continue;
            };
            let old = fc.name.clone();
            let values = snap
                .column(&old)
                .ok_or_else(|| format!("no values recorded for {fqn}.{old}"))?;
            let carry = match (&fc.ty, &c.ty) {
                (a, b) if a == b => match b {
                    ColumnType::Enum(e) => {
                        let fv = from
                            .enums
                            .get(e)
                            .map(|x| x.values.clone())
                            .unwrap_or_default();
                        let tv = to
                            .enums
                            .get(e)
                            .map(|x| x.values.clone())
                            .unwrap_or_default();
                        if enum_only_grew(&fv, &tv) {
                            Carry::Same
                        } else {
                            Carry::Mapped(tv)
                        }
                    }
                    _ => Carry::Same,
                },
                (a, ColumnType::Enum(e)) if a.is_textual() || matches!(a, ColumnType::Enum(_)) => {
                    Carry::Mapped(
                        to.enums
                            .get(e)
                            .map(|x| x.values.clone())
                            .unwrap_or_default(),
                    )
                }
                (a, b) if a.is_textual() && b.is_json() => Carry::Json,
                (ColumnType::Jsonb, b) if b.is_textual() => Carry::JsonToText,
                (a, ColumnType::Text) if same_as_text(a) => Carry::Same,
                (a, b) if widening(a, b) => Carry::Same,
                (a, b) => {
                    return Err(format!(
                        "oracle: no rule for the type change of {}.{}: {a} → {b}",
                        qn.name, c.name
                    ));
                }
            };
            let explicit = m
                .values
                .get(&(qn.name.clone(), c.name.clone()))
                .or_else(|| m.values.get(&(fqn.name.clone(), old.clone())));
            let fill = m
                .fill
                .get(&(qn.name.clone(), c.name.clone()))
                .or_else(|| m.fill.get(&(fqn.name.clone(), old.clone())))
                .cloned()
                .or_else(|| c.default.as_ref().and_then(|d| default_text(&c.ty, d)));
            let mut cells = Vec::with_capacity(n);
            for (i, v) in values.into_iter().enumerate() {
                let cell = match v {
                    None if c.nullable => Cell::Exact(None),
                    None => match &fill {
                        Some(f) => Cell::Exact(Some(f.clone())),
                        None => {
                            return Err(format!(
                                "oracle: row {} of {fqn}.{old} is NULL and {}.{} becomes required \
                                 with no fill value or literal default",
                                i + 1,
                                qn.name,
                                c.name
                            ));
                        }
                    },
                    Some(v) => match &carry {
                        Carry::Same => Cell::Exact(Some(v)),
                        Carry::JsonToText => match serde_json::from_str::<serde_json::Value>(&v) {
                            Ok(serde_json::Value::String(s)) => Cell::Exact(Some(s)),
                            _ => Cell::Exact(Some(v)),
                        },
                        Carry::Json => Cell::Json {
                            valid: serde_json::from_str::<serde_json::Value>(&v).is_ok(),
                            text: v,
                        },
                        Carry::Mapped(enum_values) => {
                            let hit = explicit.and_then(|e| e.get(&v)).cloned().or_else(|| {
                                let k = name_key(&v);
                                enum_values
                                    .iter()
                                    .find(|ev| !k.is_empty() && name_key(ev) == k)
                                    .cloned()
                            });
                            match hit {
                                Some(h) => Cell::Exact(Some(h)),
                                None => {
                                    return Err(format!(
                                        "oracle: row {} of {fqn}.{old} holds {v:?}, which maps to no \
                                         value of {enum_values:?} (the plan's guard must stop it)",
                                        i + 1
                                    ));
                                }
                            }
                        }
                    },
                };
                cells.push(cell);
            }
            columns.push((c.name.clone(), cells));
        }
        out.push(TableExpect {
            table: qn.clone(),
            from: Some(fqn),
            rows: n,
            columns,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_key_ignores_case_and_punctuation() {
        assert_eq!(name_key(" Google-Ads "), "GOOGLEADS");
        assert_eq!(name_key("GOOGLE_ADS"), "GOOGLEADS");
        assert_eq!(name_key("Ünknown"), "NKNOWN");
        assert_eq!(name_key(""), "");
    }

    #[test]
    fn enum_growth_keeps_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(enum_only_grew(&s(&["A", "B"]), &s(&["X", "A", "Y", "B"])));
        assert!(!enum_only_grew(&s(&["A", "B"]), &s(&["B", "A"])));
        assert!(!enum_only_grew(&s(&["A", "B"]), &s(&["A"])));
    }

    #[test]
    fn mapping_file_parts() {
        let m = parse_mapping(
            "[renames.tables]\nOld = \"New\"\n[renames.columns.New]\na = \"b\"\n\
             [values.New.b]\n\"x y\" = \"X\"\n[fill.New]\nb = \"X\"\n",
        )
        .unwrap();
        assert_eq!(m.tables["New"], "Old");
        assert_eq!(m.columns["New"]["b"], "a");
        assert_eq!(m.values[&("New".into(), "b".into())]["x y"], "X");
        assert_eq!(m.fill[&("New".into(), "b".into())], "X");
    }
}
