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
use schemadiff_model::{
    Column, ColumnType, DefaultValue, ForeignKey, Index, QualifiedName, Schema, Table,
};
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

/// A column that keeps its type and becomes `NOT NULL`, made so online: its NULLs filled in
/// key-ordered batches (when a `[fill]` value or a new default says with what), then `NOT NULL`
/// through a `CHECK (… IS NOT NULL)` added `NOT VALID` and validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlineNotNull {
    /// The table.
    pub table: QualifiedName,
    /// The column (its name in `to`).
    pub column: String,
    /// What its NULLs become, as SQL (`'VALUE'::TYPE`); `None`: nothing does, and the apply
    /// stops before the switch if the column holds NULLs.
    pub fill: Option<String>,
}

/// The online plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlinePlan {
    /// The offline plan of the intermediate schema (run in the expand phase); its hazards and
    /// warnings are the online plan's.
    pub offline: Plan,
    /// The columns that change type online.
    pub columns: Vec<OnlineColumn>,
    /// The columns that keep their type and become `NOT NULL` online.
    pub not_null: Vec<OnlineNotNull>,
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
    /// A column of the key the backfill walks (the primary key, else a unique key) changes
    /// type.
    #[error(
        "column {0}.{1} belongs to the key that online mode backfills by (the primary key, else a unique key over NOT NULL columns), and its type changes: the backfill walks that key while both columns exist, and the swap would have to rebuild the key (and every foreign key that references it) over the new column, which online mode does not do; plan it without --online (a table rewrite under ACCESS EXCLUSIVE), or change the key's type in its own offline migration first"
    )]
    KeyColumn(QualifiedName, String),
    /// A `[fill]` SQL expression for a column changed online (its type, or to `NOT NULL`): the
    /// sync trigger fills one column at a time and cannot evaluate an expression over the row.
    #[error(
        "column {0}.{1} is changed online and its [fill] is a SQL expression ({2}): online mode fills NULLs with a value only; give the fill as a value, or plan it without --online"
    )]
    FillExpression(QualifiedName, String, String),
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
    let c = collect(from, to, mapping)?;
    let mut offline = plan_with(from, &c.mid, &c.mid_mapping, options)?;
    let mut steps = offline_steps(&offline);
    steps.extend(state_step(&c.tables, options));
    let ctx = TableContext {
        full: &full,
        mapping,
        options,
        online,
        late_indexes: &c.late_indexes,
    };
    let mut later = Later::default();
    let mut columns = Vec::new();
    let mut not_null = Vec::new();
    for (n, table) in c.tables.iter().enumerate() {
        steps.extend(ctx.table_steps(n, table, &mut columns, &mut later));
        for nn in &table.not_null {
            if nn.fill.is_none() {
                offline.warnings.push(format!(
                    "{}.{} becomes NOT NULL with no default and no [fill] value: apply --online stops before its switch, changing nothing of it, if it holds NULLs (give them a value with {}, or update those rows first)",
                    nn.table,
                    nn.column,
                    crate::alter::fill_hint(&nn.table, &nn.column)
                ));
            }
            not_null.push(nn.clone());
        }
    }
    steps.extend(new_index_steps(&c.new_indexes));
    steps.extend(new_key_steps(&c.new_keys));
    steps.extend(later.backfill);
    steps.extend(later.prepare);
    steps.extend(later.switch);
    steps.extend(later.contract);
    if !online.keep_old_columns && !c.kept_enums.is_empty() {
        steps.push(OnlineStep::transaction(
            Phase::Contract,
            "enums",
            "drop the enum(s) that only the old columns used",
            "ACCESS EXCLUSIVE on the type(s) only, none on your tables",
            c.kept_enums.iter().map(sql::drop_type).collect(),
        ));
    }
    if !steps.is_empty() {
        steps.push(OnlineStep::transaction(
            Phase::Contract,
            STATE_SCHEMA,
            "drop online mode's state schema (progress, trigger functions, helper)",
            "none on your tables",
            vec![sql::drop_state()],
        ));
    }
    Ok(OnlinePlan {
        offline,
        columns,
        not_null,
        steps,
        batch_size: online.batch_size,
    })
}

impl OnlineStep {
    /// A step that runs its statements in one transaction.
    pub fn transaction(
        phase: Phase,
        object: impl Into<String>,
        description: impl Into<String>,
        locks: impl Into<String>,
        statements: Vec<String>,
    ) -> Self {
        OnlineStep {
            phase,
            kind: OnlineStepKind::Transaction,
            object: object.into(),
            description: description.into(),
            locks: locks.into(),
            statements,
        }
    }

    /// A `CREATE INDEX CONCURRENTLY` of `index` (the name it is built under) on `table`.
    pub fn concurrent_index(
        phase: Phase,
        table: &QualifiedName,
        index: &str,
        object: impl Into<String>,
        description: impl Into<String>,
        create: String,
    ) -> Self {
        OnlineStep {
            phase,
            kind: OnlineStepKind::ConcurrentIndex {
                schema: table.schema.clone(),
                name: index.to_string(),
            },
            object: object.into(),
            description: description.into(),
            locks: format!("SHARE UPDATE EXCLUSIVE on {table}: reads and writes go on"),
            statements: vec![create],
        }
    }

