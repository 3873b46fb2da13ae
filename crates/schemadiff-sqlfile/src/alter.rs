//! `ALTER TABLE`, `DROP TABLE`, `DROP INDEX` and `ALTER INDEX … RENAME`, with the
//! follow-up effects PostgreSQL applies (dropping a column drops its indexes and keys,
//! renaming a column or table updates every reference to it).

use crate::apply::{Ctx, Res};
use crate::create::{self, add_constraint, relation_taken};
use crate::names::{ident, parts, qualified};
use crate::types::{self, default_value, retype_default};
use schemadiff_model::{QualifiedName, Table};
use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ConstraintUsingIndex, DropBehavior,
    ObjectName, RenameTableNameKind, TableConstraint,
};

fn table<'s>(ctx: &'s mut Ctx, q: &QualifiedName) -> Result<&'s mut Table, String> {
    ctx.schema
        .tables
        .get_mut(q)
        .ok_or_else(|| format!("table {q} does not exist"))
}

fn column<'t>(t: &'t mut Table, name: &str) -> Result<&'t mut schemadiff_model::Column, String> {
    let tn = t.name.clone();
    t.columns
        .iter_mut()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("column {name} of table {tn} does not exist"))
}

/// `ALTER TABLE`.
pub fn alter_table(ctx: &mut Ctx, at: &AlterTable) -> Res {
    let mut q = qualified(&at.name, ctx.search);
    if !ctx.schema.tables.contains_key(&q) {
        return if at.if_exists {
            Ok(())
        } else {
            Err(format!("table {q} does not exist"))
        };
    }
    for op in &at.operations {
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let (col, cons) = create::column(ctx, column_def)?;
                let t = table(ctx, &q)?;
                if t.column(&col.name).is_some() {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(format!("column {} of table {q} already exists", col.name));
                }
                t.columns.push(col);
                for c in cons {
                    add_constraint(ctx.schema, &q, c)?;
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                drop_behavior,
                ..
            } => {
                let cascade = matches!(drop_behavior, Some(DropBehavior::Cascade));
                for c in column_names {
                    drop_column(ctx, &q, &ident(c), *if_exists, cascade)?;
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                alter_column(ctx, &q, &ident(column_name), op)?;
            }
            AlterTableOperation::AddConstraint {
                constraint:
                    c
                    @ (TableConstraint::PrimaryKeyUsingIndex(u) | TableConstraint::UniqueUsingIndex(u)),
                ..
            } => {
                let pk = matches!(c, TableConstraint::PrimaryKeyUsingIndex(_));
                constraint_using_index(ctx, &q, u, pk)?;
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                if let Some(c) = create::table_constraint(ctx, constraint)? {
                    add_constraint(ctx.schema, &q, c)?;
                }
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => drop_constraint(ctx, &q, &ident(name), *if_exists)?,
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => rename_column(ctx, &q, &ident(old_column_name), &ident(new_column_name))?,
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::To(n) | RenameTableNameKind::As(n)) = table_name;
                let to = QualifiedName::new(
                    q.schema.clone(),
                    parts(n).last().cloned().unwrap_or_default(),
                );
                rename_table(ctx, &q, &to)?;
                q = to;
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                rename_constraint(ctx, &q, &ident(old_name), &ident(new_name))?
            }
            other => ctx.note(format!("ALTER TABLE {q} {other} is not modelled")),
        }
    }
    Ok(())
}

fn alter_column(ctx: &mut Ctx, q: &QualifiedName, name: &str, op: &AlterColumnOperation) -> Res {
    let resolved = match op {
        AlterColumnOperation::SetDataType { data_type, .. } => {
            let r = types::resolve(data_type, ctx.schema, ctx.search);
            if r.serial {
                return Err(format!("type {data_type} does not exist"));
            }
            Some(r.ty)
        }
        _ => None,
    };
    let t = table(ctx, q)?;
    let in_pk = t
        .primary_key
        .as_ref()
        .is_some_and(|p| p.columns.iter().any(|c| c == name));
    let col = column(t, name)?;
    match op {
        AlterColumnOperation::SetNotNull => col.nullable = false,
        AlterColumnOperation::DropNotNull => {
            if in_pk {
                return Err(format!("column {name} is in a primary key"));
            }
            col.nullable = true;
        }
        AlterColumnOperation::SetDefault { value } => col.default = default_value(value, &col.ty),
        AlterColumnOperation::DropDefault => col.default = None,
        AlterColumnOperation::SetDataType { .. } => {
            let ty = resolved.expect("resolved above");
            col.default = col.default.take().map(|d| retype_default(d, &ty));
            col.ty = ty;
        }
        AlterColumnOperation::AddGenerated { .. } => {
            col.nullable = false;
            ctx.note(format!(
                "identity column {name}: the identity (its sequence) is not modelled"
            ));
        }
        other => ctx.note(format!("ALTER COLUMN {name} {other} is not modelled")),
    }
    Ok(())
}

