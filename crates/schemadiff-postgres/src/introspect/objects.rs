//! Turning the rows of columns.sql, indexes.sql and constraints.sql into columns, keys,
//! indexes and foreign keys of the model's tables, and into not-managed entries for what the
//! model cannot express (partial, expression, INCLUDE or oddly collated indexes, CHECK and
//! EXCLUDE constraints, DEFERRABLE keys, MATCH FULL / NOT VALID foreign keys).

use super::mapping::{DefaultInfo, TypeInfo, column_default, column_type};
use super::{get, text};
use crate::error::Error;
use schemadiff_model::{
    Column, ForeignKey, Index, IndexColumn, IndexMethod, NotManaged, PrimaryKey, QualifiedName,
    ReferentialAction, SortOrder, Table,
};
use std::collections::BTreeMap;
use tokio_postgres::Row;

type Tables = BTreeMap<QualifiedName, Table>;

/// A catalog row and the table it names in its first two columns (schema, name).
struct TableRow<'a> {
    key: &'a QualifiedName,
    table: &'a mut Table,
    row: &'a Row,
}

/// Adds columns.sql rows (columns) to their tables; rows of unknown tables are skipped.
pub(crate) fn add_columns(
    tables: &mut Tables,
    rows: &[Row],
    not_managed: &mut Vec<NotManaged>,
) -> Result<(), Error> {
    add_rows(tables, rows, |at| add_column(at, not_managed))
}

/// Adds constraints.sql rows: foreign keys to their tables; CHECK and EXCLUDE constraints go to
/// `not_managed`. Rows of unknown tables are skipped.
pub(crate) fn add_constraints(
    tables: &mut Tables,
    rows: &[Row],
    not_managed: &mut Vec<NotManaged>,
) -> Result<(), Error> {
    add_rows(tables, rows, |at| add_constraint(at, not_managed))
}

