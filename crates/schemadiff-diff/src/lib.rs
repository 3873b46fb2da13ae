//! Compares two schema models into an unordered set of changes.
//!
//! [`diff`] is pure: it never looks at data and never fails. Renames cannot be guessed from two
//! models, so they are declared ([`Renames`], filled from the mapping file by the planner);
//! a declared rename becomes a `Rename*` change and the renamed objects are then compared as
//! if they had always had their new names.
//!
//! The changes come out in a deterministic order (enums, then tables, by name), but the order
//! carries no meaning: the planner orders them with a dependency graph.

mod tables;

use schemadiff_model::{
    Column, ColumnType, DefaultValue, Enum, Extension, ForeignKey, Index, PrimaryKey,
    QualifiedName, Schema, Table,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Declared renames, in database names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Renames {
    /// Old table name → new table name.
    pub tables: BTreeMap<QualifiedName, QualifiedName>,
    /// Per table (its NEW name): old column name → new column name.
    pub columns: BTreeMap<QualifiedName, BTreeMap<String, String>>,
}

impl Renames {
    /// No renames.
    pub fn none() -> Self {
        Self::default()
    }
}

/// Where a new enum value goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ValuePosition {
    /// `ADD VALUE 'x' BEFORE 'y'`.
    Before(String),
    /// `ADD VALUE 'x' AFTER 'y'` (also used for the last position).
    After(String),
    /// `ADD VALUE 'x'` (the enum had no value).
    End,
}

/// One difference between two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Change {
    /// A namespace (PostgreSQL schema) other than `public` that `to` uses and `from` does not.
    /// Namespaces are never dropped: one that only `from` uses is left in place.
    CreateSchema(String),
    /// An extension that `to` lists and `from` does not have (only when `to` manages
    /// extensions).
    CreateExtension(Extension),
    /// An extension that `from` has and `to`'s list does not name (only when `to` manages
    /// extensions).
    DropExtension(Extension),
    /// An extension in another schema or at another version than `to` names.
    AlterExtension {
        /// As it is.
        from: Extension,
        /// As `to` lists it.
        to: Extension,
    },
    /// A new enum type.
    CreateEnum(Enum),
    /// An enum type that disappears.
    DropEnum(Enum),
    /// A value added to an existing enum, at its position.
    AddEnumValue {
        /// The enum.
        enum_name: QualifiedName,
        /// The new label.
        value: String,
        /// Where it goes.
        position: ValuePosition,
    },
    /// An enum that loses values (a new order alone is never a change):
    /// the type must be recreated and every column using it cast.
    RecreateEnum {
        /// The enum as it was.
        from: Enum,
        /// The enum as it must become.
        to: Enum,
        /// Labels of `from` that `to` no longer has.
        removed: Vec<String>,
    },
    /// A declared table rename.
    RenameTable {
        /// Old name.
        from: QualifiedName,
        /// New name.
        to: QualifiedName,
    },
    /// A declared column rename (table given by its new name).
    RenameColumn {
        /// The table (new name).
        table: QualifiedName,
        /// Old column name.
        from: String,
        /// New column name.
        to: String,
    },
    /// A new table (its indexes and foreign keys come as separate changes).
    CreateTable(Table),
    /// A table that disappears (its own foreign keys come as separate `DropForeignKey`s).
    DropTable(Table),
    /// A new column on an existing table.
    AddColumn {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: Column,
    },
    /// A column that disappears.
    DropColumn {
        /// The table.
        table: QualifiedName,
        /// The column as it was.
        column: Column,
    },
    /// A column whose type, nullability or default changes.
    AlterColumn {
        /// The table.
        table: QualifiedName,
        /// As it was (after renames).
        from: Column,
        /// As it must become.
        to: Column,
    },
    /// A primary key to add.
    AddPrimaryKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: PrimaryKey,
    },
    /// A primary key to drop.
    DropPrimaryKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: PrimaryKey,
    },
    /// A constraint (primary or foreign key) with the same definition under a new name.
    RenameConstraint {
        /// The table.
        table: QualifiedName,
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// An index with the same definition under a new name.
    RenameIndex {
        /// The table.
        table: QualifiedName,
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// A new index.
    CreateIndex {
        /// The table.
        table: QualifiedName,
        /// The index.
        index: Index,
    },
    /// An index to drop.
    DropIndex {
        /// The table.
        table: QualifiedName,
        /// The index.
        index: Index,
    },
    /// A new foreign key.
    AddForeignKey {
        /// The referencing table.
        table: QualifiedName,
        /// The key.
        key: ForeignKey,
    },
    /// A foreign key to drop.
    DropForeignKey {
        /// The referencing table.
        table: QualifiedName,
        /// The key.
        key: ForeignKey,
    },
}

impl Change {
    /// A stable kebab-case name of the change kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::CreateSchema(_) => "create-schema",
            Change::CreateExtension(_) => "create-extension",
            Change::DropExtension(_) => "drop-extension",
            Change::AlterExtension { .. } => "alter-extension",
            Change::CreateEnum(_) => "create-enum",
            Change::DropEnum(_) => "drop-enum",
            Change::AddEnumValue { .. } => "add-enum-value",
            Change::RecreateEnum { .. } => "recreate-enum",
            Change::RenameTable { .. } => "rename-table",
            Change::RenameColumn { .. } => "rename-column",
            Change::CreateTable(_) => "create-table",
            Change::DropTable(_) => "drop-table",
            Change::AddColumn { .. } => "add-column",
            Change::DropColumn { .. } => "drop-column",
            Change::AlterColumn { .. } => "alter-column",
            Change::AddPrimaryKey { .. } => "add-primary-key",
            Change::DropPrimaryKey { .. } => "drop-primary-key",
            Change::RenameConstraint { .. } => "rename-constraint",
            Change::RenameIndex { .. } => "rename-index",
            Change::CreateIndex { .. } => "create-index",
            Change::DropIndex { .. } => "drop-index",
            Change::AddForeignKey { .. } => "add-foreign-key",
            Change::DropForeignKey { .. } => "drop-foreign-key",
        }
    }
}