fn drop_column(
    ctx: &mut Ctx,
    q: &QualifiedName,
    name: &str,
    if_exists: bool,
    cascade: bool,
) -> Res {
    let referencing: Vec<(QualifiedName, String)> = ctx
        .schema
        .tables
        .values()
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .filter(|f| {
                    &f.referenced_table == q && f.referenced_columns.iter().any(|c| c == name)
                })
                .filter(move |_| &t.name != q)
                .map(move |f| (t.name.clone(), f.name.clone()))
        })
        .collect();
    if !referencing.is_empty() && !cascade {
        return Err(format!(
            "cannot drop column {name} of table {q} because constraint {} on table {} depends on it",
            referencing[0].1, referencing[0].0
        ));
    }
    for (tq, fk) in referencing {
        if let Some(t) = ctx.schema.tables.get_mut(&tq) {
            t.foreign_keys.retain(|f| f.name != fk);
        }
    }
    let t = table(ctx, q)?;
    if t.column(name).is_none() {
        return if if_exists {
            Ok(())
        } else {
            Err(format!("column {name} of table {q} does not exist"))
        };
    }
    t.columns.retain(|c| c.name != name);
    t.indexes
        .retain(|i| !i.columns.iter().any(|c| c.name == name));
    if t.primary_key
        .as_ref()
        .is_some_and(|p| p.columns.iter().any(|c| c == name))
    {
        t.primary_key = None;
    }
    let self_ref = |f: &schemadiff_model::ForeignKey| {
        &f.referenced_table == q && f.referenced_columns.iter().any(|c| c == name)
    };
    t.foreign_keys
        .retain(|f| !(f.columns.iter().any(|c| c == name) || self_ref(f)));
    Ok(())
}

/// `ADD [CONSTRAINT c] {PRIMARY KEY | UNIQUE} USING INDEX i`: the unique index becomes the
/// constraint and takes its name.
fn constraint_using_index(
    ctx: &mut Ctx,
    q: &QualifiedName,
    u: &ConstraintUsingIndex,
    pk: bool,
) -> Res {
    let index_name = ident(&u.index_name);
    let name = u
        .name
        .as_ref()
        .map(ident)
        .unwrap_or_else(|| index_name.clone());
    if name != index_name && relation_taken(ctx.schema, &q.schema, &name) {
        return Err(format!("relation {name} already exists"));
    }
    let t = table(ctx, q)?;
    let at = t
        .indexes
        .iter()
        .position(|i| i.name == index_name)
        .ok_or_else(|| format!("index {index_name} of table {q} does not exist"))?;
    if !t.indexes[at].unique {
        return Err(format!("index {index_name} is not a unique index"));
    }
    if pk {
        if t.primary_key.is_some() {
            return Err(format!("multiple primary keys for table {q}"));
        }
        let index = t.indexes.remove(at);
        let cols: Vec<String> = index.columns.into_iter().map(|c| c.name).collect();
        for c in t.columns.iter_mut().filter(|c| cols.contains(&c.name)) {
            c.nullable = false;
        }
        t.primary_key = Some(schemadiff_model::PrimaryKey {
            name,
            columns: cols,
        });
    } else {
        t.indexes[at].name = name;
    }
    Ok(())
}

fn drop_constraint(ctx: &mut Ctx, q: &QualifiedName, name: &str, if_exists: bool) -> Res {
    let t = table(ctx, q)?;
    if t.primary_key.as_ref().is_some_and(|p| p.name == name) {
        t.primary_key = None;
    } else if t.indexes.iter().any(|i| i.unique && i.name == name) {
        t.indexes.retain(|i| i.name != name);
    } else if t.foreign_key(name).is_some() {
        t.foreign_keys.retain(|f| f.name != name);
    } else if !if_exists {
        ctx.note(format!(
            "constraint {name} of {q} is not in the model (a CHECK or other constraint that is not modelled?)"
        ));
    }
    Ok(())
}

fn rename_column(ctx: &mut Ctx, q: &QualifiedName, from: &str, to: &str) -> Res {
    let t = table(ctx, q)?;
    if t.column(to).is_some() {
        return Err(format!("column {to} of table {q} already exists"));
    }
    column(t, from)?.name = to.to_string();
    let fix = |v: &mut String| {
        if v == from {
            *v = to.to_string();
        }
    };
    if let Some(p) = &mut t.primary_key {
        p.columns.iter_mut().for_each(fix);
    }
    for i in &mut t.indexes {
        i.columns.iter_mut().for_each(|c| fix(&mut c.name));
    }
    for f in &mut t.foreign_keys {
        f.columns.iter_mut().for_each(fix);
    }
    for t in ctx.schema.tables.values_mut() {
        for f in &mut t.foreign_keys {
            if &f.referenced_table == q {
                f.referenced_columns.iter_mut().for_each(fix);
            }
        }
    }
    Ok(())
}

