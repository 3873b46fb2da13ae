//! The steps of whole objects: extensions, schemas, enums, tables, renames, keys and indexes
//! (one function per kind of change; column changes are `alter`'s).

use crate::build::{Ctx, RawHazard, enum_stmt, old_enum_name, step, stmt};
use crate::ddl::{
    AlterExtension, AlterTable, AlterTableClause, AlterType, AlterTypeAction, ColumnDef,
    Constraint, CreateExtension, CreateSchema, CreateTable, CreateType, DoBlock, DropObject,
    ExtensionAction, RenameIndex, ValuePlace,
};
use crate::edges::Meta;
use crate::sqltext::{qname, quote_literal};
use crate::{SqlKind, Statement, StepKind};
use schemadiff_diff::{Change, ValuePosition};
use schemadiff_model::{
    Enum, Extension, ForeignKey, Index, PrimaryKey, QualifiedName, Schema, Table,
};

/// The step of a change that is not a column change.
pub(crate) fn simple_step(ctx: &mut Ctx, c: &Change) {
    match c {
        Change::CreateExtension(e) => create_extension(ctx, e),
        Change::AlterExtension { from, to } => alter_extension(ctx, from, to),
        Change::DropExtension(e) => drop_extension(ctx, e),
        Change::CreateSchema(n) => create_schema(ctx, n),
        Change::CreateEnum(e) => create_enum(ctx, e),
        Change::AddEnumValue {
            enum_name,
            value,
            position,
        } => add_enum_value(ctx, enum_name, value, position),
        Change::RecreateEnum { from, to, removed } => recreate_enum(ctx, from, to, removed),
        Change::DropEnum(e) => drop_enum(ctx, e),
        Change::RenameTable { from, to } => rename_table(ctx, from, to),
        Change::RenameColumn { table, from, to } => rename_column(ctx, table, from, to),
        Change::RenameConstraint { table, from, to } => rename_constraint(ctx, table, from, to),
        Change::RenameIndex { table, from, to } => rename_index(ctx, table, from, to),
        Change::CreateTable(t) => create_table(ctx, t),
        Change::DropTable(t) => drop_table(ctx, t),
        Change::AddPrimaryKey { table, key } => add_primary_key(ctx, table, key),
        Change::DropPrimaryKey { table, key } => drop_primary_key(ctx, table, key),
        Change::CreateIndex { table, index } => crate::alter::create_index_step(ctx, table, index),
        Change::DropIndex { table, index } => drop_index(ctx, table, index),
        Change::AddForeignKey { table, key } => add_foreign_key(ctx, table, key),
        Change::DropForeignKey { table, key } => drop_foreign_key(ctx, table, key),
        Change::AddColumn { .. } | Change::DropColumn { .. } | Change::AlterColumn { .. } => {}
    }
}

fn enum_meta(e: &QualifiedName) -> Meta {
    Meta {
        enum_name: Some(e.clone()),
        ..Meta::default()
    }
}

fn create_extension(ctx: &mut Ctx, e: &Extension) {
    let sql = CreateExtension {
        name: e.name.clone(),
        schema: e.schema.clone(),
        version: e.version.clone(),
    };
    let s = step(
        StepKind::CreateExtension,
        e.name.clone(),
        format!("Create extension {} (the datasource lists it)", e.name),
        vec![stmt(sql)],
    );
    ctx.push(s, Meta::default(), vec![]);
}