impl Change {
    /// A one-line summary: the kind and the object it is about (`add-column public.T.x`).
    /// Never empty, so a difference can always be named even where no plan step describes it.
    pub fn summary(&self) -> String {
        let what = match self {
            Change::CreateSchema(n) => n.clone(),
            Change::CreateExtension(e)
            | Change::DropExtension(e)
            | Change::AlterExtension { to: e, .. } => e.name.clone(),
            Change::CreateEnum(e) | Change::DropEnum(e) => e.name.to_string(),
            Change::AddEnumValue {
                enum_name, value, ..
            } => format!("{enum_name} {value:?}"),
            Change::RecreateEnum { to, .. } => to.name.to_string(),
            Change::RenameTable { from, to } => format!("{from} -> {to}"),
            Change::RenameColumn { table, from, to } => format!("{table}.{from} -> {to}"),
            Change::CreateTable(t) | Change::DropTable(t) => t.name.to_string(),
            Change::AddColumn { table, column }
            | Change::DropColumn { table, column }
            | Change::AlterColumn {
                table, to: column, ..
            } => format!("{table}.{}", column.name),
            Change::AddPrimaryKey { table, key } | Change::DropPrimaryKey { table, key } => {
                format!("{table}.{}", key.name)
            }
            Change::RenameConstraint { table, from, to }
            | Change::RenameIndex { table, from, to } => format!("{table}.{from} -> {to}"),
            Change::CreateIndex { table, index } | Change::DropIndex { table, index } => {
                format!("{table}.{}", index.name)
            }
            Change::AddForeignKey { table, key } | Change::DropForeignKey { table, key } => {
                format!("{table}.{}", key.name)
            }
        };
        format!("{} {what}", self.kind())
    }
}

