//! Online mode: the same declarative change run without a long lock.
//!
//! The changes that rewrite a table or scan it under a strong lock (a column's type change,
//! with or without a value mapping; new indexes, foreign keys on existing tables) are taken out
//! of the offline plan and run in four phases:
//!
//! - **expand**: everything else of the offline plan (short transactional DDL: new enums, new
//!   tables, new columns…), then per table a shadow column under a temporary name (nullable, no
//!   rewrite) and a trigger that keeps it in sync with the same conversion as the offline cast
//!   (the mapping `CASE`, the JSON handling, the fill); new indexes `CONCURRENTLY`; foreign keys
//!   `NOT VALID` then `VALIDATE`;
//! - **backfill**: batches keyed by the primary key (or a unique not-null key; one column or a
//!   row value of several), each
//!   its own short transaction that also records its progress; then the unmapped-value check,
//!   the `CHECK (… IS NOT NULL)` validated without an exclusive lock, and the indexes over the
//!   shadow columns built `CONCURRENTLY`;
//! - **switch**: one short transaction per table (lock, unmapped check, drop trigger, rename the
//!   columns and indexes, defaults, `SET NOT NULL` through the validated check);
//! - **contract**: drop the old columns (unless kept) and the `schemadiff` state schema.
//!
//! The intermediate schema (`to` with the online columns still of their old type, and only the
//! indexes and keys the offline plan can create without a long lock) is planned by the offline
//! planner itself, so the expand phase is the offline plan's text.

mod sql;

pub use sql::{ONLINE_JSON_HELPER, STATE_SCHEMA, TRIGGER};

use crate::cast::{EnumCast, JSON_HELPER_NAME, json_helper, lenient_jsonb_sql, plain_using};
use crate::ddl::{AlterTable, AlterTableClause, Constraint, CreateIndex};
use crate::sqltext::{qname, quote_ident, quote_literal, sql_type};
use crate::{Mapping, Plan, PlanError, PlanOptions, plan_with};
use schemadiff_model::{Column, ColumnType, DefaultValue, Index, QualifiedName, Schema, Table};
use serde::Serialize;

/// The phase a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// New objects, shadow columns, sync triggers, concurrent indexes, `NOT VALID` keys.
    Expand,
    /// Batches, unmapped check, validated NOT NULL checks, indexes over shadow columns.
    Backfill,
    /// One short transaction per table that swaps the columns.
    Switch,
    /// Old columns and the state schema dropped.
    Contract,
}

impl Phase {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Switch => "switch",
            Phase::Contract => "contract",
        }
    }

    /// Every phase, in order.
    pub const ALL: [Phase; 4] = [
        Phase::Expand,
        Phase::Backfill,
        Phase::Switch,
        Phase::Contract,
    ];
}

/// How a step runs (the model crate holds it, so the executor shares it).
pub use schemadiff_model::OnlineStepKind;

/// One step of the online plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlineStep {
    /// Its phase.
    pub phase: Phase,
    /// How it runs.
    pub kind: OnlineStepKind,
    /// The object it acts on.
    pub object: String,
    /// What it does.
    pub description: String,
    /// The strongest lock it takes and for how long.
    pub locks: String,
    /// The statements (without `;`).
    pub statements: Vec<String>,
}

/// A column that changes type online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlineColumn {
    /// The table.
    pub table: QualifiedName,
    /// The column (its name in `to`).
    pub column: String,
    /// The temporary name of the new column.
    pub shadow: String,
    /// The temporary name of the old column after the switch.
    pub old: String,
    /// Old type → new type, for the reviewer.
    pub change: String,
}

/// The online plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlinePlan {
    /// The offline plan of the intermediate schema (run in the expand phase); its hazards and
    /// warnings are the online plan's.
    pub offline: Plan,
    /// The columns that change online.
    pub columns: Vec<OnlineColumn>,
    /// Every step, in order (the offline plan's batches first).
    pub steps: Vec<OnlineStep>,
    /// Rows per backfill batch.
    pub batch_size: u32,
}