    /// The batches of `table`'s backfill: the first one and the next ones
    /// ([`sql::backfill_batches`]), and, when every row is updated, the read-back of the
    /// batches done between two keys ([`sql::backfill_read_back`]).
    pub fn backfill(
        table: &QualifiedName,
        description: impl Into<String>,
        batches: [String; 2],
        read_back: Option<String>,
    ) -> Self {
        let [first, next] = batches;
        let mut statements = vec![first, next];
        statements.extend(read_back);
        OnlineStep {
            phase: Phase::Backfill,
            kind: OnlineStepKind::Backfill {
                table: table.to_string(),
                schema: table.schema.clone(),
                name: table.name.clone(),
            },
            object: table.to_string(),
            description: description.into(),
            locks: format!("ROW EXCLUSIVE on {table} and the row locks of one batch"),
            statements,
        }
    }
}

/// An index over an online column: the table, the index in `to`, and the name of the old
/// index it replaces (if any).
type LateIndex = (QualifiedName, Index, Option<String>);

/// A table with columns changed online.
struct OnlineTable {
    name: QualifiedName,
    /// Its columns that change type: (old, new).
    pairs: Vec<(Column, Column)>,
    /// Its columns that keep their type and become `NOT NULL`.
    not_null: Vec<OnlineNotNull>,
    /// The key the backfill walks (its columns and types), when something is backfilled:
    /// a column changes type or a column's NULLs are filled.
    key: Option<Vec<(String, ColumnType)>>,
}

impl OnlineTable {
    /// The columns whose NULLs the trigger and the backfill fill in place: (column, value).
    fn fills(&self) -> Vec<(String, String)> {
        self.not_null
            .iter()
            .filter_map(|n| n.fill.clone().map(|f| (n.column.clone(), f)))
            .collect()
    }
}

/// What the online planner takes out of the offline plan.
struct Collected {
    /// The intermediate schema: `to` with the online columns of their old type and without the
    /// indexes and keys below.
    mid: Schema,
    /// The mapping without the values and fills of the online columns.
    mid_mapping: Mapping,
    /// The tables with columns changed online, in `to`'s order.
    tables: Vec<OnlineTable>,
    /// Indexes over online columns, built over the shadows and renamed at the switch.
    late_indexes: Vec<LateIndex>,
    /// New or changed indexes over other columns, built concurrently in the expand phase.
    new_indexes: Vec<(QualifiedName, Index)>,
    /// New foreign keys, added `NOT VALID` then validated.
    new_keys: Vec<(QualifiedName, ForeignKey)>,
    /// Enums the target drops that the old type of an online column uses: kept in the
    /// intermediate schema, dropped after the old columns.
    kept_enums: Vec<QualifiedName>,
}

/// Takes the online changes out of `to`, table by table (see [`Collected`]).
fn collect(from: &Schema, to: &Schema, mapping: &Mapping) -> Result<Collected, OnlineError> {
    let renamed = schemadiff_diff::renamed(from, to, &mapping.renames);
    let mut c = Collected {
        mid: to.clone(),
        mid_mapping: mapping.clone(),
        tables: Vec::new(),
        late_indexes: Vec::new(),
        new_indexes: Vec::new(),
        new_keys: Vec::new(),
        kept_enums: Vec::new(),
    };
    for (name, t) in &to.tables {
        let Some(old) = renamed.tables.get(name) else {
            continue;
        };
        let pairs = type_changes(name, t, old)?;
        let not_null = not_null_changes(name, t, old, mapping)?;
        let online: Vec<String> = pairs.iter().map(|(_, n)| n.name.clone()).collect();
        let changed = online.iter().chain(not_null.iter().map(|n| &n.column));
        for col in changed {
            let key = (name.clone(), col.clone());
            if let Some(expr) = mapping
                .fills
                .get(&key)
                .filter(|_| mapping.fill_exprs.contains(&key))
            {
                return Err(OnlineError::FillExpression(
                    name.clone(),
                    col.clone(),
                    expr.clone(),
                ));
            }
            c.mid_mapping.values.remove(&key);
            c.mid_mapping.fills.remove(&key);
        }
        let indexes = split_indexes(name, t, old, &online, &mut c);
        let keys = split_keys(name, t, old, &mut c.new_keys);
        let mt = c.mid.tables.get_mut(name).expect("table of to");
        for col in mt.columns.iter_mut() {
            if let Some((o, _)) = pairs.iter().find(|(_, n)| n.name == col.name) {
                *col = o.clone();
            } else if not_null.iter().any(|n| n.column == col.name) {
                // NOT NULL comes at the switch, through the validated check.
                col.nullable = true;
            }
        }
        mt.indexes = indexes;
        mt.foreign_keys = keys;
        if pairs.is_empty() && not_null.is_empty() {
            continue;
        }
        // The key as the database has it until the switch: a column that becomes NOT NULL
        // online is no key column yet.
        let key = if pairs.is_empty() && not_null.iter().all(|n| n.fill.is_none()) {
            None
        } else {
            let Some(key) = key_of(mt) else {
                return Err(OnlineError::NoKey(name.clone()));
            };
            if let Some((k, _)) = key
                .iter()
                .find(|(k, _)| pairs.iter().any(|(_, n)| n.name == *k))
            {
                return Err(OnlineError::KeyColumn(name.clone(), k.clone()));
            }
            Some(key)
        };
        c.tables.push(OnlineTable {
            name: name.clone(),
            pairs,
            not_null,
            key,
        });
    }
    for t in &c.tables {
        for (o, _) in &t.pairs {
            if let Some(e) = o.ty.enum_name()
                && !c.mid.enums.contains_key(e)
                && let Some(def) = from.enums.get(e)
            {
                c.mid.add_enum(def.clone());
                c.kept_enums.push(e.clone());
            }
        }
    }
    Ok(c)
}

