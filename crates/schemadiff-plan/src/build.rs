//! Turns the differ's changes into unordered steps with their statements, hazards, guards,
//! mappings and pre-flight queries. Column changes of one table are merged into one
//! `ALTER TABLE` step (see `alter`).

use crate::alter::{TableAlter, alter_table_step};
use crate::edges::Meta;
use crate::mapping::Mapping;
use crate::preflight::{PreflightKind, PreflightQuery};
use crate::sqltext::{self, ident_list, qname, quote_ident, quote_literal};
use crate::{PlanError, PlanOptions, SqlKind, Statement, Step, StepKind, ValueMapping};
use schemadiff_diff::{Change, ValuePosition, diff_and_renamed};
use schemadiff_model::{Enum, QualifiedName, Schema};
use std::collections::{BTreeMap, BTreeSet};

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

pub(crate) fn stmt(sql: String) -> Statement {
    Statement {
        sql,
        kind: SqlKind::Plain,
    }
}

/// A statement creating or extending an enum: its kind says whether a label needed `E'…'`.
pub(crate) fn enum_stmt(sql: String, labels: &[&String]) -> Statement {
    Statement {
        sql,
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
    let still_used = schemadiff_diff::namespaces(to);
    for n in schemadiff_diff::namespaces(&rfrom) {
        if n != QualifiedName::DEFAULT_SCHEMA && !still_used.contains(&n) {
            ctx.out.warnings.push(format!(
                "schema {n} holds nothing of the target any more; schemadiff never drops a schema, so it is left in place (drop it by hand if nothing else uses it)"
            ));
        }
    }
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
    // Columns of a recreated enum must be cast to the new type even when nothing else changes.
    for (tn, t) in &rfrom.tables {
        let Some(tt) = to.tables.get(tn) else {
            continue;
        };
        for c in &t.columns {
            let Some(e) = c.ty.enum_name() else { continue };
            if !ctx.recreated.contains(e) {
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
    for (table, alter) in alters {
        alter_table_step(&mut ctx, &table, alter)?;
    }
    check_unused(&ctx)?;
    Ok(ctx.out)
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

fn enum_meta(e: &QualifiedName) -> Meta {
    Meta {
        enum_name: Some(e.clone()),
        ..Meta::default()
    }
}

fn simple_step(ctx: &mut Ctx, c: &Change) {
    match c {
        Change::CreateExtension(e) => {
            let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(&e.name));
            if let Some(s) = &e.schema {
                sql.push_str(&format!(" WITH SCHEMA {}", quote_ident(s)));
            }
            if let Some(v) = &e.version {
                sql.push_str(&format!(" VERSION {}", quote_literal(v)));
            }
            let s = step(
                StepKind::CreateExtension,
                e.name.clone(),
                format!("Create extension {} (the datasource lists it)", e.name),
                vec![stmt(sql)],
            );
            ctx.push(s, Meta::default(), vec![]);
        }
        Change::AlterExtension { from, to } => {
            let mut sqls = Vec::new();
            if let Some(s) = to
                .schema
                .as_ref()
                .filter(|s| Some(*s) != from.schema.as_ref())
            {
                sqls.push(stmt(format!(
                    "ALTER EXTENSION {} SET SCHEMA {}",
                    quote_ident(&to.name),
                    quote_ident(s)
                )));
            }
            if let Some(v) = to
                .version
                .as_ref()
                .filter(|v| Some(*v) != from.version.as_ref())
            {
                sqls.push(stmt(format!(
                    "ALTER EXTENSION {} UPDATE TO {}",
                    quote_ident(&to.name),
                    quote_literal(v)
                )));
            }
            let s = step(
                StepKind::CreateExtension,
                to.name.clone(),
                format!(
                    "Move or update extension {} to the schema and version the datasource lists",
                    to.name
                ),
                sqls,
            );
            ctx.push(s, Meta::default(), vec![]);
        }
        Change::DropExtension(e) => {
            let s = step(
                StepKind::DropExtension,
                e.name.clone(),
                format!(
                    "Drop extension {} (the datasource no longer lists it)",
                    e.name
                ),
                vec![stmt(format!("DROP EXTENSION {}", quote_ident(&e.name)))],
            );
            let h = RawHazard::new(
                "drop-extension",
                format!(
                    "extension {} is dropped with its functions, types and operators (it fails if a column or index still uses them); allow it with `--allow-hazard drop-extension`, or add it back to the datasource's `extensions`",
                    e.name
                ),
                true,
                true,
            );
            ctx.push(s, Meta::default(), vec![h]);
        }
        Change::CreateSchema(n) => {
            let s = step(
                StepKind::CreateSchema,
                n.clone(),
                format!("Create schema {n} (the target puts tables or enums in it)"),
                vec![stmt(format!(
                    "CREATE SCHEMA IF NOT EXISTS {}",
                    quote_ident(n)
                ))],
            );
            let meta = Meta {
                namespace: Some(n.clone()),
                ..Meta::default()
            };
            ctx.push(s, meta, vec![]);
        }
        Change::CreateEnum(e) => {
            let s = step(
                StepKind::CreateEnum,
                e.name.to_string(),
                format!("Create enum {} ({} values)", e.name, e.values.len()),
                vec![enum_stmt(
                    sqltext::create_enum(e),
                    &e.values.iter().collect::<Vec<_>>(),
                )],
            );
            ctx.push(s, enum_meta(&e.name), vec![]);
        }
        Change::AddEnumValue {
            enum_name,
            value,
            position,
        } => {
            let empty = String::new();
            let anchor = match position {
                ValuePosition::Before(v) | ValuePosition::After(v) => v,
                ValuePosition::End => &empty,
            };
            let pos = match position {
                ValuePosition::Before(v) => format!(" BEFORE {}", quote_literal(v)),
                ValuePosition::After(v) => format!(" AFTER {}", quote_literal(v)),
                ValuePosition::End => String::new(),
            };
            let s = step(
                StepKind::AddEnumValue,
                format!("{enum_name}.{value}"),
                format!(
                    "Add value {value} to enum {enum_name}{} (no step of this plan uses it, so it is added in the plan's one transaction)",
                    pos.replace('\'', "")
                ),
                vec![enum_stmt(
                    format!(
                        "ALTER TYPE {} ADD VALUE {}{pos}",
                        qname(enum_name),
                        quote_literal(value)
                    ),
                    &[value, anchor],
                )],
            );
            ctx.push(s, enum_meta(enum_name), vec![]);
        }
        Change::RecreateEnum { from, to, removed } => recreate_enum(ctx, from, to, removed),
        Change::DropEnum(e) => {
            let s = step(
                StepKind::DropEnum,
                e.name.to_string(),
                format!("Drop enum {}", e.name),
                vec![stmt(format!("DROP TYPE {}", qname(&e.name)))],
            );
            let h = RawHazard::new(
                "drop-enum",
                format!("enum {} is dropped; no column uses it any more", e.name),
                false,
                false,
            );
            ctx.push(s, enum_meta(&e.name), vec![h]);
        }
        Change::RenameTable { from, to } => {
            let s = step(
                StepKind::RenameTable,
                to.to_string(),
                format!(
                    "Rename table {from} to {to} (declared in the mapping file; keeps the rows)"
                ),
                vec![stmt(format!(
                    "ALTER TABLE {} RENAME TO {}",
                    qname(from),
                    quote_ident(&to.name)
                ))],
            );
            let mut s = s;
            if ctx.pg_version >= 18 {
                // Column renames run after the table rename: the columns still have their old
                // names here.
                let pairs: Vec<(String, String)> = not_null_columns(ctx.from, to)
                    .into_iter()
                    .map(|c| {
                        let old_col = ctx.old_names(to, &c).1;
                        (
                            not_null_name(&from.name, &old_col),
                            not_null_name(&to.name, &old_col),
                        )
                    })
                    .collect();
                s.statements.extend(rename_not_null_sql(to, &pairs));
            }
            let meta = Meta {
                table: Some(to.clone()),
                ..Meta::default()
            };
            ctx.push(s, meta, vec![]);
        }
        Change::RenameColumn { table, from, to } => {
            let s = step(
                StepKind::RenameColumn,
                format!("{table}.{to}"),
                format!(
                    "Rename column {table}.{from} to {to} (declared in the mapping file; keeps the values)"
                ),
                vec![stmt(format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    qname(table),
                    quote_ident(from),
                    quote_ident(to)
                ))],
            );
            let mut s = s;
            if ctx.pg_version >= 18 && not_null_columns(ctx.from, table).contains(to) {
                let pair = (
                    not_null_name(&table.name, from),
                    not_null_name(&table.name, to),
                );
                s.statements.extend(rename_not_null_sql(table, &[pair]));
            }
            ctx.push(s, Meta::on(table), vec![]);
        }
        Change::RenameConstraint { table, from, to } => {
            let s = step(
                StepKind::RenameConstraint,
                to.clone(),
                format!("Rename constraint {from} of {table} to {to}"),
                vec![stmt(format!(
                    "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                    qname(table),
                    quote_ident(from),
                    quote_ident(to)
                ))],
            );
            ctx.push(s, Meta::on(table), vec![]);
        }
        Change::RenameIndex { table, from, to } => {
            let s = step(
                StepKind::RenameConstraint,
                to.clone(),
                format!("Rename index {from} of {table} to {to}"),
                vec![stmt(format!(
                    "ALTER INDEX {} RENAME TO {}",
                    qname(&QualifiedName::new(&table.schema, from)),
                    quote_ident(to)
                ))],
            );
            ctx.push(s, Meta::on(table), vec![]);
        }
        Change::CreateTable(t) => {
            let mut meta = Meta::on(&t.name);
            meta.enums_new = t
                .columns
                .iter()
                .filter_map(|c| c.ty.enum_name().cloned())
                .collect();
            let s = step(
                StepKind::CreateTable,
                t.name.to_string(),
                format!("Create table {} ({} columns)", t.name, t.columns.len()),
                vec![stmt(sqltext::create_table(t))],
            );
            ctx.push(s, meta, vec![]);
        }
        Change::DropTable(t) => {
            let mut meta = Meta::on(&t.name);
            meta.enums_old = t
                .columns
                .iter()
                .filter_map(|c| c.ty.enum_name().cloned())
                .collect();
            let s = step(
                StepKind::DropTable,
                t.name.to_string(),
                format!("Drop table {}", t.name),
                vec![stmt(format!("DROP TABLE {}", qname(&t.name)))],
            );
            let h = RawHazard::new(
                "drop-table",
                format!("table {} is dropped with all its rows", t.name),
                true,
                true,
            );
            ctx.push(s, meta, vec![h]);
        }
        Change::AddPrimaryKey { table, key } => {
            let mut meta = Meta::on(table);
            meta.unique = true;
            let s = step(
                StepKind::AddPrimaryKey,
                key.name.clone(),
                format!(
                    "Add primary key {} ({}) to {table}",
                    key.name,
                    key.columns.join(", ")
                ),
                vec![stmt(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})",
                    qname(table),
                    quote_ident(&key.name),
                    ident_list(&key.columns)
                ))],
            );
            let mut hz = vec![];
            if ctx.from.tables.contains_key(table) {
                hz.push(RawHazard::new(
                    "add-unique-on-existing-data",
                    format!("primary key {} on existing table {table} fails if the rows hold duplicates or NULLs", key.name),
                    false,
                    false,
                ));
                let cols: Vec<String> = key.columns.clone();
                duplicates_preflight(ctx, table, &cols, &key.name);
            }
            ctx.push(s, meta, hz);
        }
        Change::DropPrimaryKey { table, key } => {
            let mut meta = Meta::on(table);
            meta.unique = true;
            let s = step(
                StepKind::DropPrimaryKey,
                key.name.clone(),
                format!("Drop primary key {} of {table}", key.name),
                vec![stmt(format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    qname(table),
                    quote_ident(&key.name)
                ))],
            );
            ctx.push(s, meta, vec![]);
        }
        Change::CreateIndex { table, index } => crate::alter::create_index_step(ctx, table, index),
        Change::DropIndex { table, index } => {
            let mut meta = Meta::on(table);
            meta.index_name = Some(index.name.clone());
            meta.unique = index.unique;
            let s = step(
                StepKind::DropIndex,
                index.name.clone(),
                format!("Drop index {} of {table}", index.name),
                vec![stmt(format!(
                    "DROP INDEX {}",
                    qname(&QualifiedName::new(&table.schema, &index.name))
                ))],
            );
            ctx.push(s, meta, vec![]);
        }
        Change::AddForeignKey { table, key } => {
            let mut meta = Meta::on(table);
            meta.refs.insert(key.referenced_table.clone());
            meta.index_name = Some(key.name.clone());
            let s = step(
                StepKind::AddForeignKey,
                key.name.clone(),
                format!(
                    "Add foreign key {} ({table} → {}, ON DELETE {}, ON UPDATE {})",
                    key.name,
                    key.referenced_table,
                    key.on_delete.sql(),
                    key.on_update.sql()
                ),
                vec![stmt(sqltext::add_foreign_key(table, key))],
            );
            ctx.push(s, meta, vec![]);
        }
        Change::DropForeignKey { table, key } => {
            let mut meta = Meta::on(table);
            meta.refs.insert(key.referenced_table.clone());
            meta.index_name = Some(key.name.clone());
            let s = step(
                StepKind::DropForeignKey,
                key.name.clone(),
                format!(
                    "Drop foreign key {} ({table} → {})",
                    key.name, key.referenced_table
                ),
                vec![stmt(format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    qname(table),
                    quote_ident(&key.name)
                ))],
            );
            ctx.push(s, meta, vec![]);
        }
        Change::AddColumn { .. } | Change::DropColumn { .. } | Change::AlterColumn { .. } => {}
    }
}

