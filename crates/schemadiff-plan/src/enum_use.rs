//! One transaction for every plan: an enum value added by `ALTER TYPE … ADD VALUE` cannot be
//! used in the transaction that adds it (PostgreSQL: "unsafe use of new enum value"), so a plan
//! that adds a value and uses it in the same plan would need two transactions, and the second
//! could fail after the first committed. Instead, such an enum is recreated: the old type is
//! renamed away, a new one with the full label list is created (a type created in the running
//! transaction may be used at once) and its columns are cast to it, which rewrites their
//! tables (a `table-rewrite` hazard says which). A value that the plan adds but does not use
//! stays an `ADD VALUE`, which PostgreSQL 12 and later run inside a transaction.
//!
//! The plan "uses" a new value of enum `E` when
//! - a column is cast to `E` (or `E[]`) from another type: its data may hold the value;
//! - a column of `E` that the plan creates, adds or alters has the value in its default;
//! - a `[fill]` value of the mapping file for a column of `E` is the value.

use crate::mapping::Mapping;
use schemadiff_diff::Change;
use schemadiff_model::{Column, DefaultValue, QualifiedName, Schema};
use std::collections::{BTreeMap, BTreeSet};

/// Replaces the `AddEnumValue` changes of every enum whose new values the plan uses by one
/// `RecreateEnum` (nothing removed) and returns the names of those enums.
pub(crate) fn recreate_used_additions(
    changes: &mut Vec<Change>,
    from: &Schema,
    to: &Schema,
    mapping: &Mapping,
) -> BTreeSet<QualifiedName> {
    let mut added: BTreeMap<QualifiedName, BTreeSet<String>> = BTreeMap::new();
    for c in changes.iter() {
        if let Change::AddEnumValue {
            enum_name, value, ..
        } = c
        {
            added
                .entry(enum_name.clone())
                .or_default()
                .insert(value.clone());
        }
    }
    if added.is_empty() {
        return BTreeSet::new();
    }
    let uses = |c: &Column| -> Option<QualifiedName> {
        let e = c.ty.enum_name()?;
        let values = added.get(e)?;
        c.default
            .as_ref()
            .is_some_and(|d| default_uses(d, values))
            .then(|| e.clone())
    };
    let mut used: BTreeSet<QualifiedName> = BTreeSet::new();
    for c in changes.iter() {
        match c {
            Change::CreateTable(t) => used.extend(t.columns.iter().filter_map(uses)),
            Change::AddColumn { column, .. } => used.extend(uses(column)),
            Change::AlterColumn { from: f, to: t, .. } => {
                used.extend(uses(t));
                if let Some(e) = t.ty.enum_name()
                    && added.contains_key(e)
                    && f.ty != t.ty
                {
                    used.insert(e.clone());
                }
            }
            _ => {}
        }
    }
    for ((table, column), value) in &mapping.fills {
        let ty = to
            .tables
            .get(table)
            .and_then(|t| t.column(column))
            .and_then(|c| c.ty.enum_name());
        if let Some(e) = ty
            && added.get(e).is_some_and(|v| v.contains(value))
        {
            used.insert(e.clone());
        }
    }
    if used.is_empty() {
        return used;
    }
    changes.retain(
        |c| !matches!(c, Change::AddEnumValue { enum_name, .. } if used.contains(enum_name)),
    );
    for e in &used {
        if let (Some(old), Some(new)) = (from.enums.get(e), to.enums.get(e)) {
            changes.push(Change::RecreateEnum {
                from: old.clone(),
                to: new.clone(),
                removed: Vec::new(),
            });
        }
    }
    used
}

fn default_uses(d: &DefaultValue, values: &BTreeSet<String>) -> bool {
    match d {
        DefaultValue::EnumValue(v) | DefaultValue::String(v) => values.contains(v),
        DefaultValue::List(items) => items.iter().any(|i| default_uses(i, values)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Mapping, StepKind, plan};
    use schemadiff_model::*;

    /// Enum `Color` (with `values`) and table `T` with a `color Color` column.
    fn schema(values: &[&str], default: Option<&str>, text: bool) -> Schema {
        let mut s = Schema::empty();
        let e = QualifiedName::public("Color");
        s.add_enum(Enum {
            name: e.clone(),
            values: values.iter().map(|v| v.to_string()).collect(),
        });
        let mut t = Table::new(QualifiedName::public("T"));
        t.columns.push(Column {
            name: "color".into(),
            ty: if text {
                ColumnType::Text
            } else {
                ColumnType::Enum(e)
            },
            nullable: true,
            default: default.map(|d| DefaultValue::EnumValue(d.into())),
        });
        s.add_table(t);
        s
    }

    fn kinds(from: &Schema, to: &Schema) -> Vec<StepKind> {
        let p = plan(from, to, &Mapping::empty()).expect("plan");
        assert!(p.steps.iter().all(|s| s.batch == 0), "one transaction");
        assert_eq!(p.batches().len(), 1);
        p.steps.iter().map(|s| s.kind).collect()
    }

    #[test]
    fn an_added_value_nothing_uses_is_added_in_the_one_transaction() {
        let k = kinds(
            &schema(&["RED"], Some("RED"), false),
            &schema(&["RED", "BLUE"], Some("RED"), false),
        );
        assert_eq!(k, [StepKind::AddEnumValue]);
    }

    #[test]
    fn an_added_value_used_as_a_default_recreates_the_enum() {
        let from = schema(&["RED"], Some("RED"), false);
        let to = schema(&["RED", "BLUE"], Some("BLUE"), false);
        let k = kinds(&from, &to);
        assert!(!k.contains(&StepKind::AddEnumValue), "{k:?}");
        assert!(k.contains(&StepKind::RecreateEnumBegin), "{k:?}");
        assert!(k.contains(&StepKind::RecreateEnumEnd), "{k:?}");
        let p = plan(&from, &to, &Mapping::empty()).unwrap();
        assert!(p.warnings.iter().any(|w| w.contains("recreated")), "{p:?}");
        assert!(p.hazards.iter().any(|h| h.code == "table-rewrite"), "{p:?}");
    }

    #[test]
    fn a_cast_to_an_enum_that_gains_a_value_recreates_it() {
        let from = schema(&["RED"], None, true);
        let to = schema(&["RED", "BLUE"], None, false);
        let k = kinds(&from, &to);
        assert!(!k.contains(&StepKind::AddEnumValue), "{k:?}");
        assert!(k.contains(&StepKind::RecreateEnumBegin), "{k:?}");
    }

    #[test]
    fn a_fill_value_that_is_an_added_value_recreates_the_enum() {
        let from = schema(&["RED"], None, false);
        let mut to = schema(&["RED", "BLUE"], None, false);
        to.tables
            .values_mut()
            .for_each(|t| t.columns[0].nullable = false);
        let mut m = Mapping::empty();
        m.fills
            .insert((QualifiedName::public("T"), "color".into()), "BLUE".into());
        let p = plan(&from, &to, &m).expect("plan");
        let k: Vec<_> = p.steps.iter().map(|s| s.kind).collect();
        assert!(!k.contains(&StepKind::AddEnumValue), "{k:?}");
        assert!(k.contains(&StepKind::RecreateEnumBegin), "{k:?}");
        // Not used by a fill: an added value stays ADD VALUE.
        let p = plan(&from, &to, &Mapping::empty()).expect("plan");
        assert!(p.steps.iter().any(|s| s.kind == StepKind::AddEnumValue));
    }
}