fn alter_extension(ctx: &mut Ctx, from: &Extension, to: &Extension) {
    let schema = to
        .schema
        .clone()
        .filter(|s| Some(s) != from.schema.as_ref())
        .map(ExtensionAction::SetSchema);
    let version = to
        .version
        .clone()
        .filter(|v| Some(v) != from.version.as_ref())
        .map(ExtensionAction::UpdateTo);
    let sqls = schema
        .into_iter()
        .chain(version)
        .map(|action| {
            stmt(AlterExtension {
                name: to.name.clone(),
                action,
            })
        })
        .collect();
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

fn drop_extension(ctx: &mut Ctx, e: &Extension) {
    let s = step(
        StepKind::DropExtension,
        e.name.clone(),
        format!(
            "Drop extension {} (the datasource no longer lists it)",
            e.name
        ),
        vec![stmt(DropObject::Extension(e.name.clone()))],
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

fn create_schema(ctx: &mut Ctx, n: &str) {
    let s = step(
        StepKind::CreateSchema,
        n.to_string(),
        format!("Create schema {n} (the target puts tables or enums in it)"),
        vec![stmt(CreateSchema(n.to_string()))],
    );
    let meta = Meta {
        namespace: Some(n.to_string()),
        ..Meta::default()
    };
    ctx.push(s, meta, vec![]);
}

/// `CREATE TYPE … AS ENUM` of `e`, its kind saying whether a label needed `E'…'`.
fn create_type(e: &Enum) -> Statement {
    enum_stmt(
        CreateType {
            name: e.name.clone(),
            values: e.values.clone(),
        },
        &e.values.iter().collect::<Vec<_>>(),
    )
}

fn create_enum(ctx: &mut Ctx, e: &Enum) {
    let s = step(
        StepKind::CreateEnum,
        e.name.to_string(),
        format!("Create enum {} ({} values)", e.name, e.values.len()),
        vec![create_type(e)],
    );
    ctx.push(s, enum_meta(&e.name), vec![]);
}

fn add_enum_value(ctx: &mut Ctx, enum_name: &QualifiedName, value: &String, at: &ValuePosition) {
    let empty = String::new();
    let (anchor, place) = match at {
        ValuePosition::Before(v) => (v, ValuePlace::Before(v.clone())),
        ValuePosition::After(v) => (v, ValuePlace::After(v.clone())),
        ValuePosition::End => (&empty, ValuePlace::End),
    };
    let description = format!(
        "Add value {value} to enum {enum_name}{} (no step of this plan uses it, so it is added in the plan's one transaction)",
        place.to_string().replace('\'', "")
    );
    let sql = AlterType {
        name: enum_name.clone(),
        action: AlterTypeAction::AddValue {
            value: value.clone(),
            place,
        },
    };
    let s = step(
        StepKind::AddEnumValue,
        format!("{enum_name}.{value}"),
        description,
        vec![enum_stmt(sql, &[value, anchor])],
    );
    ctx.push(s, enum_meta(enum_name), vec![]);
}

fn recreate_enum(ctx: &mut Ctx, from: &Enum, to: &Enum, removed: &[String]) {
    let old = old_enum_name(&from.name);
    let rename = AlterType {
        name: from.name.clone(),
        action: AlterTypeAction::RenameTo(old.name.clone()),
    };
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
        vec![stmt(rename), create_type(to)],
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
        vec![stmt(DropObject::Type(old.clone()))],
    );
    ctx.push(end, enum_meta(&to.name), vec![]);
}

fn drop_enum(ctx: &mut Ctx, e: &Enum) {
    let s = step(
        StepKind::DropEnum,
        e.name.to_string(),
        format!("Drop enum {}", e.name),
        vec![stmt(DropObject::Type(e.name.clone()))],
    );
    let h = RawHazard::new(
        "drop-enum",
        format!("enum {} is dropped; no column uses it any more", e.name),
        false,
        false,
    );
    ctx.push(s, enum_meta(&e.name), vec![h]);
}

fn rename_table(ctx: &mut Ctx, from: &QualifiedName, to: &QualifiedName) {
    let sql = AlterTable::one(from, AlterTableClause::RenameTo(to.name.clone()));
    let mut s = step(
        StepKind::RenameTable,
        to.to_string(),
        format!("Rename table {from} to {to} (declared in the mapping file; keeps the rows)"),
        vec![stmt(sql)],
    );
    if ctx.pg_version >= 18 {
        // Column renames run after the table rename: the columns still have their old names
        // here.
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

fn rename_column(ctx: &mut Ctx, table: &QualifiedName, from: &str, to: &str) {
    let sql = AlterTable::one(
        table,
        AlterTableClause::RenameColumn {
            from: from.to_string(),
            to: to.to_string(),
        },
    );
    let mut s = step(
        StepKind::RenameColumn,
        format!("{table}.{to}"),
        format!(
            "Rename column {table}.{from} to {to} (declared in the mapping file; keeps the values)"
        ),
        vec![stmt(sql)],
    );
    if ctx.pg_version >= 18 && not_null_columns(ctx.from, table).iter().any(|c| c == to) {
        let pair = (
            not_null_name(&table.name, from),
            not_null_name(&table.name, to),
        );
        s.statements.extend(rename_not_null_sql(table, &[pair]));
    }
    ctx.push(s, Meta::on(table), vec![]);
}

fn rename_constraint(ctx: &mut Ctx, table: &QualifiedName, from: &str, to: &str) {
    let sql = AlterTable::one(
        table,
        AlterTableClause::RenameConstraint {
            from: from.to_string(),
            to: to.to_string(),
        },
    );
    let s = step(
        StepKind::RenameConstraint,
        to.to_string(),
        format!("Rename constraint {from} of {table} to {to}"),
        vec![stmt(sql)],
    );
    ctx.push(s, Meta::on(table), vec![]);
}

fn rename_index(ctx: &mut Ctx, table: &QualifiedName, from: &str, to: &str) {
    let sql = RenameIndex {
        name: QualifiedName::new(&table.schema, from),
        to: to.to_string(),
    };
    let s = step(
        StepKind::RenameConstraint,
        to.to_string(),
        format!("Rename index {from} of {table} to {to}"),
        vec![stmt(sql)],
    );
    ctx.push(s, Meta::on(table), vec![]);
}

/// The enums the columns of `t` use.
fn enums_of(t: &Table) -> std::collections::BTreeSet<QualifiedName> {
    t.columns
        .iter()
        .filter_map(|c| c.ty.enum_name().cloned())
        .collect()
}

fn create_table(ctx: &mut Ctx, t: &Table) {
    let mut meta = Meta::on(&t.name);
    meta.enums_new = enums_of(t);
    let sql = CreateTable {
        name: t.name.clone(),
        columns: t.columns.iter().cloned().map(ColumnDef).collect(),
        primary_key: t
            .primary_key
            .as_ref()
            .map(|pk| (pk.name.clone(), pk.columns.clone())),
    };
    let s = step(
        StepKind::CreateTable,
        t.name.to_string(),
        format!("Create table {} ({} columns)", t.name, t.columns.len()),
        vec![stmt(sql)],
    );
    ctx.push(s, meta, vec![]);
}

fn drop_table(ctx: &mut Ctx, t: &Table) {
    let mut meta = Meta::on(&t.name);
    meta.enums_old = enums_of(t);
    let s = step(
        StepKind::DropTable,
        t.name.to_string(),
        format!("Drop table {}", t.name),
        vec![stmt(DropObject::Table(t.name.clone()))],
    );
    let h = RawHazard::new(
        "drop-table",
        format!("table {} is dropped with all its rows", t.name),
        true,
        true,
    );
    ctx.push(s, meta, vec![h]);
}

fn add_primary_key(ctx: &mut Ctx, table: &QualifiedName, key: &PrimaryKey) {
    let mut meta = Meta::on(table);
    meta.unique = true;
    let sql = AlterTable::one(
        table,
        AlterTableClause::AddConstraint {
            name: key.name.clone(),
            constraint: Constraint::PrimaryKey(key.columns.clone()),
        },
    );
    let s = step(
        StepKind::AddPrimaryKey,
        key.name.clone(),
        format!(
            "Add primary key {} ({}) to {table}",
            key.name,
            key.columns.join(", ")
        ),
        vec![stmt(sql)],
    );
    let mut hz = vec![];
    if ctx.from.tables.contains_key(table) {
        hz.push(RawHazard::new(
            "add-unique-on-existing-data",
            format!(
                "primary key {} on existing table {table} fails if the rows hold duplicates or NULLs",
                key.name
            ),
            false,
            false,
        ));
        crate::build::duplicates_preflight(ctx, table, &key.columns, &key.name);
    }
    ctx.push(s, meta, hz);
}

/// `ALTER TABLE table DROP CONSTRAINT name`.
fn drop_constraint(table: &QualifiedName, name: &str) -> Statement {
    stmt(AlterTable::one(
        table,
        AlterTableClause::DropConstraint(name.to_string()),
    ))
}

fn drop_primary_key(ctx: &mut Ctx, table: &QualifiedName, key: &PrimaryKey) {
    let mut meta = Meta::on(table);
    meta.unique = true;
    let s = step(
        StepKind::DropPrimaryKey,
        key.name.clone(),
        format!("Drop primary key {} of {table}", key.name),
        vec![drop_constraint(table, &key.name)],
    );
    ctx.push(s, meta, vec![]);
}

fn drop_index(ctx: &mut Ctx, table: &QualifiedName, index: &Index) {
    let mut meta = Meta::on(table);
    meta.index_name = Some(index.name.clone());
    meta.unique = index.unique;
    let name = QualifiedName::new(&table.schema, &index.name);
    let s = step(
        StepKind::DropIndex,
        index.name.clone(),
        format!("Drop index {} of {table}", index.name),
        vec![stmt(DropObject::Index(name))],
    );
    ctx.push(s, meta, vec![]);
}

/// What the ordering needs to know about a foreign key of `table`.
fn foreign_key_meta(table: &QualifiedName, key: &ForeignKey) -> Meta {
    let mut meta = Meta::on(table);
    meta.refs.insert(key.referenced_table.clone());
    meta.index_name = Some(key.name.clone());
    meta
}

fn add_foreign_key(ctx: &mut Ctx, table: &QualifiedName, key: &ForeignKey) {
    let sql = AlterTable::one(
        table,
        AlterTableClause::AddConstraint {
            name: key.name.clone(),
            constraint: Constraint::ForeignKey(key.clone()),
        },
    );
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
        vec![stmt(sql)],
    );
    ctx.push(s, foreign_key_meta(table, key), vec![]);
}

fn drop_foreign_key(ctx: &mut Ctx, table: &QualifiedName, key: &ForeignKey) {
    let s = step(
        StepKind::DropForeignKey,
        key.name.clone(),
        format!(
            "Drop foreign key {} ({table} → {})",
            key.name, key.referenced_table
        ),
        vec![drop_constraint(table, &key.name)],
    );
    ctx.push(s, foreign_key_meta(table, key), vec![]);
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
        let rename = AlterTable::one(
            table,
            AlterTableClause::RenameConstraint {
                from: old.clone(),
                to: new.clone(),
            },
        );
        body.push_str(&format!(
            "  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'n' AND conname = {}) THEN\n    {rename};\n  END IF;\n",
            quote_literal(&t),
            quote_literal(old),
        ));
    }
    body.push_str("END\n");
    Some(Statement {
        sql: DoBlock(body).to_string(),
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