/// Calls `add` with each row and the table it names, skipping rows of unknown tables.
fn add_rows(
    tables: &mut Tables,
    rows: &[Row],
    mut add: impl FnMut(TableRow<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    for row in rows {
        let key = QualifiedName::new(text(row, 0)?, text(row, 1)?);
        if let Some(table) = tables.get_mut(&key) {
            add(TableRow {
                key: &key,
                table,
                row,
            })?;
        }
    }
    Ok(())
}

/// Adds the column of a columns.sql row to its table.
fn add_column(at: TableRow<'_>, not_managed: &mut Vec<NotManaged>) -> Result<(), Error> {
    let TableRow { key, table, row } = at;
    let (full_type, base_type, base_kind) = (text(row, 3)?, text(row, 5)?, text(row, 6)?);
    let (base_schema, base_name) = (text(row, 7)?, text(row, 8)?);
    let ty = column_type(&TypeInfo {
        full_type: &full_type,
        is_array: get(row, 4)?,
        base_type: &base_type,
        base_kind: &base_kind,
        base_schema: &base_schema,
        base_name: &base_name,
    });
    let not_null: bool = get(row, 9)?;
    let expr: Option<String> = get(row, 10)?;
    let identity = get::<Option<String>>(row, 11)?.unwrap_or_default();
    let generated = get::<Option<String>>(row, 12)?.unwrap_or_default();
    let default = column_default(
        &DefaultInfo {
            expr: expr.as_deref(),
            identity: &identity,
            generated: &generated,
            owned_sequence: get(row, 13)?,
        },
        &ty,
    );
    let name = text(row, 2)?;
    let mut options = Vec::new();
    if let Some(collation) = get::<Option<String>>(row, 14)? {
        options.push(format!("COLLATE {collation}"));
    }
    if let Some(storage) = get::<Option<String>>(row, 15)? {
        options.push(format!("STORAGE {storage}"));
    }
    if !options.is_empty() {
        not_managed.push(NotManaged {
            kind: "column option".into(),
            name: QualifiedName::new(key.schema.clone(), format!("{}.{name}", key.name)),
            detail: format!("{} not represented in the model", options.join(", ")),
        });
    }
    table.columns.push(Column {
        name,
        ty,
        nullable: !not_null,
        default,
    });
    Ok(())
}

/// One index being assembled from its key-column rows.
struct IndexRows {
    table: QualifiedName,
    name: String,
    unique: bool,
    primary: bool,
    method: String,
    problems: Vec<&'static str>,
    definition: String,
    deferrable: bool,
    unique_constraint: bool,
    options: Option<String>,
    columns: Vec<IndexColumn>,
}

/// Adds primary keys and indexes; unrepresentable indexes go to `not_managed`.
pub(crate) fn add_indexes(
    tables: &mut Tables,
    rows: &[Row],
    not_managed: &mut Vec<NotManaged>,
) -> Result<(), Error> {
    let mut current: Option<IndexRows> = None;
    for row in rows {
        let table = QualifiedName::new(text(row, 0)?, text(row, 1)?);
        let name = text(row, 2)?;
        if !tables.contains_key(&table) {
            continue;
        }
        let constraint_type: Option<String> = get(row, 9)?;
        if constraint_type.as_deref() == Some("x") {
            continue; // the exclusion constraint is reported by constraints.sql
        }
        let same = current
            .as_ref()
            .is_some_and(|c| c.table == table && c.name == name);
        if !same {
            if let Some(done) = current.take() {
                finish_index(tables, done, not_managed);
            }
            let mut problems = Vec::new();
            if get::<bool>(row, 6)? {
                problems.push("partial index");
            }
            if get::<bool>(row, 7)? {
                problems.push("index with INCLUDE columns");
            }
            if !get::<bool>(row, 8)? {
                problems.push("invalid index (a failed concurrent build)");
            }
            let definition = text(row, 10)?;
            // PostgreSQL 15+; read from the definition, which every version has (the catalog
            // column pg_index.indnullsnotdistinct exists from 15 only).
            if definition.contains(" NULLS NOT DISTINCT") {
                problems.push("unique index with NULLS NOT DISTINCT");
            }
            current = Some(IndexRows {
                table,
                name,
                unique: get(row, 3)?,
                primary: get(row, 4)?,
                method: text(row, 5)?,
                problems,
                definition,
                deferrable: get(row, 17)?,
                unique_constraint: constraint_type.as_deref() == Some("u"),
                options: get::<Option<String>>(row, 18)?.filter(|o| !o.is_empty()),
                columns: Vec::new(),
            });
        }
        let idx = current.as_mut().expect("current index was just set");
        let column: Option<String> = get(row, 12)?;
        let option: i16 = get(row, 13)?;
        let opclass = text(row, 14)?;
        let opclass_default: bool = get(row, 15)?;
        let other_collation: bool = get(row, 16)?;
        let desc = option & 1 != 0;
        let nulls_first = option & 2 != 0;
        if nulls_first != desc {
            push_problem(&mut idx.problems, "index with non-default NULLS ordering");
        }
        if other_collation {
            push_problem(&mut idx.problems, "index with a non-default collation");
        }
        match column {
            None => push_problem(&mut idx.problems, "expression index"),
            Some(c) => idx.columns.push(IndexColumn {
                name: c,
                sort: if desc {
                    SortOrder::Desc
                } else {
                    SortOrder::Asc
                },
                opclass: (!opclass_default).then_some(opclass),
            }),
        }
    }
    if let Some(done) = current.take() {
        finish_index(tables, done, not_managed);
    }
    Ok(())
}

fn push_problem(problems: &mut Vec<&'static str>, p: &'static str) {
    if !problems.contains(&p) {
        problems.push(p);
    }
}

fn finish_index(tables: &mut Tables, idx: IndexRows, not_managed: &mut Vec<NotManaged>) {
    let Some(table) = tables.get_mut(&idx.table) else {
        return;
    };
    if idx.deferrable {
        not_managed.push(NotManaged {
            kind: "constraint option".into(),
            name: QualifiedName::new(
                idx.table.schema.clone(),
                format!("{}.{}", idx.table.name, idx.name),
            ),
            detail: format!(
                "DEFERRABLE not represented in the model: {}",
                idx.definition
            ),
        });
    }
    let qualified = QualifiedName::new(
        idx.table.schema.clone(),
        format!("{}.{}", idx.table.name, idx.name),
    );
    if let Some(options) = &idx.options {
        not_managed.push(NotManaged {
            kind: "index option".into(),
            name: qualified.clone(),
            detail: format!(
                "storage parameters ({options}) not represented in the model: {}",
                idx.definition
            ),
        });
    }
    if idx.unique_constraint && idx.problems.is_empty() {
        // The model (like Prisma) holds unique indexes; a UNIQUE constraint is compared as its
        // index, and the difference is said here.
        not_managed.push(NotManaged {
            kind: "constraint option".into(),
            name: qualified,
            detail: format!(
                "UNIQUE constraint, compared as a unique index (the model holds indexes only): {}",
                idx.definition
            ),
        });
    }
    if idx.primary {
        table.primary_key = Some(PrimaryKey {
            name: idx.name,
            columns: idx.columns.into_iter().map(|c| c.name).collect(),
        });
        return;
    }
    let method = IndexMethod::from_sql_name(&idx.method);
    match (method, idx.problems.is_empty()) {
        (Some(method), true) => table.indexes.push(Index {
            name: idx.name,
            columns: idx.columns,
            unique: idx.unique,
            method,
        }),
        (method, _) => {
            let mut reasons: Vec<String> = idx.problems.iter().map(|p| p.to_string()).collect();
            if method.is_none() {
                reasons.push(format!("index access method {}", idx.method));
            }
            not_managed.push(NotManaged {
                kind: "index".into(),
                name: QualifiedName::new(idx.table.schema.clone(), idx.name),
                detail: format!("{}: {}", reasons.join(", "), idx.definition),
            });
        }
    }
}

fn action(code: &str) -> Result<ReferentialAction, Error> {
    Ok(match code {
        "a" => ReferentialAction::NoAction,
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        other => {
            return Err(Error::Catalog(format!(
                "unknown foreign key action code {other:?}"
            )));
        }
    })
}

/// Adds a constraints.sql row: a foreign key to its table; CHECK and EXCLUDE constraints go to
/// `not_managed`.
fn add_constraint(at: TableRow<'_>, not_managed: &mut Vec<NotManaged>) -> Result<(), Error> {
    let TableRow { key, table, row } = at;
    let name = text(row, 2)?;
    let kind = text(row, 3)?;
    let definition = text(row, 13)?;
    let entry = |kind: &str, detail: String| NotManaged {
        kind: kind.into(),
        name: QualifiedName::new(key.schema.clone(), format!("{}.{}", key.name, name)),
        detail,
    };
    match kind.as_str() {
        "f" => {
            let deferrable: bool = get(row, 10)?;
            let validated: bool = get(row, 11)?;
            let full_match = text(row, 12)? == "f";
            let mut options = Vec::new();
            if deferrable {
                options.push("DEFERRABLE");
            }
            if !validated {
                options.push("NOT VALID");
            }
            if full_match {
                options.push("MATCH FULL");
            }
            if !options.is_empty() {
                not_managed.push(entry(
                    "constraint option",
                    format!(
                        "{} not represented in the model: {definition}",
                        options.join(", ")
                    ),
                ));
            }
            table.foreign_keys.push(ForeignKey {
                name,
                columns: get(row, 4)?,
                referenced_table: QualifiedName::new(text(row, 5)?, text(row, 6)?),
                referenced_columns: get(row, 7)?,
                on_delete: action(&text(row, 8)?)?,
                on_update: action(&text(row, 9)?)?,
            });
        }
        "c" => not_managed.push(entry("check constraint", definition)),
        _ => not_managed.push(entry("exclusion constraint", definition)),
    }
    Ok(())
}
