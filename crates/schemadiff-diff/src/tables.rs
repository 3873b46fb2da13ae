//! Table-level comparison: declared renames, then tables, columns, keys, indexes, foreign keys.

use crate::{Change, Renames};
use schemadiff_model::{ForeignKey, Index, QualifiedName, Schema, Table};

/// Applies the declared renames to a copy of `from` (pushing the `Rename*` changes) so that
/// the rest of the comparison sees the objects under their new names. A rename whose old
/// name is absent from `from` (or whose new name already exists there) is ignored here; the
/// planner validates renames and reports them.
pub(crate) fn apply_renames(
    from: &Schema,
    to: &Schema,
    renames: &Renames,
    out: &mut Vec<Change>,
) -> Schema {
    let mut s = from.clone();
    for (old, new) in &renames.tables {
        if !s.tables.contains_key(old) || s.tables.contains_key(new) || !to.tables.contains_key(new)
        {
            continue;
        }
        let Some(mut t) = s.tables.remove(old) else {
            continue;
        };
        t.name = new.clone();
        s.tables.insert(new.clone(), t);
        for t in s.tables.values_mut() {
            for fk in &mut t.foreign_keys {
                if &fk.referenced_table == old {
                    fk.referenced_table = new.clone();
                }
            }
        }
        out.push(Change::RenameTable {
            from: old.clone(),
            to: new.clone(),
        });
    }
    for (table, cols) in &renames.columns {
        for (old, new) in cols {
            let Some(t) = s.tables.get_mut(table) else {
                continue;
            };
            if t.column(old).is_none() || t.column(new).is_some() {
                continue;
            }
            rename_column_in_table(t, old, new);
            for other in s.tables.values_mut() {
                for fk in &mut other.foreign_keys {
                    if &fk.referenced_table == table {
                        for c in &mut fk.referenced_columns {
                            if c == old {
                                *c = new.clone();
                            }
                        }
                    }
                }
            }
            out.push(Change::RenameColumn {
                table: table.clone(),
                from: old.clone(),
                to: new.clone(),
            });
        }
    }
    s
}

fn rename_column_in_table(t: &mut Table, old: &str, new: &str) {
    let fix = |c: &mut String| {
        if c == old {
            *c = new.to_string();
        }
    };
    for c in &mut t.columns {
        fix(&mut c.name);
    }
    if let Some(pk) = &mut t.primary_key {
        pk.columns.iter_mut().for_each(fix);
    }
    for i in &mut t.indexes {
        for c in &mut i.columns {
            fix(&mut c.name);
        }
    }
    for fk in &mut t.foreign_keys {
        fk.columns.iter_mut().for_each(fix);
    }
}

pub(crate) fn diff_tables(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    for (name, t) in &to.tables {
        match from.tables.get(name) {
            None => {
                out.push(Change::CreateTable(t.clone()));
                for index in &t.indexes {
                    out.push(Change::CreateIndex {
                        table: name.clone(),
                        index: index.clone(),
                    });
                }
                for key in &t.foreign_keys {
                    out.push(Change::AddForeignKey {
                        table: name.clone(),
                        key: key.clone(),
                    });
                }
            }
            Some(old) => diff_table(old, t, out),
        }
    }
    for (name, t) in &from.tables {
        if !to.tables.contains_key(name) {
            for key in &t.foreign_keys {
                out.push(Change::DropForeignKey {
                    table: name.clone(),
                    key: key.clone(),
                });
            }
            out.push(Change::DropTable(t.clone()));
        }
    }
}

fn diff_table(old: &Table, new: &Table, out: &mut Vec<Change>) {
    let table = &new.name;
    for c in &new.columns {
        match old.column(&c.name) {
            None => out.push(Change::AddColumn {
                table: table.clone(),
                column: c.clone(),
            }),
            Some(o) if !crate::same_column(o, c) => out.push(Change::AlterColumn {
                table: table.clone(),
                from: o.clone(),
                to: c.clone(),
            }),
            Some(_) => {}
        }
    }
    for c in &old.columns {
        if new.column(&c.name).is_none() {
            out.push(Change::DropColumn {
                table: table.clone(),
                column: c.clone(),
            });
        }
    }
    match (&old.primary_key, &new.primary_key) {
        (None, Some(k)) => out.push(Change::AddPrimaryKey {
            table: table.clone(),
            key: k.clone(),
        }),
        (Some(k), None) => out.push(Change::DropPrimaryKey {
            table: table.clone(),
            key: k.clone(),
        }),
        (Some(a), Some(b)) if a != b => {
            if a.columns == b.columns {
                out.push(Change::RenameConstraint {
                    table: table.clone(),
                    from: a.name.clone(),
                    to: b.name.clone(),
                });
            } else {
                out.push(Change::DropPrimaryKey {
                    table: table.clone(),
                    key: a.clone(),
                });
                out.push(Change::AddPrimaryKey {
                    table: table.clone(),
                    key: b.clone(),
                });
            }
        }
        _ => {}
    }
    diff_indexes(table, &old.indexes, &new.indexes, out);
    diff_foreign_keys(table, &old.foreign_keys, &new.foreign_keys, out);
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.columns == b.columns && a.unique == b.unique && a.method == b.method
}