/// The name the old type is renamed to while its columns are cast.
pub(crate) fn old_enum_name(e: &QualifiedName) -> QualifiedName {
    QualifiedName::new(&e.schema, format!("{}_old", e.name))
}

fn recreate_enum(ctx: &mut Ctx, from: &Enum, to: &Enum, removed: &[String]) {
    let old = old_enum_name(&from.name);
    let begin = step(
        StepKind::RecreateEnumBegin,
        to.name.to_string(),
        if removed.is_empty() {
            format!(
                "Recreate enum {} (values added and used in this plan: a new type with the full value list can be used in the same transaction, an added value cannot): rename the old type away and create the new one; its columns are cast next",
                to.name
            )
        } else {
            format!(
                "Recreate enum {} (values removed or reordered): rename the old type away and create the new one; its columns are cast next",
                to.name
            )
        },
        vec![
            stmt(format!(
                "ALTER TYPE {} RENAME TO {}",
                qname(&from.name),
                quote_ident(&old.name)
            )),
            enum_stmt(
                sqltext::create_enum(to),
                &to.values.iter().collect::<Vec<_>>(),
            ),
        ],
    );
    let mut hz = vec![];
    if !removed.is_empty() {
        hz.push(RawHazard::new(
            "enum-value-removed",
            format!(
                "enum {} loses value(s) {}; rows holding them stop the migration (guard) unless the mapping file maps them",
                to.name,
                removed.join(", ")
            ),
            false,
            true,
        ));
    }
    ctx.push(begin, enum_meta(&to.name), hz);
    let end = step(
        StepKind::RecreateEnumEnd,
        old.to_string(),
        format!("Drop the old enum type {old} now that no column uses it"),
        vec![stmt(format!("DROP TYPE {}", qname(&old)))],
    );
    ctx.push(end, enum_meta(&to.name), vec![]);
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
    let list = ident_list(&old_cols);
    let not_null: Vec<String> = old_cols
        .iter()
        .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
        .collect();
    ctx.out.preflight.push(PreflightQuery {
        kind: PreflightKind::Duplicates,
        description: format!("duplicate keys for unique {name} on {table} ({})", cols.join(", ")),
        sql: format!(
            "SELECT {list}, count(*)::text AS rows FROM {} WHERE {} GROUP BY {list} HAVING count(*) > 1 ORDER BY {list} LIMIT 20",
            qname(&old_table),
            not_null.join(" AND ")
        ),
        null_blocks: false,
        strict: false,
        clears: None,
    });
}

