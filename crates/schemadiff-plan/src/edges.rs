//! The ordering rules: each is a small named function saying "step `a` must run before step
//! `b`", with the PostgreSQL reason. `edges` applies them to the pairs of steps that share a
//! table, a referenced table or an enum (plus a few plan-wide rules), so the graph stays
//! near-linear on large schemas.

use crate::StepKind as K;
use crate::build::RawStep;
use schemadiff_model::QualifiedName;
use std::collections::{BTreeMap, BTreeSet};

/// What the rules need to know about a step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    /// The table it acts on (new name).
    pub table: Option<QualifiedName>,
    /// The enum it creates/changes/drops.
    pub enum_name: Option<QualifiedName>,
    /// Enums its new columns use.
    pub enums_new: BTreeSet<QualifiedName>,
    /// Enums its old columns used.
    pub enums_old: BTreeSet<QualifiedName>,
    /// Tables referenced by a foreign key it adds or drops.
    pub refs: BTreeSet<QualifiedName>,
    /// Index or constraint name it creates or drops.
    pub index_name: Option<String>,
    /// True when it creates or drops a unique index or primary key.
    pub unique: bool,
    /// True when it casts text to JSON with the temporary helper.
    pub needs_json: bool,
    /// The namespace a `CreateSchema` step creates.
    pub namespace: Option<String>,
}

impl Meta {
    pub(crate) fn on(table: &QualifiedName) -> Meta {
        Meta {
            table: Some(table.clone()),
            ..Meta::default()
        }
    }
}

type Rule = fn(&RawStep, &RawStep) -> bool;

/// The pairwise rules, by name.
pub(crate) const RULES: &[(&str, Rule)] = &[
    ("enum-before-users", enum_before_users),
    ("users-before-enum-drop", users_before_enum_drop),
    ("recreate-begin-before-end", recreate_begin_before_end),
    ("rename-before-use", rename_before_use),
    ("table-before-dependents", table_before_dependents),
    ("columns-before-dependents", columns_before_dependents),
    ("referenced-key-before-fk", referenced_key_before_fk),
    ("drop-fk-before-drop-target", drop_fk_before_drop_target),
    ("drop-before-recreate", drop_before_recreate),
    ("drop-index-before-alter", drop_index_before_alter),
];

fn is(s: &RawStep, kinds: &[K]) -> bool {
    kinds.contains(&s.step.kind)
}

fn same_table(a: &RawStep, b: &RawStep) -> bool {
    a.meta.table.is_some() && a.meta.table == b.meta.table
}

/// A type must exist (and a new label be committed) before a table column uses it:
/// PostgreSQL resolves the type name in `CREATE TABLE` / `ALTER COLUMN … TYPE` at once.
fn enum_before_users(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::CreateEnum, K::AddEnumValue, K::RecreateEnumBegin])
        && is(b, &[K::CreateTable, K::AlterTable])
        && a.meta
            .enum_name
            .as_ref()
            .is_some_and(|e| b.meta.enums_new.contains(e))
}

/// `DROP TYPE` fails while a column still uses the type (dependency in pg_depend), so every
/// table that drops or casts away such a column goes first.
fn users_before_enum_drop(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::AlterTable, K::DropTable])
        && is(b, &[K::DropEnum, K::RecreateEnumEnd])
        && b.meta
            .enum_name
            .as_ref()
            .is_some_and(|e| a.meta.enums_old.contains(e))
}

/// The old type can only be dropped after it was renamed away and replaced.
fn recreate_begin_before_end(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::RecreateEnumBegin])
        && is(b, &[K::RecreateEnumEnd])
        && a.meta.enum_name == b.meta.enum_name
}

/// After `RENAME`, the table/column/constraint exists only under its new name, which every
/// later statement uses.
fn rename_before_use(a: &RawStep, b: &RawStep) -> bool {
    if !is(a, &[K::RenameTable, K::RenameColumn, K::RenameConstraint]) || std::ptr::eq(a, b) {
        return false;
    }
    if is(b, &[K::Guard]) {
        return false; // guards read the old names, before any rename
    }
    let t = a.meta.table.as_ref();
    let touches = same_table(a, b) || t.is_some_and(|t| b.meta.refs.contains(t));
    touches
        && (!is(b, &[K::RenameTable, K::RenameColumn, K::RenameConstraint])
            || is(a, &[K::RenameTable]) && !is(b, &[K::RenameTable]))
}

/// An index, key or foreign key can only be created on an existing table, and a foreign key
/// can only reference an existing table.
fn table_before_dependents(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::CreateTable])
        && is(b, &[K::CreateIndex, K::AddForeignKey, K::AddPrimaryKey])
        && on_or_referencing_table_of(a, b)
}