fn rename_table(ctx: &mut Ctx, from: &QualifiedName, to: &QualifiedName) -> Res {
    if relation_taken(ctx.schema, &to.schema, &to.name) || ctx.schema.enums.contains_key(to) {
        return Err(format!("relation {to} already exists"));
    }
    let mut t = ctx
        .schema
        .tables
        .remove(from)
        .ok_or_else(|| format!("table {from} does not exist"))?;
    t.name = to.clone();
    ctx.schema.add_table(t);
    for t in ctx.schema.tables.values_mut() {
        for f in &mut t.foreign_keys {
            if &f.referenced_table == from {
                f.referenced_table = to.clone();
            }
        }
    }
    // Triggers and policies are named `table.name`; details end with `on table`.
    let (old_prefix, new_prefix) = (format!("{}.", from.name), format!("{}.", to.name));
    let (old_on, new_on) = (format!(" on {from}"), format!(" on {to}"));
    for n in &mut ctx.schema.not_managed {
        if n.name.schema == from.schema
            && matches!(n.kind.as_str(), "trigger" | "policy")
            && let Some(rest) = n.name.name.strip_prefix(&old_prefix)
        {
            n.name.name = format!("{new_prefix}{rest}");
        }
        if let Some(head) = n.detail.strip_suffix(&old_on) {
            n.detail = format!("{head}{new_on}");
        }
    }
    Ok(())
}

fn rename_constraint(ctx: &mut Ctx, q: &QualifiedName, from: &str, to: &str) -> Res {
    let t = table(ctx, q)?;
    if let Some(p) = t.primary_key.as_mut().filter(|p| p.name == from) {
        p.name = to.to_string();
    } else if let Some(i) = t.indexes.iter_mut().find(|i| i.unique && i.name == from) {
        i.name = to.to_string();
    } else if let Some(f) = t.foreign_keys.iter_mut().find(|f| f.name == from) {
        f.name = to.to_string();
    } else {
        return Err(format!("constraint {from} for table {q} does not exist"));
    }
    Ok(())
}

/// `DROP TABLE`.
pub fn drop_table(ctx: &mut Ctx, q: &QualifiedName, if_exists: bool, cascade: bool) -> Res {
    if !ctx.schema.tables.contains_key(q) {
        return if if_exists {
            Ok(())
        } else {
            Err(format!("table {q} does not exist"))
        };
    }
    for t in ctx.schema.tables.values_mut().filter(|t| &t.name != q) {
        if let Some(f) = t.foreign_keys.iter().find(|f| &f.referenced_table == q)
            && !cascade
        {
            return Err(format!(
                "cannot drop table {q} because constraint {} on table {} depends on it",
                f.name, t.name
            ));
        }
        t.foreign_keys.retain(|f| &f.referenced_table != q);
    }
    ctx.schema.tables.remove(q);
    let suffix = format!(" on {q}");
    ctx.schema.not_managed.retain(|n| {
        !(matches!(n.kind.as_str(), "index" | "trigger" | "policy") && n.detail.ends_with(&suffix))
    });
    Ok(())
}

/// `DROP INDEX`.
pub fn drop_index(ctx: &mut Ctx, q: &QualifiedName, if_exists: bool) -> Res {
    for t in ctx
        .schema
        .tables
        .values_mut()
        .filter(|t| t.name.schema == q.schema)
    {
        if t.primary_key.as_ref().is_some_and(|p| p.name == q.name) {
            return Err(format!(
                "cannot drop index {q} because constraint {} on table {} requires it",
                q.name, t.name
            ));
        }
        if t.index(&q.name).is_some() {
            t.indexes.retain(|i| i.name != q.name);
            return Ok(());
        }
    }
    let before = ctx.schema.not_managed.len();
    ctx.schema
        .not_managed
        .retain(|n| !(n.kind == "index" && &n.name == q));
    if before == ctx.schema.not_managed.len() && !if_exists {
        return Err(format!("index {q} does not exist"));
    }
    Ok(())
}

/// `ALTER INDEX name RENAME TO new`.
pub fn rename_index(ctx: &mut Ctx, name: &ObjectName, new: &ObjectName) -> Res {
    let q = qualified(name, ctx.search);
    let to = parts(new).last().cloned().unwrap_or_default();
    if relation_taken(ctx.schema, &q.schema, &to) {
        return Err(format!("relation {to} already exists"));
    }
    for t in ctx
        .schema
        .tables
        .values_mut()
        .filter(|t| t.name.schema == q.schema)
    {
        if let Some(p) = t.primary_key.as_mut().filter(|p| p.name == q.name) {
            p.name = to;
            return Ok(());
        }
        if let Some(i) = t.indexes.iter_mut().find(|i| i.name == q.name) {
            i.name = to;
            return Ok(());
        }
    }
    if let Some(n) = ctx
        .schema
        .not_managed
        .iter_mut()
        .find(|n| n.kind == "index" && n.name == q)
    {
        n.name.name = to;
        return Ok(());
    }
    Err(format!("index {q} does not exist"))
}