/// How to plan online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineOptions {
    /// Rows per backfill batch (each its own transaction).
    pub batch_size: u32,
    /// Keep the old columns (under their temporary names) instead of dropping them.
    pub keep_old_columns: bool,
}

impl Default for OnlineOptions {
    fn default() -> Self {
        OnlineOptions {
            batch_size: 100,
            keep_old_columns: false,
        }
    }
}

/// Why no online plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnlineError {
    /// The offline planner refused.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// No key to backfill by.
    #[error(
        "table {0} has no primary key and no unique index over NOT NULL columns: online mode backfills in key order and cannot change it online (plan it without --online, or add such a key first)"
    )]
    NoKey(QualifiedName),
    /// A column of the composite key the backfill walks changes type.
    #[error(
        "column {0}.{1} is part of the key of several columns that online mode backfills by, and its type changes: that cannot be done online (plan it without --online)"
    )]
    KeyColumn(QualifiedName, String),
    /// A temporary name would exceed PostgreSQL's 63 bytes.
    #[error(
        "column {0}.{1}: its name is too long for online mode's temporary names (at most 55 bytes)"
    )]
    NameTooLong(QualifiedName, String),
}

const MAX_NAME: usize = 55;

/// Plans `from` → `to` online.
pub fn plan_online(
    from: &Schema,
    to: &Schema,
    mapping: &Mapping,
    options: &PlanOptions,
    online: &OnlineOptions,
) -> Result<OnlinePlan, OnlineError> {
    let full = plan_with(from, to, mapping, options)?;
    let renamed = schemadiff_diff::renamed(from, to, &mapping.renames);
    let mut mid = to.clone();
    let mut mid_mapping = mapping.clone();
    let mut cols: Vec<(QualifiedName, Column, Column)> = Vec::new();
    let mut late_indexes: Vec<(QualifiedName, Index, Option<String>)> = Vec::new();
    let mut new_indexes: Vec<(QualifiedName, Index)> = Vec::new();
    let mut new_keys: Vec<(QualifiedName, schemadiff_model::ForeignKey)> = Vec::new();
    for (name, t) in &to.tables {
        let Some(old) = renamed.tables.get(name) else {
            continue;
        };
        let online: Vec<String> = t
            .columns
            .iter()
            .filter(|c| old.column(&c.name).is_some_and(|o| o.ty != c.ty))
            .map(|c| c.name.clone())
            .collect();
        for c in &online {
            if c.len() > MAX_NAME {
                return Err(OnlineError::NameTooLong(name.clone(), c.clone()));
            }
            let (Some(oc), Some(tc)) = (old.column(c), t.column(c)) else {
                continue;
            };
            cols.push((name.clone(), oc.clone(), tc.clone()));
            mid_mapping.values.remove(&(name.clone(), c.clone()));
            mid_mapping.fills.remove(&(name.clone(), c.clone()));
        }
        if !online.is_empty() {
            let Some(key) = key_of(t) else {
                return Err(OnlineError::NoKey(name.clone()));
            };
            if key.len() > 1
                && let Some((c, _)) = key.iter().find(|(c, _)| online.contains(c))
            {
                return Err(OnlineError::KeyColumn(name.clone(), c.clone()));
            }
        }
        let touches = |cs: &[&str]| cs.iter().any(|c| online.iter().any(|o| o == c));
        let mt = mid.tables.get_mut(name).expect("table of to");
        for c in mt.columns.iter_mut() {
            if online.contains(&c.name)
                && let Some(oc) = old.column(&c.name)
            {
                *c = oc.clone();
            }
        }
        let mut indexes = Vec::new();
        for i in &t.indexes {
            let same = old.index(&i.name) == Some(i);
            if touches(&i.column_names()) {
                late_indexes.push((
                    name.clone(),
                    i.clone(),
                    old.index(&i.name).map(|x| x.name.clone()),
                ));
            } else if same {
                indexes.push(i.clone());
            } else {
                new_indexes.push((name.clone(), i.clone()));
            }
        }
        for i in &old.indexes {
            if touches(&i.column_names()) && t.index(&i.name).is_some() {
                indexes.push(i.clone());
            }
        }
        mt.indexes = indexes;
        let mut keys = Vec::new();
        for k in &t.foreign_keys {
            if old.foreign_key(&k.name) == Some(k) {
                keys.push(k.clone());
            } else {
                new_keys.push((name.clone(), k.clone()));
            }
        }
        mt.foreign_keys = keys;
    }
    let offline = plan_with(from, &mid, &mid_mapping, options)?;
    let mut steps = Vec::new();
    for (i, b) in offline.batches().into_iter().enumerate() {
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::Transaction,
            object: format!("offline batch {}", i + 1),
            description: "the changes that need no long lock, as the offline plan makes them"
                .into(),
            locks: "each statement's own lock (ACCESS EXCLUSIVE for ALTER TABLE), held only for catalog changes: no rewrite, no scan of existing rows".into(),
            statements: b.statements.into_iter().map(|s| s.sql).collect(),
        });
    }
    let mut columns = Vec::new();
    let mut by_table: Vec<(QualifiedName, Vec<(Column, Column)>)> = Vec::new();
    for (t, o, n) in cols {
        match by_table.iter_mut().find(|(x, _)| *x == t) {
            Some((_, v)) => v.push((o, n)),
            None => by_table.push((t, vec![(o, n)])),
        }
    }
    if !by_table.is_empty() {
        let mut st = sql::create_state();
        if by_table
            .iter()
            .any(|(_, v)| v.iter().any(|(o, n)| needs_helper(o, n, options)))
        {
            st.push(sql::json_helper(
                &json_helper().to_string(),
                JSON_HELPER_NAME,
            ));
        }
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::Transaction,
            object: STATE_SCHEMA.into(),
            description: "the state of online mode: backfill progress and unmapped values (dropped in the contract phase)".into(),
            locks: "none on your tables".into(),
            statements: st,
        });
    }
    let mut backfill = Vec::new();
    let mut prepare = Vec::new();
    let mut switch = Vec::new();
    let mut contract = Vec::new();
    for (n, (table, pairs)) in by_table.iter().enumerate() {
        let tdef = to.table(table).expect("table of to");
        let key = key_of(tdef).expect("checked above");
        let function = QualifiedName::new(STATE_SCHEMA, format!("sync_{}", n + 1));
        let mut sync = Vec::new();
        let mut sets = Vec::new();
        let mut expand = vec![sql::init_progress(table)];
        for (o, c) in pairs {
            let shadow = format!("_sd_new_{}", c.name);
            let oldname = format!("_sd_old_{}", c.name);
            let (conversion, can_be_unmapped, target) =
                conversion(table, o, c, &full, mapping, options);
            expand.push(sql::add_shadow(table, &shadow, &c.ty));
            sets.push((shadow.clone(), conversion.clone()));
            sync.push(sql::SyncColumn {
                column: c.name.clone(),
                shadow: shadow.clone(),
                conversion,
                can_be_unmapped,
            });
            columns.push(OnlineColumn {
                table: table.clone(),
                column: c.name.clone(),
                shadow: shadow.clone(),
                old: oldname.clone(),
                change: format!("{} → {}", o.ty, c.ty),
            });
            if can_be_unmapped {
                prepare.push(OnlineStep {
                    phase: Phase::Backfill,
                    kind: OnlineStepKind::Transaction,
                    object: format!("{table}.{}", c.name),
                    description: format!("stop when a value of {table}.{} maps to no value of {target}, before anything is switched", c.name),
                    locks: "none (reads)".into(),
                    statements: vec![sql::unmapped_check(table, &c.name, &shadow, &target)],
                });
            }
            if !c.nullable {
                let check = format!("_sd_nn_{}", c.name);
                prepare.push(OnlineStep {
                    phase: Phase::Backfill,
                    kind: OnlineStepKind::Transaction,
                    object: format!("{table}.{}", c.name),
                    description: format!("{table}.{} will be NOT NULL: a CHECK added NOT VALID (no scan)", c.name),
                    locks: format!("ACCESS EXCLUSIVE on {table} for a catalog change only, bounded by lock_timeout"),
                    statements: vec![sql::drop_constraint(table, &check), sql::add_not_null_check(table, &check, &shadow)],
                });
                prepare.push(OnlineStep {
                    phase: Phase::Backfill,
                    kind: OnlineStepKind::Transaction,
                    object: format!("{table}.{}", c.name),
                    description: format!(
                        "validate the NOT NULL check of {table}.{} (a scan that blocks no writer)",
                        c.name
                    ),
                    locks: format!("SHARE UPDATE EXCLUSIVE on {table}: reads and writes go on"),
                    statements: vec![sql::validate(table, &check)],
                });
            }
        }
        expand.push(sql::sync_function(&function, table, &sync));
        expand.extend(sql::create_trigger(table, &function));
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::Transaction,
            object: table.to_string(),
            description: format!("shadow column(s) on {table} and a trigger that fills them on every insert and update"),
            locks: format!("ACCESS EXCLUSIVE on {table} for catalog changes only (ADD COLUMN without default, CREATE TRIGGER), bounded by lock_timeout"),
            statements: expand,
        });
        let [first, next] = sql::backfill_batches(table, &key, &sets, online.batch_size);
        let key_names: Vec<&str> = key.iter().map(|(k, _)| k.as_str()).collect();
        let key = key_names.join(", ");
        backfill.push(OnlineStep {
            phase: Phase::Backfill,
            kind: OnlineStepKind::Backfill {
                table: table.to_string(),
                schema: table.schema.clone(),
                name: table.name.clone(),
            },
            object: table.to_string(),
            description: format!("fill the shadow column(s) of {table} in batches of {} rows in {} order, each batch its own transaction", online.batch_size, key),
            locks: format!("ROW EXCLUSIVE on {table} and the row locks of one batch"),
            statements: vec![first, next],
        });
        // The switch.
        let mut sw = vec![sql::lock_table(table)];
        for s in &prepare {
            if s.object.starts_with(&format!("{table}.")) && s.statements[0].starts_with("DO ") {
                sw.push(s.statements[0].clone());
            }
        }
        sw.push(sql::drop_trigger(table));
        for (o, c) in pairs {
            let shadow = format!("_sd_new_{}", c.name);
            let oldname = format!("_sd_old_{}", c.name);
            if o.default.is_some() {
                sw.push(sql::alter_column(table, &c.name, "DROP DEFAULT"));
            }
            if !o.nullable {
                sw.push(sql::alter_column(table, &c.name, "DROP NOT NULL"));
            }
            sw.push(sql::rename_column(table, &c.name, &oldname));
            sw.push(sql::rename_column(table, &shadow, &c.name));
            if let Some(d) = c
                .default
                .as_ref()
                .and_then(|d| crate::sqltext::default_sql(d, &c.ty))
            {
                sw.push(sql::alter_column(
                    table,
                    &c.name,
                    &format!("SET DEFAULT {d}"),
                ));
            }
            if !c.nullable {
                sw.push(sql::alter_column(table, &c.name, "SET NOT NULL"));
                sw.push(sql::drop_constraint(table, &format!("_sd_nn_{}", c.name)));
            }
        }
        for (k, (t, i, old)) in late_indexes
            .iter()
            .enumerate()
            .filter(|(_, (t, _, _))| t == table)
            .map(|(k, x)| (k, (&x.0, &x.1, &x.2)))
        {
            let tmp = format!("_sd_new_idx_{}", k + 1);
            if let Some(old) = old {
                sw.push(sql::rename_index(
                    &t.schema,
                    old,
                    &format!("_sd_old_idx_{}", k + 1),
                ));
            }
            sw.push(sql::rename_index(&t.schema, &tmp, &i.name));
            let mut shadow_index = i.clone();
            shadow_index.name = tmp.clone();
            for c in shadow_index.columns.iter_mut() {
                if pairs.iter().any(|(_, p)| p.name == c.name) {
                    c.name = format!("_sd_new_{}", c.name);
                }
            }
            prepare.push(OnlineStep {
                phase: Phase::Backfill,
                kind: OnlineStepKind::ConcurrentIndex { schema: t.schema.clone(), name: tmp.clone() },
                object: format!("{t} {}", i.name),
                description: format!("index {} built CONCURRENTLY over the new column(s) under a temporary name (renamed at the switch)", i.name),
                locks: format!("SHARE UPDATE EXCLUSIVE on {t}: reads and writes go on"),
                statements: vec![sql::concurrently(&create_index(t, &shadow_index))],
            });
        }
        switch.push(OnlineStep {
            phase: Phase::Switch,
            kind: OnlineStepKind::Transaction,
            object: table.to_string(),
            description: format!("swap the column(s) of {table} in one short transaction"),
            locks: format!("ACCESS EXCLUSIVE on {table} for catalog changes only (no scan: NOT NULL comes from the validated check), bounded by lock_timeout"),
            statements: sw,
        });
        if !online.keep_old_columns {
            let mut c = Vec::new();
            for (_, col) in pairs {
                c.push(sql::drop_column(table, &format!("_sd_old_{}", col.name)));
            }
            contract.push(OnlineStep {
                phase: Phase::Contract,
                kind: OnlineStepKind::Transaction,
                object: table.to_string(),
                description: format!(
                    "drop the old column(s) of {table} (their indexes go with them)"
                ),
                locks: format!(
                    "ACCESS EXCLUSIVE on {table} for a catalog change only, bounded by lock_timeout"
                ),
                statements: c,
            });
        }
    }
    for (t, i) in &new_indexes {
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::ConcurrentIndex {
                schema: t.schema.clone(),
                name: i.name.clone(),
            },
            object: format!("{t} {}", i.name),
            description: format!("new index {} on {t}, built CONCURRENTLY", i.name),
            locks: format!("SHARE UPDATE EXCLUSIVE on {t}: reads and writes go on"),
            statements: vec![sql::concurrently(&create_index(t, i))],
        });
    }
    for (t, k) in &new_keys {
        let add = format!("{} NOT VALID", add_foreign_key(t, k));
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::Transaction,
            object: format!("{t} {}", k.name),
            description: format!("foreign key {} on {t} added NOT VALID (no scan)", k.name),
            locks: format!("SHARE ROW EXCLUSIVE on {t} and {} for a catalog change only, bounded by lock_timeout", k.referenced_table),
            statements: vec![sql::drop_constraint(t, &k.name), add],
        });
        steps.push(OnlineStep {
            phase: Phase::Expand,
            kind: OnlineStepKind::Transaction,
            object: format!("{t} {}", k.name),
            description: format!(
                "validate foreign key {} (a scan that blocks no writer)",
                k.name
            ),
            locks: format!(
                "SHARE UPDATE EXCLUSIVE on {t}, ROW SHARE on {}",
                k.referenced_table
            ),
            statements: vec![sql::validate(t, &k.name)],
        });
    }
    steps.extend(backfill);
    steps.extend(prepare);
    steps.extend(switch);
    steps.extend(contract);
    if !steps.is_empty() {
        steps.push(OnlineStep {
            phase: Phase::Contract,
            kind: OnlineStepKind::Transaction,
            object: STATE_SCHEMA.into(),
            description: "drop online mode's state schema (progress, trigger functions, helper)"
                .into(),
            locks: "none on your tables".into(),
            statements: vec![sql::drop_state()],
        });
    }
    Ok(OnlinePlan {
        offline,
        columns,
        steps,
        batch_size: online.batch_size,
    })
}