/// The columns of `t` whose type changes (old, new), their names checked short enough.
fn type_changes(
    name: &QualifiedName,
    t: &Table,
    old: &Table,
) -> Result<Vec<(Column, Column)>, OnlineError> {
    let mut pairs = Vec::new();
    for c in &t.columns {
        let Some(o) = old.column(&c.name).filter(|o| o.ty != c.ty) else {
            continue;
        };
        if c.name.len() > MAX_NAME {
            return Err(OnlineError::NameTooLong(name.clone(), c.name.clone()));
        }
        pairs.push((o.clone(), c.clone()));
    }
    Ok(pairs)
}

/// The columns of `t` that keep their type and become `NOT NULL`, with what their NULLs
/// become: the `[fill]` value, else the new default when it is a string or an enum value (as
/// the offline plan fills them).
fn not_null_changes(
    name: &QualifiedName,
    t: &Table,
    old: &Table,
    mapping: &Mapping,
) -> Result<Vec<OnlineNotNull>, OnlineError> {
    let mut out = Vec::new();
    for c in &t.columns {
        if c.nullable
            || old
                .column(&c.name)
                .is_none_or(|o| o.ty != c.ty || !o.nullable)
        {
            continue;
        }
        if c.name.len() > MAX_NAME {
            return Err(OnlineError::NameTooLong(name.clone(), c.name.clone()));
        }
        let value = mapping
            .fills
            .get(&(name.clone(), c.name.clone()))
            .cloned()
            .or_else(|| match &c.default {
                Some(DefaultValue::String(s) | DefaultValue::EnumValue(s)) => Some(s.clone()),
                _ => None,
            });
        out.push(OnlineNotNull {
            table: name.clone(),
            column: c.name.clone(),
            fill: value.map(|v| format!("{}::{}", quote_literal(&v), sql_type(&c.ty))),
        });
    }
    Ok(out)
}

/// The indexes the intermediate table keeps; the others go to `c.late_indexes` (over an online
/// column) or `c.new_indexes` (new or changed).
fn split_indexes(
    name: &QualifiedName,
    t: &Table,
    old: &Table,
    online: &[String],
    c: &mut Collected,
) -> Vec<Index> {
    let touches = |cs: &[&str]| cs.iter().any(|c| online.iter().any(|o| o == c));
    let mut indexes = Vec::new();
    for i in &t.indexes {
        if touches(&i.column_names()) {
            let replaced = old.index(&i.name).map(|x| x.name.clone());
            c.late_indexes.push((name.clone(), i.clone(), replaced));
        } else if old.index(&i.name) == Some(i) {
            indexes.push(i.clone());
        } else {
            c.new_indexes.push((name.clone(), i.clone()));
        }
    }
    for i in &old.indexes {
        if touches(&i.column_names()) && t.index(&i.name).is_some() {
            indexes.push(i.clone());
        }
    }
    indexes
}

/// The foreign keys the intermediate table keeps; new or changed ones go to `new_keys`.
fn split_keys(
    name: &QualifiedName,
    t: &Table,
    old: &Table,
    new_keys: &mut Vec<(QualifiedName, ForeignKey)>,
) -> Vec<ForeignKey> {
    let mut keys = Vec::new();
    for k in &t.foreign_keys {
        if old.foreign_key(&k.name) == Some(k) {
            keys.push(k.clone());
        } else {
            new_keys.push((name.clone(), k.clone()));
        }
    }
    keys
}

/// The offline plan's batches as expand steps. A batch that holds a step scanning or rewriting
/// existing rows under its lock (a `SET NOT NULL` on a column that keeps its type, a fill over
/// every row, a rewrite) says so in its lock line, naming those steps.
fn offline_steps(offline: &Plan) -> Vec<OnlineStep> {
    offline
        .batches()
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let scans: Vec<&str> = offline
                .steps
                .iter()
                .filter(|st| st.batch == i && scans_rows(offline, st))
                .map(|st| st.description.as_str())
                .collect();
            let locks = if scans.is_empty() {
                "each statement's own lock (ACCESS EXCLUSIVE for ALTER TABLE), held only for catalog changes: no rewrite, no scan of existing rows".to_string()
            } else {
                format!(
                    "each statement's own lock (ACCESS EXCLUSIVE for ALTER TABLE); NOT online: {} scan(s) or rewrite(s) existing rows under that lock, for as long as the table takes (docs/online.md, Limits)",
                    scans.join("; ")
                )
            };
            OnlineStep::transaction(
                Phase::Expand,
                format!("offline batch {}", i + 1),
                "the changes that need no long lock, as the offline plan makes them",
                locks,
                b.statements.into_iter().map(|s| s.sql).collect(),
            )
        })
        .collect()
}