fn diff_indexes(table: &QualifiedName, old: &[Index], new: &[Index], out: &mut Vec<Change>) {
    let mut dropped: Vec<&Index> = Vec::new();
    let mut created: Vec<&Index> = Vec::new();
    for i in new {
        match old.iter().find(|o| o.name == i.name) {
            None => created.push(i),
            Some(o) if o != i => {
                dropped.push(o);
                created.push(i);
            }
            Some(_) => {}
        }
    }
    for o in old {
        if !new.iter().any(|i| i.name == o.name) {
            dropped.push(o);
        }
    }
    // Same definition under another name: a rename, not a rebuild.
    let mut renamed_new: Vec<&str> = Vec::new();
    dropped.retain(|o| {
        if new.iter().any(|i| i.name == o.name) {
            return true;
        }
        match created
            .iter()
            .find(|i| same_index(o, i) && !renamed_new.contains(&i.name.as_str()))
        {
            Some(i) if !old.iter().any(|x| x.name == i.name) => {
                renamed_new.push(&i.name);
                out.push(Change::RenameIndex {
                    table: table.clone(),
                    from: o.name.clone(),
                    to: i.name.clone(),
                });
                false
            }
            _ => true,
        }
    });
    created.retain(|i| !renamed_new.contains(&i.name.as_str()));
    // A database index that repeats, under another name, an index the target keeps unchanged
    // is redundant (a table renamed after its index was made, then the index made again under
    // the new name): it is never dropped and never drift, as Prisma's own migrations leave it.
    dropped.retain(|o| {
        new.iter().any(|i| i.name == o.name)
            || !new
                .iter()
                .any(|i| i.name != o.name && old.iter().any(|x| x == i) && same_index(o, i))
    });
    for o in dropped {
        out.push(Change::DropIndex {
            table: table.clone(),
            index: o.clone(),
        });
    }
    for i in created {
        out.push(Change::CreateIndex {
            table: table.clone(),
            index: i.clone(),
        });
    }
}

fn same_fk(a: &ForeignKey, b: &ForeignKey) -> bool {
    a.columns == b.columns
        && a.referenced_table == b.referenced_table
        && a.referenced_columns == b.referenced_columns
        && a.on_delete == b.on_delete
        && a.on_update == b.on_update
}

