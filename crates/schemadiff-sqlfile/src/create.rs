//! `CREATE TYPE … AS ENUM`, `CREATE TABLE`, `CREATE INDEX`, and the column and constraint
//! building shared with `ALTER TABLE`.

use crate::apply::{Ctx, Res};
use crate::names::{self, choose_name, ident, qualified};
use crate::types::{self, default_value};
use schemadiff_model::{
    Column, ColumnType, DefaultValue, Enum, ForeignKey, Index, IndexColumn, IndexMethod,
    PrimaryKey, QualifiedName, ReferentialAction, Schema, SortOrder, Table,
};
use sqlparser::ast::{
    self, ColumnDef, ColumnOption, CreateIndex, CreateTable, Expr, IndexType, OrderBySort,
    TableConstraint, UserDefinedTypeRepresentation,
};

/// A key constraint, independent of where it was written (inline or table constraint).
pub enum Cons {
    Pk {
        name: Option<String>,
        cols: Vec<String>,
    },
    Unique {
        name: Option<String>,
        cols: Vec<String>,
    },
    Fk {
        name: Option<String>,
        cols: Vec<String>,
        table: QualifiedName,
        ref_cols: Vec<String>,
        on_delete: ReferentialAction,
        on_update: ReferentialAction,
    },
}

/// `CREATE TYPE name AS ENUM (…)`.
pub fn create_type(
    ctx: &mut Ctx,
    name: &ast::ObjectName,
    rep: &Option<UserDefinedTypeRepresentation>,
) -> Res {
    let q = qualified(name, ctx.search);
    match rep {
        Some(UserDefinedTypeRepresentation::Enum { labels }) => {
            if ctx.schema.enums.contains_key(&q) || ctx.schema.tables.contains_key(&q) {
                return Err(format!("type {q} already exists"));
            }
            let values = labels.iter().map(|l| l.value.clone()).collect();
            ctx.schema.add_enum(Enum { name: q, values });
            Ok(())
        }
        _ => {
            ctx.note(format!("type {q} is not an enum; not modelled"));
            Ok(())
        }
    }
}

fn action(a: &Option<ast::ReferentialAction>) -> ReferentialAction {
    match a {
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
        Some(ast::ReferentialAction::NoAction) | None => ReferentialAction::NoAction,
    }
}

fn index_column_names(cols: &[ast::IndexColumn]) -> Result<Vec<String>, String> {
    cols.iter()
        .map(|c| match &c.column.expr {
            Expr::Identifier(i) => Ok(ident(i)),
            other => Err(format!("constraint on expression {other} is not supported")),
        })
        .collect()
}

/// Converts a table constraint; `Ok(None)` (with a note) for kinds the model lacks.
pub fn table_constraint(ctx: &mut Ctx, c: &TableConstraint) -> Result<Option<Cons>, String> {
    Ok(Some(match c {
        TableConstraint::PrimaryKey(pk) => Cons::Pk {
            name: pk.name.as_ref().map(ident),
            cols: index_column_names(&pk.columns)?,
        },
        TableConstraint::Unique(u) => {
            if !u.include.is_empty() {
                ctx.note("INCLUDE columns of a unique constraint are not modelled".into());
            }
            Cons::Unique {
                name: u.name.as_ref().map(ident),
                cols: index_column_names(&u.columns)?,
            }
        }
        TableConstraint::ForeignKey(fk) => Cons::Fk {
            name: fk.name.as_ref().map(ident),
            cols: fk.columns.iter().map(ident).collect(),
            table: qualified(&fk.foreign_table, ctx.search),
            ref_cols: fk.referred_columns.iter().map(ident).collect(),
            on_delete: action(&fk.on_delete),
            on_update: action(&fk.on_update),
        },
        other => {
            let kind = match other {
                TableConstraint::Check(_) => "CHECK constraint",
                TableConstraint::Exclude(_) => "EXCLUDE constraint",
                _ => "constraint",
            };
            ctx.note(format!("{kind} is not modelled: {other}"));
            return Ok(None);
        }
    }))
}

