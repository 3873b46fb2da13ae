//! Turns the differ's changes into unordered steps with their statements, hazards, guards,
//! mappings and pre-flight queries. Column changes of one table are merged into one
//! `ALTER TABLE` step (see `alter`).

use crate::alter::{TableAlter, alter_table_step};
use crate::edges::Meta;
use crate::mapping::Mapping;
use crate::objects::simple_step;
use crate::preflight::{PreflightQuery, duplicates_preflight_query};
use crate::{PlanError, PlanOptions, SqlKind, Statement, Step, StepKind, ValueMapping};
use schemadiff_diff::{Change, diff_and_renamed};
use schemadiff_model::{QualifiedName, Schema};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

/// A step before ordering, with what the ordering rules need to know about it.
pub(crate) struct RawStep {
    pub step: Step,
    pub meta: Meta,
    pub hazards: Vec<RawHazard>,
}

/// A hazard of a raw step.
pub(crate) struct RawHazard {
    pub code: &'static str,
    pub message: String,
    pub loses_data: bool,
    pub requires_allow: bool,
}

impl RawHazard {
    pub(crate) fn new(
        code: &'static str,
        message: String,
        loses_data: bool,
        requires_allow: bool,
    ) -> Self {
        Self {
            code,
            message,
            loses_data,
            requires_allow,
        }
    }
}

/// Everything `build` produces.
pub(crate) struct Built {
    pub steps: Vec<RawStep>,
    pub warnings: Vec<String>,
    pub mappings: Vec<ValueMapping>,
    pub preflight: Vec<PreflightQuery>,
}

/// Shared state while building.
pub(crate) struct Ctx<'a> {
    pub from: &'a Schema,
    pub to: &'a Schema,
    pub mapping: &'a Mapping,
    pub recreated: BTreeSet<QualifiedName>,
    pub used_values: BTreeSet<(QualifiedName, String)>,
    pub used_fills: BTreeSet<(QualifiedName, String)>,
    pub helper_created: bool,
    /// The PostgreSQL major version planned for.
    pub pg_version: u32,
    pub out: Built,
}

/// A plain statement: its text is the `Display` of a typed statement (`ddl`).
pub(crate) fn stmt(sql: impl Display) -> Statement {
    Statement {
        sql: sql.to_string(),
        kind: SqlKind::Plain,
    }
}

/// A statement creating or extending an enum: its kind says whether a label needed `E'…'`.
pub(crate) fn enum_stmt(sql: impl Display, labels: &[&String]) -> Statement {
    Statement {
        sql: sql.to_string(),
        kind: if labels.iter().any(|l| l.contains('\\')) {
            SqlKind::EscapedEnumLabel
        } else {
            SqlKind::Plain
        },
    }
}

pub(crate) fn step(
    kind: StepKind,
    object: String,
    description: String,
    statements: Vec<Statement>,
) -> Step {
    Step {
        kind,
        object,
        description,
        details: Vec::new(),
        statements,
        hazards: Vec::new(),
        batch: 0,
    }
}

impl Ctx<'_> {
    /// The names a column had before the declared renames (guards and pre-flight queries run
    /// before any rename).
    pub(crate) fn old_names(&self, table: &QualifiedName, column: &str) -> (QualifiedName, String) {
        let r = &self.mapping.renames;
        let old_col = r
            .columns
            .get(table)
            .and_then(|m| m.iter().find(|(_, new)| new.as_str() == column))
            .map(|(old, _)| old.clone())
            .unwrap_or_else(|| column.to_string());
        let old_table = r
            .tables
            .iter()
            .find(|(_, new)| *new == table)
            .map(|(old, _)| old.clone())
            .unwrap_or_else(|| table.clone());
        (old_table, old_col)
    }

    pub(crate) fn push(&mut self, step: Step, meta: Meta, hazards: Vec<RawHazard>) {
        self.out.steps.push(RawStep {
            step,
            meta,
            hazards,
        });
    }
}

