//! Lowering: the checked description of a file → the span-free [`Schema`] (database names,
//! PostgreSQL types, Prisma's default constraint names and referential actions, implicit
//! many-to-many tables), plus the [`NameMap`] between DSL names and database names.

use crate::validate::relations::RelationImpl;
use crate::validate::{DKind, Db};
use schemadiff_model::{
    Column, ColumnType, Enum, ForeignKey, Index, IndexColumn, IndexMethod, NotManaged, PrimaryKey,
    QualifiedName, ReferentialAction, Schema, Table, constraint_name,
};
use std::collections::BTreeMap;

/// DSL names ↔ database names of one schema file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameMap {
    tables: BTreeMap<String, QualifiedName>,
    /// Model → field → column (nested so that keys are not cloned per field).
    columns: BTreeMap<String, BTreeMap<String, String>>,
    enums: BTreeMap<String, QualifiedName>,
    /// Enum → value → label.
    enum_values: BTreeMap<String, BTreeMap<String, String>>,
    models_by_table: BTreeMap<QualifiedName, String>,
}

impl NameMap {
    /// The table of a model.
    pub fn table(&self, model: &str) -> Option<&QualifiedName> {
        self.tables.get(model)
    }
    /// The column name of a model's scalar field.
    pub fn column(&self, model: &str, field: &str) -> Option<&str> {
        self.columns
            .get(model)
            .and_then(|m| m.get(field))
            .map(String::as_str)
    }
    /// The database type of an enum.
    pub fn enum_type(&self, name: &str) -> Option<&QualifiedName> {
        self.enums.get(name)
    }
    /// The database label of an enum value.
    pub fn enum_value(&self, name: &str, value: &str) -> Option<&str> {
        self.enum_values
            .get(name)
            .and_then(|e| e.get(value))
            .map(String::as_str)
    }
    /// The model of a table.
    pub fn model_of_table(&self, t: &QualifiedName) -> Option<&str> {
        self.models_by_table.get(t).map(String::as_str)
    }
    /// The field of a table's column (a scan of the model's few fields: this reverse lookup is
    /// rare, and not storing it saves two strings per field on large schemas).
    pub fn field_of_column(&self, t: &QualifiedName, col: &str) -> Option<&str> {
        let model = self.models_by_table.get(t)?;
        self.columns
            .get(model)?
            .iter()
            .find(|(_, c)| c.as_str() == col)
            .map(|(f, _)| f.as_str())
    }
}

/// Builds the model and the name map from a checked file (partial if the file had errors).
pub fn lower(db: &Db) -> (Schema, NameMap) {
    let mut schema = Schema::empty();
    schema.extensions = db
        .extensions
        .as_ref()
        .map(|list| list.iter().map(|e| (e.name.clone(), e.clone())).collect());
    let mut names = NameMap::default();
    for e in &db.enums {
        names.enums.insert(e.name.clone(), e.db.clone());
        names.enum_values.insert(
            e.name.clone(),
            e.values
                .iter()
                .map(|(v, d)| (v.clone(), d.clone()))
                .collect(),
        );
        schema.add_enum(Enum {
            name: e.db.clone(),
            values: e.values.iter().map(|v| v.1.clone()).collect(),
        });
    }
    for m in &db.models {
        names.tables.insert(m.name.clone(), m.table.clone());
        names
            .models_by_table
            .insert(m.table.clone(), m.name.clone());
        let mut t = Table::new(m.table.clone());
        t.columns.reserve(m.fields.len());
        let mut columns = BTreeMap::new();
        for f in &m.fields {
            let Some(ty) = column_type(db, &f.kind) else {
                continue;
            };
            columns.insert(f.name.clone(), f.db.clone());
            if t.column(&f.db).is_some() {
                continue;
            }
            t.columns.push(Column {
                name: f.db.clone(),
                ty: if f.list {
                    ColumnType::Array(Box::new(ty))
                } else {
                    ty
                },
                // Prisma creates list columns without NOT NULL (checked with Prisma 6.19).
                nullable: f.optional || f.list,
                default: f.default.clone(),
            });
        }
        names.columns.insert(m.name.clone(), columns);
        let col = |field: &str| {
            m.field(field)
                .map_or_else(|| field.to_string(), |f| f.db.clone())
        };
        if let Some(pk) = &m.primary {
            let columns: Vec<String> = pk.fields.iter().map(|f| col(f)).collect();
            for c in &columns {
                if let Some(c) = t.columns.iter_mut().find(|x| &x.name == c) {
                    c.nullable = false;
                }
            }
            let name = pk
                .map
                .clone()
                .unwrap_or_else(|| constraint_name(&m.table.name, &[], "pkey"));
            t.primary_key = Some(PrimaryKey { name, columns });
        }
        for idx in &m.indexes {
            let columns: Vec<IndexColumn> = idx
                .fields
                .iter()
                .map(|(f, sort, ops)| IndexColumn {
                    name: col(f),
                    sort: *sort,
                    opclass: ops.clone(),
                })
                .collect();
            let refs: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let name = idx.map.clone().unwrap_or_else(|| {
                constraint_name(&m.table.name, &refs, if idx.unique { "key" } else { "idx" })
            });
            if t.index(&name).is_none() {
                t.indexes.push(Index {
                    name,
                    columns,
                    unique: idx.unique,
                    method: idx.method,
                });
            }
        }
        t.drop_default_opclasses();
        schema.add_table(t);
    }
    for r in &db.relations {
        match r {
            // `relationMode = "prisma"`: the client emulates relations; no foreign keys.
            RelationImpl::ForeignKey { .. } if db.relation_mode_prisma => {}
            RelationImpl::ForeignKey { model, field } => {
                foreign_key(db, &mut schema, *model, *field)
            }
            RelationImpl::ManyToMany { a, b, name } => {
                join_table(db, &mut schema, *a, *b, name.as_deref())
            }
        }
    }
    for t in schema.tables.values_mut() {
        t.canonicalize();
    }
    (schema, names)
}