/// The columns of `table` (by its name after the declared renames) that are NOT NULL in `from`
/// (renamed schema: columns under their new names), primary key columns included.
fn not_null_columns(from: &Schema, table: &QualifiedName) -> Vec<String> {
    let Some(t) = from.tables.get(table) else {
        return Vec::new();
    };
    let pk: Vec<&String> = t
        .primary_key
        .iter()
        .flat_map(|k| k.columns.iter())
        .collect();
    t.columns
        .iter()
        .filter(|c| !c.nullable || pk.contains(&&c.name))
        .map(|c| c.name.clone())
        .collect()
}

/// The name PostgreSQL 18+ gives the NOT NULL constraint of `table.column`:
/// `{table}_{column}_not_null`, both parts cut (the longer first, on a character boundary) so
/// that the name fits in 63 bytes, as PostgreSQL's `makeObjectName` does.
pub(crate) fn not_null_name(table: &str, column: &str) -> String {
    schemadiff_model::make_object_name(table, Some(column), "not_null")
}

/// PostgreSQL 18 catalogs NOT NULL constraints under a name derived from the table and column
/// at creation, and a rename keeps it. Renames each `(old, new)` default name on `table` (its
/// current name) when a NOT NULL constraint of that name exists, so that the database ends as
/// one created under the new names; a custom name is left alone.
fn rename_not_null_sql(table: &QualifiedName, pairs: &[(String, String)]) -> Option<Statement> {
    let pairs: Vec<&(String, String)> = pairs.iter().filter(|(a, b)| a != b).collect();
    if pairs.is_empty() {
        return None;
    }
    let t = qname(table);
    let mut body = String::from("\nBEGIN\n");
    for (old, new) in pairs {
        body.push_str(&format!(
            "  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'n' AND conname = {}) THEN\n    ALTER TABLE {t} RENAME CONSTRAINT {} TO {};\n  END IF;\n",
            quote_literal(&t),
            quote_literal(old),
            quote_ident(old),
            quote_ident(new)
        ));
    }
    body.push_str("END\n");
    let tag = sqltext::dollar_tag(&body);
    Some(Statement {
        sql: format!("DO {tag}{body}{tag}"),
        kind: SqlKind::DoBlock,
    })
}

#[cfg(test)]
mod not_null_tests {
    use super::not_null_name;

    #[test]
    fn not_null_names_are_cut_like_postgresql() {
        assert_eq!(not_null_name("T", "name"), "T_name_not_null");
        let long = "a".repeat(40);
        // 53 bytes for both parts: the longer is cut first.
        assert_eq!(
            not_null_name(&long, "bbbbbbbbbbbbbbbbbbbb"),
            format!("{}_{}_not_null", "a".repeat(33), "b".repeat(20))
        );
        assert!(not_null_name(&long, &long).len() <= 63);
    }
}