/// True when `step` reads or rewrites the existing rows of its table under its lock.
fn scans_rows(plan: &Plan, step: &crate::Step) -> bool {
    const SCANNING: [&str; 4] = [
        "table-rewrite",
        "set-not-null-on-existing-data",
        "add-unique-on-existing-data",
        "narrowing-cast",
    ];
    step.hazards
        .iter()
        .any(|&h| SCANNING.contains(&plan.hazards[h].code))
        || step
            .statements
            .iter()
            .any(|s| s.sql.starts_with("UPDATE ") || s.sql.contains(" SET NOT NULL"))
}

/// The state schema (and the JSON helper when a conversion needs it), when a column changes.
fn state_step(tables: &[OnlineTable], options: &PlanOptions) -> Option<OnlineStep> {
    if tables.is_empty() {
        return None;
    }
    let mut st = sql::create_state();
    if tables
        .iter()
        .any(|t| t.pairs.iter().any(|(o, n)| needs_helper(o, n, options)))
    {
        st.push(sql::json_helper(
            &json_helper().to_string(),
            JSON_HELPER_NAME,
        ));
    }
    Some(OnlineStep::transaction(
        Phase::Expand,
        STATE_SCHEMA,
        "the state of online mode: backfill progress and unmapped values (dropped in the contract phase)",
        "none on your tables",
        st,
    ))
}

/// `CREATE INDEX CONCURRENTLY` of each new index on an existing table.
fn new_index_steps(new_indexes: &[(QualifiedName, Index)]) -> Vec<OnlineStep> {
    new_indexes
        .iter()
        .map(|(t, i)| {
            OnlineStep::concurrent_index(
                Phase::Expand,
                t,
                &i.name,
                format!("{t} {}", i.name),
                format!("new index {} on {t}, built CONCURRENTLY", i.name),
                sql::concurrently(&create_index(t, i)),
            )
        })
        .collect()
}

/// Each new foreign key added `NOT VALID`, then validated.
fn new_key_steps(new_keys: &[(QualifiedName, ForeignKey)]) -> Vec<OnlineStep> {
    let mut steps = Vec::new();
    for (t, k) in new_keys {
        let object = format!("{t} {}", k.name);
        steps.push(OnlineStep::transaction(
            Phase::Expand,
            object.clone(),
            format!("foreign key {} on {t} added NOT VALID (no scan)", k.name),
            format!(
                "SHARE ROW EXCLUSIVE on {t} and {} for a catalog change only, bounded by lock_timeout",
                k.referenced_table
            ),
            vec![
                sql::drop_constraint(t, &k.name),
                format!("{} NOT VALID", add_foreign_key(t, k)),
            ],
        ));
        steps.push(OnlineStep::transaction(
            Phase::Expand,
            object,
            format!(
                "validate foreign key {} (a scan that blocks no writer)",
                k.name
            ),
            format!(
                "SHARE UPDATE EXCLUSIVE on {t}, ROW SHARE on {}",
                k.referenced_table
            ),
            vec![sql::validate(t, &k.name)],
        ));
    }
    steps
}

/// The steps of the later phases, gathered table by table.
#[derive(Default)]
struct Later {
    backfill: Vec<OnlineStep>,
    prepare: Vec<OnlineStep>,
    switch: Vec<OnlineStep>,
    contract: Vec<OnlineStep>,
}

/// What every table's steps are made from.
struct TableContext<'a> {
    full: &'a Plan,
    mapping: &'a Mapping,
    options: &'a PlanOptions,
    online: &'a OnlineOptions,
    late_indexes: &'a [LateIndex],
}

/// One online column's conversion, as the trigger, the backfill and the checks use it.
struct Converted {
    sync: sql::SyncColumn,
    target: String,
}