/// New or retyped columns must exist before indexes, keys and foreign keys use them.
fn columns_before_dependents(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::AlterTable])
        && is(b, &[K::CreateIndex, K::AddForeignKey, K::AddPrimaryKey])
        && on_or_referencing_table_of(a, b)
}

/// `b` acts on `a`'s table, or references it.
fn on_or_referencing_table_of(a: &RawStep, b: &RawStep) -> bool {
    same_table(a, b)
        || a.meta
            .table
            .as_ref()
            .is_some_and(|t| b.meta.refs.contains(t))
}

/// A foreign key needs a unique index or primary key on the referenced columns
/// ("there is no unique constraint matching given keys for referenced table").
fn referenced_key_before_fk(a: &RawStep, b: &RawStep) -> bool {
    (is(a, &[K::AddPrimaryKey]) || is(a, &[K::CreateIndex]) && a.meta.unique)
        && is(b, &[K::AddForeignKey])
        && a.meta
            .table
            .as_ref()
            .is_some_and(|t| b.meta.refs.contains(t))
}

/// A table, a column or a key that a foreign key depends on cannot be dropped or retyped
/// while the foreign key exists (without CASCADE, which we never use).
fn drop_fk_before_drop_target(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::DropForeignKey])
        && (is(b, &[K::DropTable, K::AlterTable, K::DropPrimaryKey])
            || is(b, &[K::DropIndex]) && b.meta.unique)
        && b.meta
            .table
            .as_ref()
            .is_some_and(|t| a.meta.table.as_ref() == Some(t) || a.meta.refs.contains(t))
}

/// An index or constraint that changes is dropped and created again under the same name;
/// names are unique per schema, so the drop goes first.
fn drop_before_recreate(a: &RawStep, b: &RawStep) -> bool {
    let pk = is(a, &[K::DropPrimaryKey]) && is(b, &[K::AddPrimaryKey]) && same_table(a, b);
    pk || is(a, &[K::DropIndex, K::DropForeignKey, K::DropPrimaryKey])
        && is(b, &[K::CreateIndex, K::AddForeignKey, K::AddPrimaryKey])
        && a.meta.index_name.is_some()
        && a.meta.index_name == b.meta.index_name
}

/// Dropping a column drops its indexes silently; the explicit `DROP INDEX` must run first or
/// it would fail on a missing index.
fn drop_index_before_alter(a: &RawStep, b: &RawStep) -> bool {
    is(a, &[K::DropIndex, K::DropPrimaryKey]) && is(b, &[K::AlterTable]) && same_table(a, b)
}