fn column_type(db: &Db, kind: &DKind) -> Option<ColumnType> {
    match kind {
        DKind::Scalar(_, ct) => Some(ct.clone()),
        DKind::Enum(e) => db.enum_(e).map(|e| ColumnType::Enum(e.db.clone())),
        DKind::Unsupported(s) => Some(ColumnType::Other(s.clone())),
        DKind::Relation(_) | DKind::Unknown => None,
    }
}

fn foreign_key(db: &Db, schema: &mut Schema, mi: usize, fi: usize) {
    let m = &db.models[mi];
    let f = &m.fields[fi];
    let (DKind::Relation(target), Some(r)) = (&f.kind, &f.relation) else {
        return;
    };
    let Some(t) = db.model(target) else { return };
    let columns: Vec<String> = r
        .fields
        .iter()
        .filter_map(|(x, _)| m.field(x).map(|x| x.db.clone()))
        .collect();
    let referenced: Vec<String> = r
        .references
        .iter()
        .filter_map(|(x, _)| t.field(x).map(|x| x.db.clone()))
        .collect();
    let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let name = r
        .map
        .clone()
        .unwrap_or_else(|| constraint_name(&m.table.name, &refs, "fkey"));
    let on_delete = r.on_delete.unwrap_or(if f.optional {
        ReferentialAction::SetNull
    } else {
        ReferentialAction::Restrict
    });
    let fk = ForeignKey {
        name,
        columns,
        referenced_table: t.table.clone(),
        referenced_columns: referenced,
        on_delete,
        on_update: r.on_update.unwrap_or(ReferentialAction::Cascade),
    };
    if let Some(table) = schema.tables.get_mut(&m.table)
        && table.foreign_key(&fk.name).is_none()
    {
        table.foreign_keys.push(fk);
    }
}

/// The name of the implicit join table of models `a` and `b` (sorted), as Prisma names it.
pub fn join_table_name(a: &str, b: &str, relation: Option<&str>) -> String {
    match relation {
        Some(n) => format!("_{n}"),
        None => format!("_{a}To{b}"),
    }
}

fn join_table(db: &Db, schema: &mut Schema, ai: usize, bi: usize, name: Option<&str>) {
    let (a, b) = (&db.models[ai], &db.models[bi]);
    let table_name = QualifiedName::new(
        a.table.schema.clone(),
        join_table_name(&a.name, &b.name, name),
    );
    let mut t = Table::new(table_name.clone());
    for (label, m) in [("A", a), ("B", b)] {
        let Some(pk) = m.primary.as_ref().and_then(|p| p.fields.first()) else {
            return;
        };
        let Some(idf) = m.field(pk) else { return };
        let Some(ty) = column_type(db, &idf.kind) else {
            return;
        };
        t.columns.push(Column {
            name: label.into(),
            ty,
            nullable: false,
            default: None,
        });
        if db.relation_mode_prisma {
            continue;
        }
        t.foreign_keys.push(ForeignKey {
            name: constraint_name(&table_name.name, &[label], "fkey"),
            columns: vec![label.into()],
            referenced_table: m.table.clone(),
            referenced_columns: vec![idf.db.clone()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Cascade,
        });
    }
    t.primary_key = Some(PrimaryKey {
        name: constraint_name(&table_name.name, &["AB"], "pkey"),
        columns: vec!["A".into(), "B".into()],
    });
    t.indexes.push(Index {
        name: constraint_name(&table_name.name, &["B"], "index"),
        columns: vec![IndexColumn::asc("B")],
        unique: false,
        method: IndexMethod::BTree,
    });
    schema.add_table(t);
}

/// What the file declares but the model does not manage: `view` blocks (their query lives in
/// the database, not in the schema file).
pub fn not_managed(db: &Db) -> Vec<NotManaged> {
    db.views
        .iter()
        .map(|v| NotManaged {
            kind: "view".into(),
            name: v.clone(),
            detail: "view block of the schema".into(),
        })
        .collect()
}