impl TableContext<'_> {
    /// The expand step of table number `n` (shadow columns, trigger), when it has one; its
    /// later steps go to `later`, its columns to `columns`.
    fn table_steps(
        &self,
        n: usize,
        t: &OnlineTable,
        columns: &mut Vec<OnlineColumn>,
        later: &mut Later,
    ) -> Option<OnlineStep> {
        let table = &t.name;
        let function = QualifiedName::new(STATE_SCHEMA, format!("sync_{}", n + 1));
        let mut expand = Vec::new();
        let mut converted = Vec::new();
        for (o, c) in &t.pairs {
            let (conversion, can_be_unmapped, target) =
                conversion(table, o, c, self.full, self.mapping, self.options);
            let shadow = shadow_name(&c.name);
            expand.push(sql::add_shadow(table, &shadow, &c.ty));
            columns.push(OnlineColumn {
                table: table.clone(),
                column: c.name.clone(),
                shadow: shadow.clone(),
                old: old_name(&c.name),
                change: format!("{} → {}", o.ty, c.ty),
            });
            let sync = sql::SyncColumn {
                column: c.name.clone(),
                shadow,
                conversion,
                can_be_unmapped,
            };
            converted.push(Converted { sync, target });
        }
        later
            .prepare
            .extend(check_steps(table, &t.pairs, &converted, &t.not_null));
        let fills = t.fills();
        let backfilled = t.key.is_some();
        if backfilled {
            expand.insert(0, sql::init_progress(table));
            let sync: Vec<sql::SyncColumn> = converted.iter().map(|c| c.sync.clone()).collect();
            expand.push(sql::sync_function(&function, table, &sync, &fills));
            expand.extend(sql::create_trigger(table, &function));
            later
                .backfill
                .push(self.backfill_step(t, &converted, &fills));
        }
        let mut sw = switch_statements(table, &t.pairs, &converted, backfilled);
        for nn in &t.not_null {
            sw.push(sql::alter_column(table, &nn.column, "SET NOT NULL"));
        }
        if t.pairs.iter().any(|(_, c)| !c.nullable) || !t.not_null.is_empty() {
            sw.push(sql::drop_constraint(table, NOT_NULL_CHECK));
        }
        for (k, (lt, i, old)) in self.late_indexes.iter().enumerate() {
            if lt == table {
                sw.extend(late_index_renames(lt, k, old.as_deref(), &i.name));
                later.prepare.push(late_index_step(lt, k, i, &t.pairs));
            }
        }
        later.switch.push(OnlineStep::transaction(
            Phase::Switch,
            table.to_string(),
            if t.pairs.is_empty() {
                format!("make the column(s) of {table} NOT NULL in one short transaction")
            } else {
                format!("swap the column(s) of {table} in one short transaction")
            },
            format!("ACCESS EXCLUSIVE on {table} for catalog changes only (no scan: NOT NULL comes from the validated check), bounded by lock_timeout"),
            sw,
        ));
        if !self.online.keep_old_columns && !t.pairs.is_empty() {
            later.contract.push(OnlineStep::transaction(
                Phase::Contract,
                table.to_string(),
                format!("drop the old column(s) of {table} (their indexes go with them)"),
                format!(
                    "ACCESS EXCLUSIVE on {table} for a catalog change only, bounded by lock_timeout"
                ),
                t.pairs
                    .iter()
                    .map(|(_, c)| sql::drop_column(table, &old_name(&c.name)))
                    .collect(),
            ));
        }
        if expand.is_empty() {
            return None;
        }
        Some(OnlineStep::transaction(
            Phase::Expand,
            table.to_string(),
            if t.pairs.is_empty() {
                format!(
                    "a trigger on {table} that gives the NULLs of the column(s) becoming NOT NULL their fill on every insert and update"
                )
            } else {
                format!(
                    "shadow column(s) on {table} and a trigger that fills them on every insert and update"
                )
            },
            format!(
                "ACCESS EXCLUSIVE on {table} for catalog changes only ({}), bounded by lock_timeout",
                if t.pairs.is_empty() {
                    "CREATE TRIGGER"
                } else {
                    "ADD COLUMN without default, CREATE TRIGGER"
                }
            ),
            expand,
        ))
    }

    /// The batches that set the shadow columns of `table`, and fill the NULLs of its columns
    /// becoming NOT NULL, in key order. With no shadow column, only the rows holding such a
    /// NULL are touched. The fill values are in the description: a re-run whose mapping file
    /// changes one after rows got it is refused rather than leaving two fills.
    fn backfill_step(
        &self,
        t: &OnlineTable,
        converted: &[Converted],
        fills: &[(String, String)],
    ) -> OnlineStep {
        let table = &t.name;
        let key = t.key.as_ref().expect("a backfilled table has a key");
        let mut sets: Vec<(String, String)> = converted
            .iter()
            .map(|c| (c.sync.shadow.clone(), c.sync.conversion.clone()))
            .collect();
        sets.extend(
            fills
                .iter()
                .map(|(c, v)| (c.clone(), format!("COALESCE({}, {v})", quote_ident(c)))),
        );
        let only = converted.is_empty().then(|| {
            fills
                .iter()
                .map(|(c, _)| format!("{} IS NULL", quote_ident(c)))
                .collect::<Vec<_>>()
                .join(" OR ")
        });
        let batches =
            sql::backfill_batches(table, key, &sets, only.as_deref(), self.online.batch_size);
        let key_names: Vec<&str> = key.iter().map(|(k, _)| k.as_str()).collect();
        let what = if converted.is_empty() {
            format!("fill the NULLs of {table}")
        } else {
            format!("fill the shadow column(s) of {table}")
        };
        let filled: Vec<String> = fills
            .iter()
            .map(|(c, v)| format!("; NULLs of {c} → {v}"))
            .collect();
        OnlineStep::backfill(
            table,
            format!(
                "{what} in batches of {} rows in {} order, each batch its own transaction{}",
                self.online.batch_size,
                key_names.join(", "),
                filled.concat()
            ),
            batches,
            // Batches that update only the rows holding a NULL can be far apart in the key
            // order: reading back every key between them could read the whole table for a few
            // rows. They are not read back.
            only.is_none().then(|| sql::backfill_read_back(table, key)),
        )
    }
}

/// The temporary name of a column's shadow (its new type, before the switch).
fn shadow_name(column: &str) -> String {
    format!("_sd_new_{column}")
}

/// The temporary name of a column's old version after the switch.
fn old_name(column: &str) -> String {
    format!("_sd_old_{column}")
}