/// Builds a column from its definition; inline constraints are returned to be added once
/// the column is in its table.
pub fn column(ctx: &mut Ctx, def: &ColumnDef) -> Result<(Column, Vec<Cons>), String> {
    let name = ident(&def.name);
    let r = types::resolve(&def.data_type, ctx.schema, ctx.search);
    let mut col = Column {
        name: name.clone(),
        ty: r.ty,
        nullable: true,
        default: None,
    };
    if r.serial {
        col.nullable = false;
        col.default = Some(DefaultValue::Autoincrement);
    }
    let mut cons = Vec::new();
    for opt in &def.options {
        let cname = opt.name.as_ref().map(ident);
        match &opt.option {
            ColumnOption::Null => col.nullable = true,
            ColumnOption::NotNull => col.nullable = false,
            ColumnOption::Default(e) => col.default = default_value(e, &col.ty),
            ColumnOption::PrimaryKey(pk) => cons.push(Cons::Pk {
                name: cname.or(pk.name.as_ref().map(ident)),
                cols: vec![name.clone()],
            }),
            ColumnOption::Unique(u) => cons.push(Cons::Unique {
                name: cname.or(u.name.as_ref().map(ident)),
                cols: vec![name.clone()],
            }),
            ColumnOption::ForeignKey(fk) => cons.push(Cons::Fk {
                name: cname.or(fk.name.as_ref().map(ident)),
                cols: vec![name.clone()],
                table: qualified(&fk.foreign_table, ctx.search),
                ref_cols: fk.referred_columns.iter().map(ident).collect(),
                on_delete: action(&fk.on_delete),
                on_update: action(&fk.on_update),
            }),
            ColumnOption::Generated {
                generation_expr: None,
                ..
            }
            | ColumnOption::Identity(_) => {
                // PostgreSQL keeps no default for an identity column; the model has no
                // identity, so the column reads as a plain NOT NULL column.
                col.nullable = false;
                ctx.note(format!(
                    "identity column {name}: the identity (its sequence) is not modelled"
                ));
            }
            other => ctx.note(format!("column option on {name} is not modelled: {other}")),
        }
    }
    Ok((col, cons))
}

/// `CREATE TABLE`.
pub fn create_table(ctx: &mut Ctx, ct: &CreateTable) -> Res {
    let q = qualified(&ct.name, ctx.search);
    if ct.temporary {
        // Gone at the end of the session: never part of the schema.
        return Ok(());
    }
    if ct.query.is_some() || ct.like.is_some() || ct.partition_of.is_some() {
        return Err(format!(
            "cannot interpret CREATE TABLE {q} AS / LIKE / PARTITION OF: its columns come from another object; replay the migrations on a server with --shadow-db URL"
        ));
    }
    if ctx.schema.tables.contains_key(&q) {
        if ct.if_not_exists {
            return Ok(());
        }
        return Err(format!("relation {q} already exists"));
    }
    if ct.inherits.is_some() || ct.partition_by.is_some() {
        ctx.note("inheritance / partitioning is not modelled".into());
    }
    let mut table = Table::new(q.clone());
    let mut cons = Vec::new();
    for def in &ct.columns {
        let (col, c) = column(ctx, def)?;
        if table.column(&col.name).is_some() {
            return Err(format!("column {} specified more than once", col.name));
        }
        table.columns.push(col);
        cons.extend(c);
    }
    for c in &ct.constraints {
        if let Some(c) = table_constraint(ctx, c)? {
            cons.push(c);
        }
    }
    ctx.schema.add_table(table);
    for c in cons {
        add_constraint(ctx.schema, &q, c)?;
    }
    Ok(())
}

fn table_mut<'s>(schema: &'s mut Schema, q: &QualifiedName) -> Result<&'s mut Table, String> {
    schema
        .tables
        .get_mut(q)
        .ok_or_else(|| format!("table {q} does not exist"))
}