/// The key the backfill walks: the primary key (one column or several), else the unique
/// index over the fewest columns, all of them `NOT NULL` columns of the table. A key of
/// several columns is walked with row-value comparison in its column order.
fn key_of(t: &Table) -> Option<Vec<(String, ColumnType)>> {
    if let Some(pk) = &t.primary_key
        && !pk.columns.is_empty()
    {
        return pk
            .columns
            .iter()
            .map(|c| t.column(c).map(|col| (c.clone(), col.ty.clone())))
            .collect();
    }
    t.indexes
        .iter()
        .filter(|i| i.unique && !i.columns.is_empty())
        .filter_map(|i| {
            i.columns
                .iter()
                .map(|c| {
                    t.column(&c.name)
                        .filter(|col| !col.nullable)
                        .map(|col| (c.name.clone(), col.ty.clone()))
                })
                .collect::<Option<Vec<_>>>()
        })
        .min_by_key(Vec::len)
}

fn is_json(t: &ColumnType) -> bool {
    matches!(t, ColumnType::Json | ColumnType::Jsonb)
}

fn needs_helper(o: &Column, n: &Column, options: &PlanOptions) -> bool {
    o.ty.is_textual() && is_json(&n.ty) && options.pg_version < 16
}

/// The conversion of the old column (an expression over its quoted name), whether it can give
/// NULL for a value (an unmapped value), and the target's name for messages.
fn conversion(
    table: &QualifiedName,
    o: &Column,
    n: &Column,
    full: &Plan,
    mapping: &Mapping,
    options: &PlanOptions,
) -> (String, bool, String) {
    let src = quote_ident(&o.name);
    let key = (table.clone(), n.name.clone());
    let fill = if n.nullable {
        None
    } else {
        mapping
            .fills
            .get(&key)
            .cloned()
            .or_else(|| match &n.default {
                Some(DefaultValue::String(s) | DefaultValue::EnumValue(s)) => Some(s.clone()),
                _ => None,
            })
    };
    if let Some(vm) = full
        .mappings
        .iter()
        .find(|m| m.table == *table && m.column == n.name)
    {
        let cast = EnumCast {
            mapping: vm.clone(),
            null_value: fill,
        };
        let target = qname(&vm.enum_name);
        return (
            format!("({})::{target}", cast.case_sql(&src, None)),
            true,
            format!("enum {}", vm.enum_name),
        );
    }
    let target = sql_type(&n.ty);
    let base = if o.ty.is_textual() && is_json(&n.ty) {
        if mapping.json_is_strict(&key) {
            format!("{src}::jsonb")
        } else if options.pg_version >= 16 {
            lenient_jsonb_sql(&src)
        } else {
            format!("{ONLINE_JSON_HELPER}({src})")
        }
    } else {
        plain_using(&o.name, &o.ty, &n.ty)
    };
    let expr = format!("({base})::{target}");
    match fill {
        Some(f) => (
            format!("COALESCE({expr}, {}::{target})", quote_literal(&f)),
            false,
            target,
        ),
        None => (expr, false, target),
    }
}