/// The temporary check of a table's columns that end `NOT NULL`: one
/// `CHECK (a IS NOT NULL AND b IS NOT NULL …)` per table, so that one validation scan covers
/// them all (PostgreSQL's `SET NOT NULL` sees each column's part of it and does not scan).
const NOT_NULL_CHECK: &str = "_sd_not_null";

/// The backfill-phase checks of one table: per online column whose value can map to nothing,
/// the unmapped-value check; per column that keeps its type and becomes `NOT NULL`, a stop if
/// it still holds NULLs (none can be left when it has a fill: the backfill gave them the fill
/// and the trigger gives it to every NULL written since); then, when any column ends
/// `NOT NULL`, the table's one `CHECK` added `NOT VALID` and validated, the unmapped-value
/// checks repeated in the validation's transaction (a value written unmapped after the first
/// check and before the `ADD` stops there by name, not as a violated check).
fn check_steps(
    table: &QualifiedName,
    pairs: &[(Column, Column)],
    converted: &[Converted],
    not_null: &[OnlineNotNull],
) -> Vec<OnlineStep> {
    let mut steps = Vec::new();
    let mut again = Vec::new();
    let mut required: Vec<(&str, &str)> = Vec::new();
    for ((_, c), cv) in pairs.iter().zip(converted) {
        if cv.sync.can_be_unmapped {
            let check = sql::unmapped_check(table, &c.name, &cv.sync.shadow, &cv.target);
            steps.push(OnlineStep::transaction(
                Phase::Backfill,
                format!("{table}.{}", c.name),
                format!(
                    "stop when a value of {table}.{} maps to no value of {}, before anything is switched",
                    c.name, cv.target
                ),
                "none (reads)",
                vec![check.clone()],
            ));
            if !c.nullable {
                again.push(check);
            }
        }
        if !c.nullable {
            required.push((&c.name, &cv.sync.shadow));
        }
    }
    for nn in not_null {
        let column = &nn.column;
        steps.push(OnlineStep::transaction(
            Phase::Backfill,
            format!("{table}.{column}"),
            format!(
                "stop when {table}.{column} still holds NULLs, before anything of it is changed"
            ),
            "none (reads)",
            vec![sql::nulls_check(table, column)],
        ));
        required.push((column, column));
    }
    if required.is_empty() {
        return steps;
    }
    let names: Vec<&str> = required.iter().map(|(n, _)| *n).collect();
    let columns: Vec<&str> = required.iter().map(|(_, c)| *c).collect();
    let names = names.join(", ");
    steps.push(OnlineStep::transaction(
        Phase::Backfill,
        table.to_string(),
        format!("{table} ({names}) will be NOT NULL: one CHECK added NOT VALID (no scan)"),
        format!("ACCESS EXCLUSIVE on {table} for a catalog change only, bounded by lock_timeout"),
        vec![
            sql::drop_constraint(table, NOT_NULL_CHECK),
            sql::add_not_null_check(table, NOT_NULL_CHECK, &columns),
        ],
    ));
    again.push(sql::validate(table, NOT_NULL_CHECK));
    steps.push(OnlineStep::transaction(
        Phase::Backfill,
        table.to_string(),
        format!(
            "validate the NOT NULL check of {table} ({names}): one scan for all of them, that blocks no writer"
        ),
        format!("SHARE UPDATE EXCLUSIVE on {table}: reads and writes go on"),
        again,
    ));
    steps
}

/// The switch of one table up to its index renames: lock, unmapped checks again, trigger
/// dropped (when there is one), and per column the old one moved away and the shadow renamed
/// into place.
fn switch_statements(
    table: &QualifiedName,
    pairs: &[(Column, Column)],
    converted: &[Converted],
    has_trigger: bool,
) -> Vec<String> {
    let mut sw = vec![sql::lock_table(table)];
    for c in converted.iter().filter(|c| c.sync.can_be_unmapped) {
        sw.push(sql::unmapped_check(
            table,
            &c.sync.column,
            &c.sync.shadow,
            &c.target,
        ));
    }
    if has_trigger {
        sw.push(sql::drop_trigger(table));
    }
    for (o, c) in pairs {
        if o.default.is_some() {
            sw.push(sql::alter_column(table, &c.name, "DROP DEFAULT"));
        }
        if !o.nullable {
            sw.push(sql::alter_column(table, &c.name, "DROP NOT NULL"));
        }
        sw.push(sql::rename_column(table, &c.name, &old_name(&c.name)));
        sw.push(sql::rename_column(table, &shadow_name(&c.name), &c.name));
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
        }
    }
    sw
}

/// The temporary name of late index number `k` (0-based), built over the shadows.
fn late_index_name(k: usize) -> String {
    format!("_sd_new_idx_{}", k + 1)
}

/// The switch's renames of late index number `k`: the old index away, the new one in place.
fn late_index_renames(t: &QualifiedName, k: usize, old: Option<&str>, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(old) = old {
        out.push(sql::rename_index(
            &t.schema,
            old,
            &format!("_sd_old_idx_{}", k + 1),
        ));
    }
    out.push(sql::rename_index(&t.schema, &late_index_name(k), name));
    out
}

