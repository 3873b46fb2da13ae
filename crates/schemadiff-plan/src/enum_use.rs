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