/// Where a statement shows the text that marks a deliberate lint exception.
enum Part {
    Contains(&'static str),
    EndsWith(&'static str),
}

/// The `ALTER TABLE` statements of the technique and the lint rule each breaks on purpose.
const ALTER_TABLE_EXCEPTIONS: &[(Part, &str)] = &[
    (Part::Contains(" RENAME COLUMN "), "renaming-column"),
    (
        Part::Contains(" DROP COLUMN IF EXISTS \"_sd_old_"),
        "ban-drop-column",
    ),
    (
        Part::Contains(" DROP CONSTRAINT IF EXISTS \"_sd_nn_"),
        "ban-drop-constraint",
    ),
    (Part::EndsWith(" SET NOT NULL"), "adding-not-nullable-field"),
    (Part::EndsWith(" DROP NOT NULL"), "ban-drop-not-null"),
    (Part::EndsWith(" DROP DEFAULT"), "ban-drop-default"),
];

/// The lint rules (squawk's names) a statement of the online technique breaks on purpose, with
/// the reason in docs/online.md: the swap renames columns and indexes, the switch moves the
/// old column's default and NOT NULL away before renaming it, `SET NOT NULL` follows a
/// validated `CHECK` (so it does not scan, which a linter cannot see), and the contract drops
/// the old columns, the temporary checks and the state schema. Empty for every other
/// statement, including the offline part's.
pub fn deliberate_lint_exceptions(sql: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if sql.starts_with("ALTER TABLE ") {
        for (part, rule) in ALTER_TABLE_EXCEPTIONS {
            let hit = match part {
                Part::Contains(t) => sql.contains(t),
                Part::EndsWith(t) => sql.ends_with(t),
            };
            if hit {
                out.push(*rule);
            }
        }
    } else if sql.starts_with("ALTER INDEX ") && sql.contains(" RENAME TO ") {
        out.push("renaming-object");
    } else if sql == sql::drop_state() {
        out.push("ban-drop-schema");
    }
    out
}

/// `CREATE [UNIQUE] INDEX …` of the offline plan, as text (made concurrent by
/// [`sql::concurrently`]).
fn create_index(table: &QualifiedName, index: &schemadiff_model::Index) -> String {
    CreateIndex {
        table: table.clone(),
        index: index.clone(),
    }
    .to_string()
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …` of the offline plan, as text.
fn add_foreign_key(table: &QualifiedName, key: &schemadiff_model::ForeignKey) -> String {
    AlterTable::one(
        table,
        AlterTableClause::AddConstraint {
            name: key.name.clone(),
            constraint: Constraint::ForeignKey(key.clone()),
        },
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemadiff_model::{Column, PrimaryKey, Table};

    fn col(name: &str, ty: ColumnType, nullable: bool) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable,
            default: None,
        }
    }

    fn pair(with_key: bool) -> (Schema, Schema) {
        let name = QualifiedName::public("T");
        let mut t = Table::new(name.clone());
        t.columns = vec![
            col("id", ColumnType::Text, false),
            col("data", ColumnType::Text, true),
        ];
        if with_key {
            t.primary_key = Some(PrimaryKey {
                name: "T_pkey".into(),
                columns: vec!["id".into()],
            });
        }
        let mut from = Schema::empty();
        from.add_table(t.clone());
        let mut to = Schema::empty();
        t.columns[1].ty = ColumnType::Jsonb;
        to.add_table(t);
        (from, to)
    }

    /// The online plan with no mapping and default options.
    fn plan_default(from: &Schema, to: &Schema) -> Result<OnlinePlan, OnlineError> {
        plan_online(
            from,
            to,
            &Mapping::empty(),
            &PlanOptions::default(),
            &OnlineOptions::default(),
        )
    }

    #[test]
    fn a_table_without_a_key_is_refused_with_its_name() {
        let (from, to) = pair(false);
        let err = plan_default(&from, &to).expect_err("refused");
        assert!(matches!(&err, OnlineError::NoKey(t) if t.name == "T"));
        assert!(
            err.to_string()
                .contains("table T has no primary key and no unique index")
        );
    }

    /// `T (k1, k2, data)` with the primary key `(k1, k2)`; `data` (or `k2`) changes type.
    fn composite(change_key: bool) -> (Schema, Schema) {
        let mut t = Table::new(QualifiedName::public("T"));
        t.columns = vec![
            col("k1", ColumnType::Text, false),
            col("k2", ColumnType::Integer, false),
            col("data", ColumnType::Text, true),
        ];
        t.primary_key = Some(PrimaryKey {
            name: "T_pkey".into(),
            columns: vec!["k1".into(), "k2".into()],
        });
        let mut from = Schema::empty();
        from.add_table(t.clone());
        if change_key {
            t.columns[1].ty = ColumnType::BigInt;
        } else {
            t.columns[2].ty = ColumnType::Jsonb;
        }
        let mut to = Schema::empty();
        to.add_table(t);
        (from, to)
    }

    #[test]
    fn a_composite_key_is_walked_by_row_value_and_stored_as_a_text_array() {
        let (from, to) = composite(false);
        let p = plan_default(&from, &to).expect("plan");
        let fill = p
            .steps
            .iter()
            .find(|s| matches!(s.kind, OnlineStepKind::Backfill { .. }))
            .expect("a backfill step");
        let [first, next] = [&fill.statements[0], &fill.statements[1]];
        assert!(
            first.contains("ORDER BY \"k1\", \"k2\" LIMIT 100"),
            "{first}"
        );
        assert!(
            first.contains("SELECT ARRAY[\"k1\"::text, \"k2\"::text]::text FROM u ORDER BY \"k1\" DESC, \"k2\" DESC LIMIT 1"),
            "{first}"
        );
        assert!(
            next.contains("WHERE (\"k1\", \"k2\") > (SELECT (\"last_key\"::text[])[1]::TEXT, (\"last_key\"::text[])[2]::INTEGER FROM"),
            "{next}"
        );
        assert!(
            fill.description.contains("in k1, k2 order"),
            "{}",
            fill.description
        );
    }

    #[test]
    fn a_composite_key_column_that_changes_type_is_refused() {
        let (from, to) = composite(true);
        let err = plan_default(&from, &to).expect_err("refused");
        assert!(
            matches!(&err, OnlineError::KeyColumn(t, c) if t.name == "T" && c == "k2"),
            "{err}"
        );
    }

    #[test]
    fn a_type_change_runs_in_four_phases_with_a_shadow_column() {
        let (from, to) = pair(true);
        let p = plan_default(&from, &to).expect("plan");
        assert!(
            p.offline.steps.is_empty(),
            "nothing left to the offline plan"
        );
        assert_eq!(p.columns.len(), 1);
        assert_eq!(p.columns[0].shadow, "_sd_new_data");
        let phases: Vec<Phase> = p.steps.iter().map(|s| s.phase).collect();
        let mut sorted = phases.clone();
        sorted.sort();
        assert_eq!(phases, sorted, "steps in phase order");
        for ph in Phase::ALL {
            assert!(phases.contains(&ph), "{ph:?} present");
        }
        let all: Vec<&str> = p
            .steps
            .iter()
            .flat_map(|s| s.statements.iter().map(String::as_str))
            .collect();
        assert!(
            all.iter()
                .any(|s| s.contains("ADD COLUMN IF NOT EXISTS \"_sd_new_data\" JSONB"))
        );
        assert!(
            all.iter()
                .any(|s| s.contains("\"schemadiff\".\"text_to_jsonb\"(\"data\")"))
        );
        assert!(all.iter().any(|s| s.starts_with("CREATE TRIGGER")));
        assert!(
            all.iter()
                .any(|s| s.contains("RENAME COLUMN \"_sd_new_data\" TO \"data\""))
        );
        assert!(
            all.iter()
                .any(|s| s.contains("DROP COLUMN IF EXISTS \"_sd_old_data\""))
        );
        // PostgreSQL 16 parses without the helper function.
        let p16 = plan_online(
            &from,
            &to,
            &Mapping::empty(),
            &PlanOptions::for_version(16).expect("16"),
            &OnlineOptions {
                batch_size: 10,
                keep_old_columns: true,
            },
        )
        .expect("plan");
        let all: Vec<&str> = p16
            .steps
            .iter()
            .flat_map(|s| s.statements.iter().map(String::as_str))
            .collect();
        assert!(all.iter().any(|s| s.contains("pg_input_is_valid")));
        assert!(!all.iter().any(|s| s.contains("text_to_jsonb")));
        assert!(
            !all.iter().any(|s| s.contains("DROP COLUMN")),
            "old column kept"
        );
        assert!(all.iter().any(|s| s.contains("LIMIT 10")));
    }
}