/// The concurrent build of late index number `k` over the shadow columns.
fn late_index_step(
    t: &QualifiedName,
    k: usize,
    i: &Index,
    pairs: &[(Column, Column)],
) -> OnlineStep {
    let tmp = late_index_name(k);
    let mut shadow_index = i.clone();
    shadow_index.name = tmp.clone();
    for c in shadow_index.columns.iter_mut() {
        if pairs.iter().any(|(_, p)| p.name == c.name) {
            c.name = shadow_name(&c.name);
        }
    }
    OnlineStep::concurrent_index(
        Phase::Backfill,
        t,
        &tmp,
        format!("{t} {}", i.name),
        format!(
            "index {} built CONCURRENTLY over the new column(s) under a temporary name (renamed at the switch)",
            i.name
        ),
        sql::concurrently(&create_index(t, &shadow_index)),
    )
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
        // The CASE compares text: an old enum's values too (compared as that enum, a new
        // label would be an invalid value of it).
        let text = if o.ty.is_textual() {
            src
        } else {
            format!("{src}::text")
        };
        return (
            format!("({})::{target}", cast.case_sql(&text, None)),
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
        Part::Contains(" DROP CONSTRAINT IF EXISTS \"_sd_not_null\""),
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
        plan_mapped(from, to, &Mapping::empty())
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
        // The read-back compares the same row value with the stored text arrays.
        assert_eq!(
            fill.statements[2],
            "SELECT count(*) FROM \"public\".\"T\" WHERE (\"k1\", \"k2\") > (($1::text::text[])[1]::TEXT, ($1::text::text[])[2]::INTEGER) AND (\"k1\", \"k2\") <= (($2::text::text[])[1]::TEXT, ($2::text::text[])[2]::INTEGER)"
        );
    }

    #[test]
    fn a_fill_expression_for_a_column_changed_online_is_refused_not_quoted() {
        let (from, mut to) = composite(false);
        let t = to.tables.get_mut(&QualifiedName::public("T")).expect("T");
        t.columns[2].nullable = false;
        let key = (QualifiedName::public("T"), "data".to_string());
        let mut mapping = Mapping::empty();
        mapping.fills.insert(key.clone(), "to_jsonb(k1)".into());
        mapping.fill_exprs.insert(key);
        plan_with(&from, &to, &mapping, &PlanOptions::default()).expect("offline accepts it");
        let err = plan_mapped(&from, &to, &mapping).expect_err("refused");
        assert!(
            matches!(&err, OnlineError::FillExpression(t, c, e) if t.name == "T" && c == "data" && e == "to_jsonb(k1)"),
            "{err}"
        );
        assert!(
            err.to_string().contains("plan it without --online"),
            "{err}"
        );
    }

    fn offline_batch(p: &OnlinePlan) -> OnlineStep {
        p.steps
            .iter()
            .find(|s| s.object == "offline batch 1")
            .expect("the offline part")
            .clone()
    }

    #[test]
    fn an_offline_step_that_scans_rows_says_so_in_its_lock_line() {
        // A new required column filled by an expression over the row: an UPDATE of every row.
        let (from, _) = composite(false);
        let mut to = from.clone();
        let t = to.tables.get_mut(&QualifiedName::public("T")).expect("T");
        t.columns.push(col("label", ColumnType::Text, false));
        let key = (QualifiedName::public("T"), "label".to_string());
        let mut mapping = Mapping::empty();
        mapping.fills.insert(key.clone(), "k1 || 'x'".into());
        mapping.fill_exprs.insert(key);
        let p = plan_mapped(&from, &to, &mapping).expect("plan");
        let batch = offline_batch(&p);
        assert!(batch.locks.contains("NOT online"), "{}", batch.locks);
        assert!(!batch.locks.contains("no scan"), "{}", batch.locks);
        // A plan whose offline part only changes the catalog keeps the plain line.
        let (from, to) = composite(false);
        let mut to = to;
        to.tables
            .get_mut(&QualifiedName::public("T"))
            .expect("T")
            .columns
            .push(col("extra", ColumnType::Text, true));
        let batch = offline_batch(&plan_default(&from, &to).expect("plan"));
        assert!(
            batch.locks.contains("no scan of existing rows"),
            "{}",
            batch.locks
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
    fn a_single_column_key_that_changes_type_is_refused_with_why_and_what_to_do() {
        let (mut from, mut to) = pair(true);
        for s in [&mut from, &mut to] {
            let t = s.tables.values_mut().next().expect("T");
            t.columns[0].ty = ColumnType::Integer;
        }
        to.tables.values_mut().next().expect("T").columns[0].ty = ColumnType::BigInt;
        let err = plan_default(&from, &to).expect_err("refused");
        assert!(
            matches!(&err, OnlineError::KeyColumn(t, c) if t.name == "T" && c == "id"),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("rebuild the key"), "{text}");
        assert!(text.contains("plan it without --online"), "{text}");
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

    /// `T (k1, k2, data)` where `data` keeps its type and becomes required, with `fill` as its
    /// [fill] value (an expression when `expr`).
    fn required(fill: Option<&str>, expr: bool) -> (Schema, Schema, Mapping) {
        let (from, _) = composite(false);
        let mut to = from.clone();
        let t = to.tables.get_mut(&QualifiedName::public("T")).expect("T");
        t.columns[2].nullable = false;
        let mut mapping = Mapping::empty();
        if let Some(f) = fill {
            let key = (QualifiedName::public("T"), "data".to_string());
            mapping.fills.insert(key.clone(), f.into());
            if expr {
                mapping.fill_exprs.insert(key);
            }
        }
        (from, to, mapping)
    }

    /// The online plan with this mapping and default options.
    fn plan_mapped(
        from: &Schema,
        to: &Schema,
        mapping: &Mapping,
    ) -> Result<OnlinePlan, OnlineError> {
        plan_online(
            from,
            to,
            mapping,
            &PlanOptions::default(),
            &OnlineOptions::default(),
        )
    }

    fn statements(p: &OnlinePlan) -> Vec<&str> {
        p.steps
            .iter()
            .flat_map(|s| s.statements.iter().map(String::as_str))
            .collect()
    }

    #[test]
    fn a_column_becoming_required_is_filled_in_batches_and_made_not_null_through_a_check() {
        let (from, to, mapping) = required(Some("none"), false);
        let p = plan_mapped(&from, &to, &mapping).expect("plan");
        assert!(
            p.offline.steps.is_empty(),
            "nothing left to the offline plan: {:?}",
            p.offline.steps
        );
        assert!(p.columns.is_empty(), "no shadow column: {:?}", p.columns);
        assert_eq!(
            p.not_null,
            vec![OnlineNotNull {
                table: QualifiedName::public("T"),
                column: "data".into(),
                fill: Some("'none'::TEXT".into()),
            }]
        );
        let all = statements(&p);
        let pos = |needle: &str| {
            all.iter()
                .position(|s| s.contains(needle))
                .unwrap_or_else(|| panic!("no statement with {needle}: {all:#?}"))
        };
        // The trigger fills NULLs written from now on; the backfill only the NULL rows.
        let trigger = pos("IF NEW.\"data\" IS NULL THEN\n    NEW.\"data\" := 'none'::TEXT;");
        let backfill = pos("SET \"data\" = COALESCE(\"data\", 'none'::TEXT)");
        assert!(
            all[backfill].contains(" WHERE (\"data\" IS NULL)"),
            "{}",
            all[backfill]
        );
        let not_valid = pos("CHECK (\"data\" IS NOT NULL) NOT VALID");
        let validate = pos("VALIDATE CONSTRAINT \"_sd_not_null\"");
        let set = pos("ALTER COLUMN \"data\" SET NOT NULL");
        assert!(
            trigger < backfill && backfill < not_valid && not_valid < validate && validate < set
        );
        let step_of = |needle: &str| {
            p.steps
                .iter()
                .find(|s| s.statements.iter().any(|x| x.contains(needle)))
                .expect("a step")
        };
        assert_eq!(step_of("SET NOT NULL").phase, Phase::Switch);
        assert!(
            !all.iter()
                .any(|s| s.contains("_sd_new_") || s.contains("DROP COLUMN"))
        );
        let desc = &step_of("COALESCE(\"data\"").description;
        assert!(desc.contains("NULLs of data → 'none'::TEXT"), "{desc}");
        // Only the rows holding a NULL are updated: no read-back of the keys between them.
        assert_eq!(step_of("COALESCE(\"data\"").statements.len(), 2);
        // The expand step adds a trigger and no column: its lock note says so.
        let locks = &step_of("CREATE TRIGGER").locks;
        assert!(
            locks.contains("(CREATE TRIGGER)") && !locks.contains("ADD COLUMN"),
            "{locks}"
        );
        assert!(p.offline.warnings.is_empty(), "{:?}", p.offline.warnings);
    }

    #[test]
    fn a_column_becoming_required_with_nothing_to_fill_it_is_checked_not_backfilled() {
        // No key is needed: nothing is backfilled.
        let (mut from, mut to, mapping) = required(None, false);
        for s in [&mut from, &mut to] {
            s.tables.values_mut().next().expect("T").primary_key = None;
        }
        let p = plan_mapped(&from, &to, &mapping).expect("plan");
        assert_eq!(p.not_null.len(), 1);
        assert_eq!(p.not_null[0].fill, None);
        let all = statements(&p);
        assert!(
            !all.iter()
                .any(|s| s.contains("TRIGGER") || s.starts_with("WITH b AS")),
            "{all:#?}"
        );
        let check = all
            .iter()
            .find(|s| s.starts_with("DO "))
            .expect("the NULL check");
        assert!(check.contains("WHERE \"data\" IS NULL"), "{check}");
        assert!(
            check.contains("becomes NOT NULL and holds % NULL(s)"),
            "{check}"
        );
        assert!(
            all.iter()
                .any(|s| s.ends_with("ALTER COLUMN \"data\" SET NOT NULL"))
        );
        assert!(
            p.offline
                .warnings
                .iter()
                .any(|w| w.contains("T.data becomes NOT NULL")
                    && w.contains("[fill.T] data = \"VALUE\"")),
            "{:?}",
            p.offline.warnings
        );
    }

    #[test]
    fn a_column_becoming_required_with_a_fill_expression_is_refused() {
        let (from, to, mapping) = required(Some("k1 || 'x'"), true);
        let err = plan_mapped(&from, &to, &mapping).expect_err("refused");
        assert!(
            matches!(&err, OnlineError::FillExpression(t, c, _) if t.name == "T" && c == "data"),
            "{err}"
        );
    }
}