/// What a step touches, for grouping: a table, an enum or an index/constraint name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Table(&'a QualifiedName),
    Enum(&'a QualifiedName),
    Index(&'a str),
}

/// Two virtual nodes (indexes `n` and `n + 1` for `n` steps) stand for "every guard has run"
/// and "every added enum value is committed": rules that put a whole kind of step before all
/// others go through them, with `k + m` edges instead of `k × m`. They are not steps; the
/// ordering passes through them as soon as they are ready.
pub(crate) const VIRTUAL_NODES: usize = 2;

/// Every edge `(a, b, rule)` of the plan, deduplicated and sorted. Indexes `>= steps.len()`
/// are the virtual nodes (see [`VIRTUAL_NODES`]).
pub(crate) fn edges(steps: &[RawStep]) -> Vec<(usize, usize, &'static str)> {
    // Group steps by what they touch. In each group only pairs involving a "hub" (a step whose
    // own table / enum is the group's key) can match a rule, which keeps a table referenced by
    // thousands of foreign keys, or an enum used by thousands of tables, linear.
    let mut touches: Vec<(Key, usize, bool)> = Vec::with_capacity(steps.len() * 2);
    for (i, s) in steps.iter().enumerate() {
        let m = &s.meta;
        if let Some(t) = &m.table {
            touches.push((Key::Table(t), i, true));
        }
        for t in &m.refs {
            touches.push((Key::Table(t), i, false));
        }
        if let Some(e) = &m.enum_name {
            touches.push((Key::Enum(e), i, true));
        }
        for e in m.enums_new.iter().chain(&m.enums_old) {
            touches.push((Key::Enum(e), i, false));
        }
        if let Some(n) = &m.index_name {
            touches.push((Key::Index(n), i, true));
        }
    }
    // Sorted by key then step, a step touching a key twice is one entry, a hub if either is.
    touches.sort_unstable_by(|a, b| (a.0, a.1, !a.2).cmp(&(b.0, b.1, !b.2)));
    touches.dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
    let mut out: Vec<(usize, usize, &'static str)> = Vec::new();
    for group in touches.chunk_by(|a, b| a.0 == b.0) {
        for &(_, a, hub) in group {
            if !hub {
                continue;
            }
            for &(_, b, _) in group {
                if a == b {
                    continue;
                }
                for (name, rule) in RULES {
                    if rule(&steps[a], &steps[b]) {
                        out.push((a, b, name));
                    }
                    if rule(&steps[b], &steps[a]) {
                        out.push((b, a, name));
                    }
                }
            }
        }
    }
    plan_wide(steps, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

/// The indexes of the steps of kind `k`.
fn of_kind(steps: &[RawStep], k: K) -> impl Iterator<Item = usize> + '_ {
    steps
        .iter()
        .enumerate()
        .filter(move |(_, s)| s.step.kind == k)
        .map(|(i, _)| i)
}

/// Rules that relate a step to every step of a kind.
fn plan_wide(steps: &[RawStep], out: &mut Vec<(usize, usize, &'static str)>) {
    let (guards_done, values_committed) = (steps.len(), steps.len() + 1);
    let of = |k: K| of_kind(steps, k);
    // Guards check the data before anything changes: the migration stops with nothing done.
    let mut any = false;
    for g in of(K::Guard) {
        out.push((g, guards_done, "guard-before-changes"));
        any = true;
    }
    for (j, s) in steps.iter().enumerate() {
        if any && !is(s, &[K::Guard]) {
            out.push((guards_done, j, "guard-before-changes"));
        }
    }
    // A label added by `ALTER TYPE … ADD VALUE` cannot be used before its transaction
    // commits ("unsafe use of new value"): additions run in their own first batch.
    let mut any = false;
    for a in of(K::AddEnumValue) {
        out.push((a, values_committed, "added-values-committed-first"));
        any = true;
    }
    for (j, s) in steps.iter().enumerate() {
        if any && !is(s, &[K::Guard, K::AddEnumValue]) {
            out.push((values_committed, j, "added-values-committed-first"));
        }
    }
    let adds: Vec<usize> = of(K::AddEnumValue).collect();
    for w in adds.windows(2) {
        if steps[w[0]].meta.enum_name == steps[w[1]].meta.enum_name {
            // `ADD VALUE … AFTER 'x'` may name a label added just before.
            out.push((w[0], w[1], "add-values-in-order"));
        }
    }
    schema_before_contents(steps, out);
    extensions_and_helper(steps, out);
}

/// The namespace a step's objects live in is created before it.
fn schema_before_contents(steps: &[RawStep], out: &mut Vec<(usize, usize, &'static str)>) {
    let of = |k: K| of_kind(steps, k);
    // `CREATE TABLE "audit"."T"` / `CREATE TYPE "audit"."E"` fail with `schema "audit" does
    // not exist`: the namespace is created before anything in it.
    let created: BTreeMap<&str, usize> = of(K::CreateSchema)
        .filter_map(|i| steps[i].meta.namespace.as_deref().map(|n| (n, i)))
        .collect();
    if !created.is_empty() {
        for (j, s) in steps.iter().enumerate() {
            if is(s, &[K::Guard, K::AddEnumValue]) {
                continue; // they act on existing objects, whose namespace exists
            }
            let m = &s.meta;
            let names = m.table.iter().chain(&m.enum_name).chain(&m.refs);
            for n in names.chain(&m.enums_new) {
                if let Some(&c) = created.get(n.schema.as_str()) {
                    out.push((c, j, "schema-before-contents"));
                }
            }
        }
    }
}

/// Extensions before their users and dropped after them; the JSON helper before its casts.
fn extensions_and_helper(steps: &[RawStep], out: &mut Vec<(usize, usize, &'static str)>) {
    let of = |k: K| of_kind(steps, k);
    // An extension the datasource lists may provide a type, operator class or function that a
    // column, index or default uses: it is created (or moved / updated) before every other
    // change of its transaction. One the datasource no longer lists is dropped after
    // everything that could still use it has changed.
    for c in of(K::CreateExtension) {
        for (j, s) in steps.iter().enumerate() {
            if !is(s, &[K::Guard, K::AddEnumValue, K::CreateExtension]) {
                out.push((c, j, "extension-before-users"));
            }
        }
    }
    for d in of(K::DropExtension) {
        for (j, s) in steps.iter().enumerate() {
            if !is(s, &[K::DropExtension]) {
                out.push((j, d, "users-before-extension-drop"));
            }
        }
    }
    // The temporary JSON helper must exist before a cast calls it.
    for h in of(K::CreateHelper) {
        for (j, s) in steps.iter().enumerate() {
            if s.meta.needs_json {
                out.push((h, j, "helper-before-json-cast"));
            }
        }
    }
}