/// The differences between two schemas, in a deterministic (but meaningless) order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    /// The changes.
    pub changes: Vec<Change>,
}

impl ChangeSet {
    /// True when the schemas are the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Compares `from` with `to`, taking the declared `renames` into account.
pub fn diff(from: &Schema, to: &Schema, renames: &Renames) -> ChangeSet {
    diff_and_renamed(from, to, renames).0
}

/// [`diff`] and [`renamed`] at once (one copy of `from` instead of two).
pub fn diff_and_renamed(from: &Schema, to: &Schema, renames: &Renames) -> (ChangeSet, Schema) {
    let mut out = Vec::new();
    let renamed = tables::apply_renames(from, to, renames, &mut out);
    let had = namespaces(&renamed);
    for n in namespaces(to) {
        if n != QualifiedName::DEFAULT_SCHEMA && !had.contains(&n) {
            out.push(Change::CreateSchema(n));
        }
    }
    diff_extensions(&renamed, to, &mut out);
    diff_enums(&renamed, to, &mut out);
    tables::diff_tables(&renamed, to, &mut out);
    (ChangeSet { changes: out }, renamed)
}

/// `from` with the declared renames applied (tables, columns and the references to them), as
/// [`diff`] compares it with `to`.
pub fn renamed(from: &Schema, to: &Schema, renames: &Renames) -> Schema {
    tables::apply_renames(from, to, renames, &mut Vec::new())
}

/// The namespaces (PostgreSQL schemas) holding at least one table or enum of `s`, sorted.
pub fn namespaces(s: &Schema) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in s.tables.keys().chain(s.enums.keys()) {
        if !out.contains(n.schema.as_str()) {
            out.insert(n.schema.clone());
        }
    }
    out
}

/// Extensions are compared only when `to` manages them (a schema with the datasource's
/// `extensions` list, or a database): by name; a schema or version is a difference only when
/// `to` names one.
fn diff_extensions(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let Some(want) = &to.extensions else { return };
    let empty = BTreeMap::new();
    let have = from.extensions.as_ref().unwrap_or(&empty);
    for (name, e) in want {
        match have.get(name) {
            None => out.push(Change::CreateExtension(e.clone())),
            Some(h) => {
                let differs = |w: &Option<String>, h: &Option<String>| w.is_some() && w != h;
                if differs(&e.schema, &h.schema) || differs(&e.version, &h.version) {
                    out.push(Change::AlterExtension {
                        from: h.clone(),
                        to: e.clone(),
                    });
                }
            }
        }
    }
    for (name, h) in have {
        if !want.contains_key(name) {
            out.push(Change::DropExtension(h.clone()));
        }
    }
}