fn diff_foreign_keys(
    table: &QualifiedName,
    old: &[ForeignKey],
    new: &[ForeignKey],
    out: &mut Vec<Change>,
) {
    let mut dropped: Vec<&ForeignKey> = Vec::new();
    let mut added: Vec<&ForeignKey> = Vec::new();
    for k in new {
        match old.iter().find(|o| o.name == k.name) {
            None => added.push(k),
            Some(o) if o != k => {
                dropped.push(o);
                added.push(k);
            }
            Some(_) => {}
        }
    }
    for o in old {
        if !new.iter().any(|k| k.name == o.name) {
            dropped.push(o);
        }
    }
    let mut renamed_new: Vec<&str> = Vec::new();
    dropped.retain(|o| {
        if new.iter().any(|k| k.name == o.name) {
            return true;
        }
        match added
            .iter()
            .find(|k| same_fk(o, k) && !renamed_new.contains(&k.name.as_str()))
        {
            Some(k) if !old.iter().any(|x| x.name == k.name) => {
                renamed_new.push(&k.name);
                out.push(Change::RenameConstraint {
                    table: table.clone(),
                    from: o.name.clone(),
                    to: k.name.clone(),
                });
                false
            }
            _ => true,
        }
    });
    added.retain(|k| !renamed_new.contains(&k.name.as_str()));
    for o in dropped {
        out.push(Change::DropForeignKey {
            table: table.clone(),
            key: o.clone(),
        });
    }
    for k in added {
        out.push(Change::AddForeignKey {
            table: table.clone(),
            key: k.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::{Change, Renames, ValuePosition, diff};
    use schemadiff_model::{Column, ColumnType, Enum, QualifiedName, Schema, Table};

    fn col(name: &str, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
        }
    }

    fn schema_with(t: Table, enums: &[(&str, &[&str])]) -> Schema {
        let mut s = Schema::empty();
        s.add_table(t);
        for (n, vals) in enums {
            s.add_enum(Enum {
                name: QualifiedName::public(*n),
                values: vals.iter().map(|v| v.to_string()).collect(),
            });
        }
        s
    }

    #[test]
    fn same_schema_has_no_change() {
        let mut t = Table::new(QualifiedName::public("User"));
        t.columns.push(col("id", ColumnType::Text));
        let s = schema_with(t, &[("Role", &["A", "B"])]);
        assert!(diff(&s, &s, &Renames::none()).is_empty());
    }

    #[test]
    fn added_values_keep_their_position() {
        let mut t = Table::new(QualifiedName::public("T"));
        t.columns.push(col("id", ColumnType::Text));
        let a = schema_with(t.clone(), &[("E", &["B", "D"])]);
        let b = schema_with(t, &[("E", &["A", "B", "C", "D", "E"])]);
        let cs = diff(&a, &b, &Renames::none());
        let pos: Vec<(String, ValuePosition)> = cs
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::AddEnumValue {
                    value, position, ..
                } => Some((value.clone(), position.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            pos,
            vec![
                ("A".into(), ValuePosition::Before("B".into())),
                ("C".into(), ValuePosition::Before("D".into())),
                ("E".into(), ValuePosition::After("D".into())),
            ]
        );
    }

    #[test]
    fn removed_value_recreates_the_enum() {
        let mut t = Table::new(QualifiedName::public("T"));
        t.columns.push(col("id", ColumnType::Text));
        let a = schema_with(t.clone(), &[("E", &["A", "B"])]);
        let b = schema_with(t, &[("E", &["A"])]);
        let cs = diff(&a, &b, &Renames::none());
        assert!(
            matches!(&cs.changes[0], Change::RecreateEnum { removed, .. } if removed == &vec!["B".to_string()])
        );
    }

    #[test]
    fn column_order_is_not_a_change() {
        let mut t = Table::new(QualifiedName::public("A"));
        t.columns.push(col("id", ColumnType::Integer));
        t.columns.push(col("b", ColumnType::Integer));
        t.columns.push(col("x", ColumnType::Integer));
        let a = schema_with(t.clone(), &[]);
        t.columns.swap(1, 2);
        let b = schema_with(t, &[]);
        assert_ne!(a, b);
        assert!(diff(&a, &b, &Renames::none()).is_empty());
        assert!(crate::same_schema(&a, &b));
        // Printed side by side, `a` in `b`'s column order shows no difference.
        assert_eq!(crate::with_columns_ordered_as(&a, &b), b);
    }

    #[test]
    fn label_order_is_not_a_change_but_a_note() {
        let mut t = Table::new(QualifiedName::public("T"));
        t.columns.push(col("id", ColumnType::Text));
        let db = schema_with(t.clone(), &[("E", &["A", "C", "B"])]);
        let file = schema_with(t.clone(), &[("E", &["A", "B", "C"])]);
        assert!(diff(&db, &file, &Renames::none()).is_empty());
        assert_eq!(
            crate::enum_order_differences(&db, &file),
            vec!["enum E: labels in another order (A, C, B; A, B, C)".to_string()]
        );
        assert!(crate::enum_order_differences(&file, &file).is_empty());
        // A new label is added next to an existing one, never by rebuilding the type.
        let more = schema_with(t, &[("E", &["A", "B", "X", "C"])]);
        let cs = diff(&db, &more, &Renames::none());
        assert_eq!(
            cs.changes,
            vec![Change::AddEnumValue {
                enum_name: QualifiedName::public("E"),
                value: "X".into(),
                position: ValuePosition::Before("C".into()),
            }]
        );
    }

    #[test]
    fn list_nullability_and_json_spelling_are_not_changes() {
        use schemadiff_model::DefaultValue;
        let mut t = Table::new(QualifiedName::public("T"));
        let mut list = col("tags", ColumnType::Array(Box::new(ColumnType::Text)));
        list.nullable = true;
        let mut json = col("meta", ColumnType::Jsonb);
        json.default = Some(DefaultValue::String(r#"{"b": 2, "a": [1, 2]}"#.into()));
        t.columns.push(list.clone());
        t.columns.push(json.clone());
        let file = schema_with(t.clone(), &[]);
        t.columns[0].nullable = false;
        t.columns[1].default = Some(DefaultValue::String(r#"{"a":[1,2],"b":2}"#.into()));
        let db = schema_with(t.clone(), &[]);
        assert!(diff(&db, &file, &Renames::none()).is_empty());
        // Another JSON value, or a scalar column's nullability, still is a change.
        t.columns[1].default = Some(DefaultValue::String(r#"{"a":[2,1],"b":2}"#.into()));
        let other = schema_with(t, &[]);
        assert_eq!(diff(&other, &file, &Renames::none()).changes.len(), 1);
        let mut scalar = col("n", ColumnType::Text);
        let mut a = Table::new(QualifiedName::public("U"));
        a.columns.push(scalar.clone());
        scalar.nullable = true;
        let mut b = Table::new(QualifiedName::public("U"));
        b.columns.push(scalar);
        assert_eq!(
            diff(&schema_with(a, &[]), &schema_with(b, &[]), &Renames::none())
                .changes
                .len(),
            1
        );
    }

    #[test]
    fn declared_table_rename_is_not_drop_and_create() {
        let mut t = Table::new(QualifiedName::public("Old"));
        t.columns.push(col("id", ColumnType::Text));
        let a = schema_with(t.clone(), &[]);
        t.name = QualifiedName::public("New");
        let b = schema_with(t, &[]);
        let mut r = Renames::none();
        r.tables
            .insert(QualifiedName::public("Old"), QualifiedName::public("New"));
        let cs = diff(&a, &b, &r);
        assert_eq!(cs.changes.len(), 1);
        assert_eq!(cs.changes[0].kind(), "rename-table");
    }
}