fn validate_renames(from: &Schema, to: &Schema, m: &Mapping) -> Result<(), PlanError> {
    for (old, new) in &m.renames.tables {
        if !from.tables.contains_key(old) {
            return Err(PlanError::UnusedMapping {
                path: format!("renames.tables.{}", old.name),
                message: format!("table {old} is not in the source schema"),
            });
        }
        if !to.tables.contains_key(new) {
            return Err(PlanError::UnusedMapping {
                path: format!("renames.tables.{}", old.name),
                message: format!("table {new} is not in the target schema"),
            });
        }
        // Renames are applied one by one under their new names: a name the source still
        // holds (a swap, a chain, or a table dropped in the same plan) would be taken twice.
        if from.tables.contains_key(new) {
            return Err(PlanError::UnusedMapping {
                path: format!("renames.tables.{}", old.name),
                message: format!(
                    "table {new} already exists in the source schema: renaming into a name that is still in use (swapping or chaining names, or replacing a table dropped in the same plan) is not supported; do it in two plans"
                ),
            });
        }
    }
    for (table, cols) in &m.renames.columns {
        let source = m
            .renames
            .tables
            .iter()
            .find(|(_, n)| *n == table)
            .map(|(o, _)| o)
            .unwrap_or(table);
        for (old, new) in cols {
            let path = format!("renames.columns.{}.{old}", table.name);
            let (Some(ft), Some(tt)) = (from.tables.get(source), to.tables.get(table)) else {
                return Err(PlanError::UnusedMapping {
                    path,
                    message: format!(
                        "table {table} is not in the target schema, or its source {source} is not in the source schema"
                    ),
                });
            };
            if ft.column(old).is_none() {
                return Err(PlanError::UnusedMapping {
                    path,
                    message: format!("column {source}.{old} is not in the source schema"),
                });
            }
            if tt.column(new).is_none() {
                return Err(PlanError::UnusedMapping {
                    path,
                    message: format!("column {table}.{new} is not in the target schema"),
                });
            }
            if ft.column(new).is_some() {
                return Err(PlanError::UnusedMapping {
                    path,
                    message: format!(
                        "column {source}.{new} already exists in the source schema: renaming into a name that is still in use (swapping or chaining names, or replacing a column dropped in the same plan) is not supported; do it in two plans"
                    ),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn build(
    from: &Schema,
    to: &Schema,
    mapping: &Mapping,
    options: &PlanOptions,
) -> Result<Built, PlanError> {
    validate_renames(from, to, mapping)?;
    let (changes, rfrom) = diff_and_renamed(from, to, &mapping.renames);
    let mut changes = changes.changes;
    let one_transaction =
        crate::enum_use::recreate_used_additions(&mut changes, &rfrom, to, mapping);
    let recreated = changes
        .iter()
        .filter_map(|c| match c {
            Change::RecreateEnum { to, .. } => Some(to.name.clone()),
            _ => None,
        })
        .collect();
    let mut ctx = Ctx {
        from: &rfrom,
        to,
        mapping,
        recreated,
        used_values: BTreeSet::new(),
        used_fills: BTreeSet::new(),
        helper_created: false,
        pg_version: options.pg_version,
        out: Built {
            steps: Vec::new(),
            warnings: Vec::new(),
            mappings: Vec::new(),
            preflight: Vec::new(),
        },
    };
    for e in &one_transaction {
        ctx.out.warnings.push(format!(
            "enum {e} gains value(s) that this plan also uses: it is recreated with the full value list (its columns are cast, which rewrites their tables) so that the whole plan runs in one transaction"
        ));
    }
    warn_emptied_namespaces(&mut ctx, &rfrom, to);
    let mut alters: BTreeMap<QualifiedName, TableAlter> = BTreeMap::new();
    for c in &changes {
        match c {
            Change::AddColumn { table, column } => alters
                .entry(table.clone())
                .or_default()
                .adds
                .push(column.clone()),
            Change::DropColumn { table, column } => alters
                .entry(table.clone())
                .or_default()
                .drops
                .push(column.clone()),
            Change::AlterColumn { table, from, to } => alters
                .entry(table.clone())
                .or_default()
                .alters
                .push((from.clone(), to.clone())),
            other => simple_step(&mut ctx, other),
        }
    }
    cast_recreated_enum_columns(&ctx.recreated, &rfrom, to, &mut alters);
    for (table, alter) in alters {
        alter_table_step(&mut ctx, &table, alter)?;
    }
    check_unused(&ctx)?;
    Ok(ctx.out)
}

/// Namespaces the target no longer uses are left in place, with a warning.
fn warn_emptied_namespaces(ctx: &mut Ctx, from: &Schema, to: &Schema) {
    let still_used = schemadiff_diff::namespaces(to);
    for n in schemadiff_diff::namespaces(from) {
        if n != QualifiedName::DEFAULT_SCHEMA && !still_used.contains(&n) {
            ctx.out.warnings.push(format!(
                "schema {n} holds nothing of the target any more; schemadiff never drops a schema, so it is left in place (drop it by hand if nothing else uses it)"
            ));
        }
    }
}

/// Columns of a recreated enum must be cast to the new type even when nothing else changes.
fn cast_recreated_enum_columns(
    recreated: &BTreeSet<QualifiedName>,
    from: &Schema,
    to: &Schema,
    alters: &mut BTreeMap<QualifiedName, TableAlter>,
) {
    for (tn, t) in &from.tables {
        let Some(tt) = to.tables.get(tn) else {
            continue;
        };
        for c in &t.columns {
            if !c.ty.enum_name().is_some_and(|e| recreated.contains(e)) {
                continue;
            }
            let Some(tc) = tt.column(&c.name) else {
                continue;
            };
            let entry = alters.entry(tn.clone()).or_default();
            if !entry.alters.iter().any(|(f, _)| f.name == c.name) {
                entry.alters.push((c.clone(), tc.clone()));
            }
        }
    }
}

fn check_unused(ctx: &Ctx) -> Result<(), PlanError> {
    for key in ctx.mapping.values.keys() {
        if !ctx.used_values.contains(key) {
            return Err(PlanError::UnusedMapping {
                path: ctx.mapping.path_of(key),
                message: format!(
                    "column {}.{} is not cast to an enum by this plan, so its value mapping would be ignored",
                    key.0, key.1
                ),
            });
        }
    }
    for key in ctx.mapping.fills.keys() {
        if !ctx.used_fills.contains(key) {
            return Err(PlanError::UnusedMapping {
                path: format!("fill.{}.{}", key.0, key.1),
                message: format!(
                    "column {}.{} does not become required in this plan (nor is it added as a required column without a default), so the fill value would be ignored",
                    key.0, key.1
                ),
            });
        }
    }
    Ok(())
}

/// The name the old type is renamed to while its columns are cast.
pub(crate) fn old_enum_name(e: &QualifiedName) -> QualifiedName {
    QualifiedName::new(&e.schema, format!("{}_old", e.name))
}

/// Pre-flight: duplicate keys of a new unique index or key on an existing table. It runs before
/// the plan, so it reads the table and columns under their names before the declared renames;
/// a key over a column the plan adds has no data to check yet and gets no query.
pub(crate) fn duplicates_preflight(
    ctx: &mut Ctx,
    table: &QualifiedName,
    cols: &[String],
    name: &str,
) {
    let Some(existing) = ctx.from.tables.get(table) else {
        return;
    };
    if cols.iter().any(|c| existing.column(c).is_none()) {
        return;
    }
    let old_table = ctx.old_names(table, "").0;
    let old_cols: Vec<String> = cols.iter().map(|c| ctx.old_names(table, c).1).collect();
    let description = format!(
        "duplicate keys for unique {name} on {table} ({})",
        cols.join(", ")
    );
    ctx.out.preflight.push(duplicates_preflight_query(
        description,
        &old_table,
        &old_cols,
    ));
}