fn diff_enums(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    for (name, e) in &to.enums {
        match from.enums.get(name) {
            None => out.push(Change::CreateEnum(e.clone())),
            Some(old) if old.values != e.values => {
                let removed: Vec<String> = old
                    .values
                    .iter()
                    .filter(|v| !e.values.contains(v))
                    .cloned()
                    .collect();
                if removed.is_empty() {
                    // Only added values, or only another order: the order of labels is never
                    // a change (a database built by appending labels holds them in another
                    // order); new labels are placed next to existing ones with ADD VALUE.
                    out.extend(added_values(old, e));
                } else {
                    out.push(Change::RecreateEnum {
                        from: old.clone(),
                        to: e.clone(),
                        removed,
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (name, e) in &from.enums {
        if !to.enums.contains_key(name) {
            out.push(Change::DropEnum(e.clone()));
        }
    }
}

/// True when two schemas are the same for schemadiff: [`diff`] finds no change between them
/// (column order and enum label order are not compared, nor what [`same_column`] treats as
/// equal). This is the check `drift` makes and `apply` runs before `COMMIT`.
pub fn same_schema(a: &Schema, b: &Schema) -> bool {
    diff(a, b, &Renames::none()).is_empty()
}

/// True when two columns (of the same name) need no change between them: equal, or different
/// only where PostgreSQL holds the same thing: the nullability of a list (array) column
/// (Prisma creates lists without `NOT NULL` and does not compare it), and JSON defaults that
/// are the same JSON value written differently (`'{"a": 1}'` and `'{"a":1}'`).
pub fn same_column(a: &Column, b: &Column) -> bool {
    if a == b {
        return true;
    }
    let list = matches!(a.ty, ColumnType::Array(_));
    a.name == b.name
        && a.ty == b.ty
        && (a.nullable == b.nullable || list)
        && (a.default == b.default
            || unmanaged(&a.default)
            || unmanaged(&b.default)
            || (a.ty.is_json() && same_json_default(&a.default, &b.default)))
}

/// `dbgenerated()` without an expression: any default of the database is the same.
fn unmanaged(d: &Option<DefaultValue>) -> bool {
    matches!(d, Some(DefaultValue::Unmanaged))
}

fn same_json_default(a: &Option<DefaultValue>, b: &Option<DefaultValue>) -> bool {
    match (a, b) {
        (Some(DefaultValue::String(x)), Some(DefaultValue::String(y))) => {
            match (
                serde_json::from_str::<serde_json::Value>(x),
                serde_json::from_str::<serde_json::Value>(y),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            }
        }
        _ => false,
    }
}

/// `from` with the columns of each table that `to` also has put in `to`'s order (columns `to`
/// lacks keep their place after them), so that two schemas printed side by side show real
/// differences only: column order is never one.
pub fn with_columns_ordered_as(from: &Schema, to: &Schema) -> Schema {
    let mut out = from.clone();
    for (name, t) in &mut out.tables {
        let Some(target) = to.tables.get(name) else {
            continue;
        };
        let rank = |c: &Column| {
            target
                .columns
                .iter()
                .position(|x| x.name == c.name)
                .unwrap_or(usize::MAX)
        };
        // A stable sort: columns `to` lacks keep their relative order.
        t.columns.sort_by_key(|c| rank(c));
    }
    // Extensions `to` does not manage are not compared, so not shown either.
    if to.extensions.is_none() {
        out.extensions = None;
    }
    out
}

/// Enums of `to` that `from` also has, with the same labels in another relative order: not a
/// change (see [`diff`]), but worth a note (`drift` prints one, and `drift --strict-order`
/// counts it as drift). One line per enum: `enum E: labels in another order (from: …; to: …)`.
pub fn enum_order_differences(from: &Schema, to: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (name, e) in &to.enums {
        let Some(old) = from.enums.get(name) else {
            continue;
        };
        let common_old: Vec<&String> = old.values.iter().filter(|v| e.values.contains(v)).collect();
        let common_new: Vec<&String> = e.values.iter().filter(|v| old.values.contains(v)).collect();
        if common_old != common_new {
            out.push(format!(
                "enum {name}: labels in another order ({}; {})",
                old.values.join(", "),
                e.values.join(", ")
            ));
        }
    }
    out
}

/// The `AddEnumValue` changes that turn `old` into `new` (which only adds values).
/// Each value is placed relative to a value that exists when it is added: before the next
/// old value when there is one, else after the previous value.
pub fn added_values(old: &Enum, new: &Enum) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, v) in new.values.iter().enumerate() {
        if old.values.contains(v) {
            continue;
        }
        let position = match new.values[i + 1..].iter().find(|n| old.values.contains(n)) {
            Some(next) => ValuePosition::Before(next.clone()),
            None => match i.checked_sub(1).map(|p| &new.values[p]) {
                Some(prev) => ValuePosition::After(prev.clone()),
                None => ValuePosition::End,
            },
        };
        out.push(Change::AddEnumValue {
            enum_name: new.name.clone(),
            value: v.clone(),
            position,
        });
    }
    out
}