/// True when a relation (table, index, sequence, view) named `name` exists in `ns`.
pub fn relation_taken(schema: &Schema, ns: &str, name: &str) -> bool {
    schema.tables.values().any(|t| {
        t.name.schema == ns
            && (t.name.name == name
                || t.indexes.iter().any(|i| i.name == name)
                || t.primary_key.as_ref().is_some_and(|p| p.name == name))
    }) || schema
        .not_managed
        .iter()
        .any(|n| n.name.schema == ns && n.name.name == name && n.kind != "trigger")
}

/// True when a constraint named `name` exists in `ns`.
fn constraint_taken(schema: &Schema, ns: &str, name: &str) -> bool {
    schema.tables.values().any(|t| {
        t.name.schema == ns
            && (t.foreign_keys.iter().any(|f| f.name == name)
                || t.indexes.iter().any(|i| i.unique && i.name == name)
                || t.primary_key.as_ref().is_some_and(|p| p.name == name))
    })
}

/// Adds a key constraint to table `q`, naming it as PostgreSQL would when unnamed.
pub fn add_constraint(schema: &mut Schema, q: &QualifiedName, c: Cons) -> Res {
    let ns = q.schema.clone();
    let check_cols = |t: &Table, cols: &[String]| -> Res {
        for c in cols {
            if t.column(c).is_none() {
                return Err(format!("column {c} of table {} does not exist", t.name));
            }
        }
        Ok(())
    };
    match c {
        Cons::Pk { name, cols } => {
            let name = name.unwrap_or_else(|| {
                choose_name(&q.name, &[], "pkey", |n| relation_taken(schema, &ns, n))
            });
            if relation_taken(schema, &ns, &name) {
                return Err(format!("relation {name} already exists"));
            }
            let t = table_mut(schema, q)?;
            check_cols(t, &cols)?;
            if t.primary_key.is_some() {
                return Err(format!("multiple primary keys for table {q}"));
            }
            for col in t.columns.iter_mut().filter(|c| cols.contains(&c.name)) {
                col.nullable = false;
            }
            t.primary_key = Some(PrimaryKey {
                name,
                columns: cols,
            });
        }
        Cons::Unique { name, cols } => {
            let name = name.unwrap_or_else(|| {
                choose_name(&q.name, &cols, "key", |n| relation_taken(schema, &ns, n))
            });
            if relation_taken(schema, &ns, &name) {
                return Err(format!("relation {name} already exists"));
            }
            let t = table_mut(schema, q)?;
            check_cols(t, &cols)?;
            t.indexes.push(Index {
                name,
                columns: cols.into_iter().map(IndexColumn::asc).collect(),
                unique: true,
                method: IndexMethod::BTree,
            });
        }
        Cons::Fk {
            name,
            cols,
            table,
            mut ref_cols,
            on_delete,
            on_update,
        } => {
            let target = schema
                .tables
                .get(&table)
                .ok_or_else(|| format!("referenced table {table} does not exist"))?;
            if ref_cols.is_empty() {
                ref_cols = target
                    .primary_key
                    .as_ref()
                    .map(|p| p.columns.clone())
                    .ok_or_else(|| {
                        format!("there is no primary key for referenced table {table}")
                    })?;
            }
            check_cols(target, &ref_cols)?;
            if ref_cols.len() != cols.len() {
                return Err("number of referencing and referenced columns differ".into());
            }
            let name = name.unwrap_or_else(|| {
                choose_name(&q.name, &cols, "fkey", |n| constraint_taken(schema, &ns, n))
            });
            let t = table_mut(schema, q)?;
            check_cols(t, &cols)?;
            if t.foreign_key(&name).is_some() {
                return Err(format!("constraint {name} for relation {q} already exists"));
            }
            t.foreign_keys.push(ForeignKey {
                name,
                columns: cols,
                referenced_table: table,
                referenced_columns: ref_cols,
                on_delete,
                on_update,
            });
        }
    }
    Ok(())
}

