//! The schema model: what a PostgreSQL schema looks like, independent of where it came from.
//!
//! Both front ends produce this model: the DSL front end (`schemadiff-dsl`, after lowering)
//! and the live-database front end (`schemadiff-postgres`, by introspection).
//! The differ only ever compares two values of [`Schema`].
//!
//! ## Terminology
//! - *database name*: the name an object has in PostgreSQL (after `@map` / `@@map`).
//!   The model holds only database names; the DSL's own names do not appear here.
//! - *qualified name*: a PostgreSQL schema (namespace) plus a database name.
//!
//! ## Invariants
//! - No spans, no I/O, no failure: this crate is plain data plus pure helpers.
//! - Collections are ordered (`BTreeMap` keyed by name, or `Vec` in declaration order where
//!   PostgreSQL keeps an order: columns, enum values, index columns), so iteration order is
//!   deterministic and equal values print identically.
#![warn(missing_docs)]

mod batch;
mod names;
mod online;
mod types;

pub use batch::{SqlBatch, SqlStatement};
pub use names::{MAX_IDENTIFIER_LEN, constraint_name, make_object_name};
pub use online::OnlineStepKind;
pub use types::{ColumnType, DefaultValue};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A name qualified by its PostgreSQL schema (namespace), e.g. `public."User"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    /// The namespace, `public` unless `@@schema` or introspection says otherwise.
    pub schema: String,
    /// The database name of the object.
    pub name: String,
}

impl QualifiedName {
    /// The default namespace of PostgreSQL.
    pub const DEFAULT_SCHEMA: &'static str = "public";

    /// A name in the given namespace.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// A name in `public`.
    pub fn public(name: impl Into<String>) -> Self {
        Self::new(Self::DEFAULT_SCHEMA, name)
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schema == Self::DEFAULT_SCHEMA {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

/// A whole database schema: enums and tables, plus the objects the model does not manage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Enum types by qualified name.
    pub enums: BTreeMap<QualifiedName, Enum>,
    /// Tables by qualified name.
    pub tables: BTreeMap<QualifiedName, Table>,
    /// Objects found in a database that the model cannot describe (views, functions, triggers,
    /// partial or expression indexes, policies…). Never diffed, never dropped; always reported.
    pub not_managed: Vec<NotManaged>,
    /// PostgreSQL extensions by name, when this side manages them: the datasource's
    /// `extensions = [...]` list, or what a database has installed. `None` (a schema without
    /// the list, SQL migrations) leaves extensions alone.
    #[serde(default)]
    pub extensions: Option<BTreeMap<String, Extension>>,
}

/// A PostgreSQL extension (`CREATE EXTENSION`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The extension's name in the database (`map:` in the DSL).
    pub name: String,
    /// The schema it is installed in, when given (`schema:`); else the server's choice.
    pub schema: Option<String>,
    /// Its version, when given (`version:`); else the server's default.
    pub version: Option<String>,
}

impl Schema {
    /// An empty schema (a database with nothing in it).
    pub fn empty() -> Self {
        Self::default()
    }

    /// True when the schema holds no enum and no table.
    pub fn is_empty(&self) -> bool {
        self.enums.is_empty() && self.tables.is_empty()
    }

    /// The table with this qualified name.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name)
    }

    /// The enum with this qualified name.
    pub fn enum_type(&self, name: &QualifiedName) -> Option<&Enum> {
        self.enums.get(name)
    }

    /// Adds a table, keyed by its name.
    pub fn add_table(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), table);
    }

    /// Adds an enum, keyed by its name.
    pub fn add_enum(&mut self, e: Enum) {
        self.enums.insert(e.name.clone(), e);
    }
}

/// An enum type (`CREATE TYPE … AS ENUM`), with its values in PostgreSQL's sort order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    /// The type's qualified database name.
    pub name: QualifiedName,
    /// The labels, in order (database names, after `@map`).
    pub values: Vec<String>,
}

/// A table with its columns and constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The table's qualified database name.
    pub name: QualifiedName,
    /// Columns in declaration (attribute) order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    pub primary_key: Option<PrimaryKey>,
    /// Unique and non-unique indexes, sorted by name.
    pub indexes: Vec<Index>,
    /// Foreign keys, sorted by name.
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    /// A table with no columns and no constraints.
    pub fn new(name: QualifiedName) -> Self {
        Self {
            name,
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        }
    }

    /// The column with this database name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index with this name.
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The foreign key with this name.
    pub fn foreign_key(&self, name: &str) -> Option<&ForeignKey> {
        self.foreign_keys.iter().find(|f| f.name == name)
    }

    /// Drops an index column's operator class where it is the default one for the column's
    /// type and the index method (see [`IndexMethod::default_opclass`]): PostgreSQL's catalog
    /// does not tell an explicit default class from an implicit one, so neither does the model.
    pub fn drop_default_opclasses(&mut self) {
        let columns = &self.columns;
        for index in &mut self.indexes {
            let method = index.method;
            for ic in &mut index.columns {
                let ty = columns.iter().find(|c| c.name == ic.name).map(|c| &c.ty);
                if let (Some(op), Some(ty)) = (&ic.opclass, ty)
                    && method.default_opclass(ty) == Some(op.as_str())
                {
                    ic.opclass = None;
                }
            }
        }
    }

    /// Sorts indexes and foreign keys by name, the canonical order of the model.
    pub fn canonicalize(&mut self) {
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column's database name.
    pub name: String,
    /// The PostgreSQL type.
    pub ty: ColumnType,
    /// False when the column is `NOT NULL`.
    pub nullable: bool,
    /// The database default, if any. Client-side defaults (`cuid()`, `uuid()`, `@updatedAt`)
    /// are not database defaults and do not appear here.
    pub default: Option<DefaultValue>,
}

/// A primary key constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    /// The constraint name (`T_pkey` by default).
    pub name: String,
    /// The key columns, in order.
    pub columns: Vec<String>,
}

/// Sort order of an index column.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum SortOrder {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// One column of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    /// The column's database name.
    pub name: String,
    /// Its sort order.
    pub sort: SortOrder,
    /// A non-default operator class, e.g. `jsonb_path_ops`.
    pub opclass: Option<String>,
}

impl IndexColumn {
    /// An ascending column with the default operator class.
    pub fn asc(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            sort: SortOrder::Asc,
            opclass: None,
        }
    }
}

/// Index access method.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum IndexMethod {
    /// `btree` (the default).
    #[default]
    BTree,
    /// `hash`.
    Hash,
    /// `gist`.
    Gist,
    /// `gin`.
    Gin,
    /// `spgist`.
    SpGist,
    /// `brin`.
    Brin,
}

impl IndexMethod {
    /// The name PostgreSQL uses after `USING`.
    pub fn sql_name(self) -> &'static str {
        match self {
            IndexMethod::BTree => "btree",
            IndexMethod::Hash => "hash",
            IndexMethod::Gist => "gist",
            IndexMethod::Gin => "gin",
            IndexMethod::SpGist => "spgist",
            IndexMethod::Brin => "brin",
        }
    }

    /// The operator class PostgreSQL uses for a column of type `ty` under this method when
    /// none is named (the catalog's default one), when the model knows it. An index column
    /// whose explicit class is this one is the same index as one without a class
    /// (`ops: ArrayOps` on a GIN index over a list, `jsonb_ops` on jsonb).
    pub fn default_opclass(self, ty: &ColumnType) -> Option<&'static str> {
        use ColumnType as T;
        let scalar = |ty: &ColumnType| -> Option<&'static str> {
            Some(match ty {
                T::Text | T::VarChar(_) => "text",
                T::Char(_) => "bpchar",
                T::Boolean => "bool",
                T::SmallInt => "int2",
                T::Integer => "int4",
                T::BigInt => "int8",
                T::Real => "float4",
                T::DoublePrecision => "float8",
                T::Decimal(_) => "numeric",
                T::Timestamp(_) => "timestamp",
                T::Timestamptz(_) => "timestamptz",
                T::Date => "date",
                T::Time(_) => "time",
                T::Timetz(_) => "timetz",
                T::Uuid => "uuid",
                T::Bytea => "bytea",
                T::Oid => "oid",
                _ => return None,
            })
        };
        match (self, ty) {
            (IndexMethod::Gin | IndexMethod::BTree | IndexMethod::Hash, T::Array(_)) => {
                Some("array_ops")
            }
            (IndexMethod::Gin | IndexMethod::BTree | IndexMethod::Hash, T::Jsonb) => {
                Some("jsonb_ops")
            }
            (IndexMethod::BTree | IndexMethod::Hash, T::Enum(_)) => Some("enum_ops"),
            (IndexMethod::BTree | IndexMethod::Hash | IndexMethod::SpGist, T::Inet) => {
                Some("inet_ops")
            }
            (IndexMethod::SpGist, T::Text | T::VarChar(_)) => Some("text_ops"),
            (IndexMethod::Brin, T::Inet) => Some("inet_inclusion_ops"),
            (IndexMethod::Brin, t) => Some(match scalar(t)? {
                "text" => "text_minmax_ops",
                "bpchar" => "bpchar_minmax_ops",
                "int2" => "int2_minmax_ops",
                "int4" => "int4_minmax_ops",
                "int8" => "int8_minmax_ops",
                "float4" => "float4_minmax_ops",
                "float8" => "float8_minmax_ops",
                "numeric" => "numeric_minmax_ops",
                "timestamp" => "timestamp_minmax_ops",
                "timestamptz" => "timestamptz_minmax_ops",
                "date" => "date_minmax_ops",
                "time" => "time_minmax_ops",
                "timetz" => "timetz_minmax_ops",
                "uuid" => "uuid_minmax_ops",
                "bytea" => "bytea_minmax_ops",
                "oid" => "oid_minmax_ops",
                _ => return None,
            }),
            (IndexMethod::BTree | IndexMethod::Hash, t) => Some(match scalar(t)? {
                "text" => "text_ops",
                "bpchar" => "bpchar_ops",
                "bool" => "bool_ops",
                "int2" => "int2_ops",
                "int4" => "int4_ops",
                "int8" => "int8_ops",
                "float4" => "float4_ops",
                "float8" => "float8_ops",
                "numeric" => "numeric_ops",
                "timestamp" => "timestamp_ops",
                "timestamptz" => "timestamptz_ops",
                "date" => "date_ops",
                "time" => "time_ops",
                "timetz" => "timetz_ops",
                "uuid" => "uuid_ops",
                "bytea" => "bytea_ops",
                "oid" => "oid_ops",
                _ => return None,
            }),
            _ => None,
        }
    }

    /// Parses a PostgreSQL access-method name.
    pub fn from_sql_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "btree" => IndexMethod::BTree,
            "hash" => IndexMethod::Hash,
            "gist" => IndexMethod::Gist,
            "gin" => IndexMethod::Gin,
            "spgist" => IndexMethod::SpGist,
            "brin" => IndexMethod::Brin,
            _ => return None,
        })
    }
}

/// An index. Unique constraints declared in the DSL are unique indexes, as Prisma creates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The index name (`T_a_b_key` or `T_a_b_idx` by default).
    pub name: String,
    /// The indexed columns, in order.
    pub columns: Vec<IndexColumn>,
    /// True for a unique index.
    pub unique: bool,
    /// The access method.
    pub method: IndexMethod,
}

impl Index {
    /// The database names of the indexed columns, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// A referential action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReferentialAction {
    /// `CASCADE`.
    Cascade,
    /// `RESTRICT`.
    Restrict,
    /// `NO ACTION` (PostgreSQL's own default).
    NoAction,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl ReferentialAction {
    /// The SQL keywords.
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }

    /// The DSL spelling (`Cascade`, `Restrict`, `NoAction`, `SetNull`, `SetDefault`).
    pub fn dsl(self) -> &'static str {
        match self {
            ReferentialAction::Cascade => "Cascade",
            ReferentialAction::Restrict => "Restrict",
            ReferentialAction::NoAction => "NoAction",
            ReferentialAction::SetNull => "SetNull",
            ReferentialAction::SetDefault => "SetDefault",
        }
    }
}

/// A foreign key constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint name (`T_a_fkey` by default).
    pub name: String,
    /// The referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table.
    pub referenced_table: QualifiedName,
    /// The referenced columns, in the same order.
    pub referenced_columns: Vec<String>,
    /// `ON DELETE` action.
    pub on_delete: ReferentialAction,
    /// `ON UPDATE` action.
    pub on_update: ReferentialAction,
}

/// An object found in a database that the model does not manage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotManaged {
    /// What kind of object: `view`, `function`, `trigger`, `index`, `policy`, `sequence`…
    pub kind: String,
    /// Its qualified name (for a trigger or policy: the table's schema, `table.name`).
    pub name: QualifiedName,
    /// Why it is not managed, e.g. "partial index" or its definition.
    pub detail: String,
}