fn method(ctx: &mut Ctx, using: &Option<IndexType>) -> Option<IndexMethod> {
    Some(match using {
        None | Some(IndexType::BTree) => IndexMethod::BTree,
        Some(IndexType::Hash) => IndexMethod::Hash,
        Some(IndexType::GIN) => IndexMethod::Gin,
        Some(IndexType::GiST) => IndexMethod::Gist,
        Some(IndexType::SPGiST) => IndexMethod::SpGist,
        Some(IndexType::BRIN) => IndexMethod::Brin,
        Some(IndexType::Custom(i)) => match IndexMethod::from_sql_name(&ident(i)) {
            Some(m) => m,
            None => {
                ctx.note(format!("index method {} is not modelled", ident(i)));
                return None;
            }
        },
        Some(other) => {
            ctx.note(format!("index method {other} is not modelled"));
            return None;
        }
    })
}

/// `CREATE [UNIQUE] INDEX`.
pub fn create_index(ctx: &mut Ctx, ci: &CreateIndex) -> Res {
    let tq = qualified(&ci.table_name, ctx.search);
    let known: Vec<String> = ctx
        .schema
        .tables
        .get(&tq)
        .ok_or_else(|| format!("table {tq} does not exist"))?
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut cols = Vec::new();
    let mut name_parts = Vec::new();
    let mut expression = false;
    for c in &ci.columns {
        let name = match &c.column.expr {
            Expr::Identifier(i) => {
                let n = ident(i);
                if !known.contains(&n) {
                    return Err(format!("column {n} of table {tq} does not exist"));
                }
                n
            }
            Expr::Function(f) => {
                expression = true;
                names::parts(&f.name).last().cloned().unwrap_or_default()
            }
            _ => {
                expression = true;
                "expr".to_string()
            }
        };
        name_parts.push(name.clone());
        let sort = match c.column.options.sort {
            Some(OrderBySort::Desc) => SortOrder::Desc,
            _ => SortOrder::Asc,
        };
        if let Some(nf) = c.column.options.nulls_first
            && nf != (sort == SortOrder::Desc)
        {
            ctx.note(format!(
                "NULLS FIRST/LAST on index column {name} is not modelled"
            ));
        }
        let opclass = c.operator_class.as_ref().map(|o| names::parts(o).join("."));
        cols.push(IndexColumn {
            name,
            sort,
            opclass,
        });
    }
    let ns = tq.schema.clone();
    let name = match &ci.name {
        Some(n) => names::parts(n).last().cloned().unwrap_or_default(),
        None => choose_name(&tq.name, &name_parts, "idx", |n| {
            relation_taken(ctx.schema, &ns, n)
        }),
    };
    if relation_taken(ctx.schema, &ns, &name) {
        if ci.if_not_exists {
            return Ok(());
        }
        return Err(format!("relation {name} already exists"));
    }
    if ci.nulls_distinct == Some(false) {
        ctx.note("NULLS NOT DISTINCT is not modelled".into());
    }
    let why = if ci.predicate.is_some() {
        Some("partial index")
    } else if expression {
        Some("expression index")
    } else if !ci.include.is_empty() {
        Some("index with INCLUDE columns")
    } else {
        None
    };
    let m = method(ctx, &ci.using);
    match (why, m) {
        (None, Some(method)) => {
            let t = table_mut(ctx.schema, &tq)?;
            t.indexes.push(Index {
                name,
                columns: cols,
                unique: ci.unique,
                method,
            });
        }
        (why, _) => {
            let why = why.unwrap_or("index with an unknown method");
            ctx.note(format!("{why} {name} is not managed"));
            ctx.not_managed(
                "index",
                QualifiedName::new(ns, name),
                format!("{why} on {tq}"),
            );
        }
    }
    Ok(())
}

/// Re-types the columns that use enum `from` so they use `to` (after `ALTER TYPE … RENAME`).
pub fn rename_enum_refs(schema: &mut Schema, from: &QualifiedName, to: &QualifiedName) {
    fn fix(ty: &mut ColumnType, from: &QualifiedName, to: &QualifiedName) {
        match ty {
            ColumnType::Enum(n) if n == from => *n = to.clone(),
            ColumnType::Array(inner) => fix(inner, from, to),
            _ => {}
        }
    }
    for t in schema.tables.values_mut() {
        for c in &mut t.columns {
            fix(&mut c.ty, from, to);
        }
    }
}
