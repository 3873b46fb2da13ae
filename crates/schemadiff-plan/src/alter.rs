//! The one `ALTER TABLE` per table: dropped, added and changed columns, with the data-keeping
//! casts (String → enum mapping and its guard, String → Json, enum → text, plain casts),
//! NULL fills, default handling and hazards. Also new indexes (duplicate detection).

use crate::build::{Ctx, RawHazard, duplicates_preflight, step, stmt};
use crate::cast::{
    EnumCast, JSON_HELPER_NAME, Safety, build_enum_mapping, changed_rows_sql, classify,
    json_helper, lenient_jsonb_sql, plain_using, precision_narrows,
};
use crate::ddl::{
    AlterTable, AlterTableClause, ColumnAction, ColumnDef, CreateIndex, DoBlock, Fill, FillNulls,
};
use crate::edges::Meta;
use crate::preflight::{
    enum_mapping_preflight, invalid_json_preflight, nulls_preflight, rows_for_required_preflight,
    value_change_preflight,
};
use crate::sqltext::{default_sql, quote_ident, quote_literal, sql_type};
use crate::{MappingEntry, MappingSource, PlanError, SqlKind, Statement, StepKind};
use schemadiff_model::{Column, ColumnType, DefaultValue, Index, QualifiedName};
use std::collections::BTreeMap;

/// The column changes of one table.
#[derive(Default)]
pub(crate) struct TableAlter {
    pub adds: Vec<Column>,
    pub drops: Vec<Column>,
    pub alters: Vec<(Column, Column)>,
}

/// What the column changes of one table add up to.
#[derive(Default)]
struct Acc {
    /// The clauses of the one `ALTER TABLE`.
    subs: Vec<AlterTableClause>,
    /// Statements before it (NULL fills).
    pre: Vec<FillNulls>,
    /// Statements after it (dropping a fill default; filling a new column by an expression).
    post: Vec<Statement>,
    guards: Vec<(String, DoBlock)>,
    details: Vec<String>,
    hazards: Vec<RawHazard>,
    rewrite: Vec<String>,
    needs_json: bool,
}

impl Acc {
    /// `ALTER COLUMN column action`.
    fn alter(&mut self, column: &str, action: ColumnAction) {
        self.subs.push(AlterTableClause::AlterColumn {
            column: column.to_string(),
            action,
        });
    }
}

pub(crate) fn alter_table_step(
    ctx: &mut Ctx,
    table: &QualifiedName,
    a: TableAlter,
) -> Result<(), PlanError> {
    let mut acc = Acc::default();
    let mut meta = Meta::on(table);
    for c in &a.drops {
        drop_column(table, c, &a.adds, &mut acc);
        meta.enums_old.extend(c.ty.enum_name().cloned());
    }
    for c in &a.adds {
        add_column(ctx, table, c, &mut acc);
        meta.enums_new.extend(c.ty.enum_name().cloned());
    }
    for (f, t) in &a.alters {
        meta.enums_old.extend(f.ty.enum_name().cloned());
        meta.enums_new.extend(t.ty.enum_name().cloned());
        alter_column(ctx, table, f, t, &mut acc)?;
    }
    if !acc.rewrite.is_empty() {
        acc.hazards.push(RawHazard::new(
            "table-rewrite",
            format!(
                "{table} is rewritten once (column(s) {}) under an ACCESS EXCLUSIVE lock",
                acc.rewrite.join(", ")
            ),
            false,
            false,
        ));
    }
    meta.needs_json = acc.needs_json;
    if acc.needs_json && !ctx.helper_created {
        ctx.helper_created = true;
        let s = step(
            StepKind::CreateHelper,
            JSON_HELPER_NAME.to_string(),
            "Create a temporary helper that parses text as JSON and keeps text that is not valid JSON as a JSON string".into(),
            vec![stmt(json_helper())],
        );
        ctx.push(s, Meta::default(), vec![]);
    }
    for (object, block) in std::mem::take(&mut acc.guards) {
        push_guard(ctx, table, object, block);
    }
    let description = format!(
        "Alter table {table}: {} in one statement",
        what_changes(&a).join(", ")
    );
    let mut s = step(
        StepKind::AlterTable,
        table.to_string(),
        description,
        alter_statements(table, &mut acc),
    );
    s.details = acc.details;
    ctx.push(s, meta, acc.hazards);
    Ok(())
}

/// `DROP COLUMN` and its hazard.
fn drop_column(table: &QualifiedName, c: &Column, adds: &[Column], acc: &mut Acc) {
    acc.subs.push(AlterTableClause::DropColumn(c.name.clone()));
    acc.hazards.push(RawHazard::new(
        "drop-column",
        drop_column_message(table, c, adds),
        true,
        true,
    ));
}

/// `ADD COLUMN`: a required column without a default takes the `[fill]` value through a
/// default that only lives for this statement, or carries a hazard.
fn add_column(ctx: &mut Ctx, table: &QualifiedName, c: &Column, acc: &mut Acc) {
    let key = (table.clone(), c.name.clone());
    let needs_value = !c.nullable && no_default(c);
    let fill = if needs_value {
        ctx.mapping.fills.get(&key).cloned()
    } else {
        None
    };
    if let Some(expr) = fill
        .as_ref()
        .filter(|_| ctx.mapping.fill_exprs.contains(&key))
    {
        // An expression over the row cannot be a default: the column is added nullable,
        // every row takes the expression, then it becomes NOT NULL (which fails, and rolls
        // the transaction back, if the expression gave NULL).
        acc.post.push(stmt(FillNulls {
            table: table.clone(),
            column: c.name.clone(),
            value: Fill::Expression(expr.clone()),
            all_rows: true,
        }));
        let filled = format!("SQL expression from [fill] in the mapping file: {expr}");
        then_alter(acc, table, c, ColumnAction::SetNotNull, &filled);
        ctx.used_fills.insert(key);
        acc.subs.push(AlterTableClause::AddColumn {
            column: ColumnDef(Column {
                nullable: true,
                ..c.clone()
            }),
            fill: None,
        });
        return;
    }
    if let Some(v) = &fill {
        // Existing rows take the fill value; the column ends without a default, as the target
        // says.
        ctx.used_fills.insert(key);
        let filled = format!("fill value from [fill] in the mapping file: {v}");
        then_alter(acc, table, c, ColumnAction::DropDefault, &filled);
    } else if needs_value {
        let message = format!(
            "required column {table}.{col} is added without a default: fails if {table} has rows; \
             give existing rows a value in the mapping file (--map FILE) with {hint}, \
             or allow the hazard with `--allow-hazard set-not-null-on-existing-data` when {table} is empty \
             (apply counts the rows first and needs neither when there are none)",
            col = c.name,
            hint = fill_hint(table, &c.name),
        );
        let old_table = ctx.old_names(table, "").0;
        ctx.out.preflight.push(rows_for_required_preflight(
            &format!("{table}.{}", c.name),
            &old_table,
            &message,
        ));
        acc.hazards.push(RawHazard::new(
            "set-not-null-on-existing-data",
            message,
            false,
            true,
        ));
    }
    acc.subs.push(AlterTableClause::AddColumn {
        column: ColumnDef(c.clone()),
        fill,
    });
}

/// After the column `c` is added with existing rows filled: `action` on it, and the detail
/// line saying what existing rows got (`filled`).
fn then_alter(
    acc: &mut Acc,
    table: &QualifiedName,
    c: &Column,
    action: ColumnAction,
    filled: &str,
) {
    acc.post.push(stmt(AlterTable::one(
        table,
        AlterTableClause::AlterColumn {
            column: c.name.clone(),
            action,
        },
    )));
    acc.details
        .push(format!("{}: existing rows → {filled}", c.name));
}

/// The guard step of a cast to an enum: stops before anything changed.
fn push_guard(ctx: &mut Ctx, table: &QualifiedName, object: String, block: DoBlock) {
    let s = step(
        StepKind::Guard,
        object.clone(),
        format!(
            "Check that every value of {object} maps to an enum value; stop before anything changed otherwise"
        ),
        vec![Statement {
            sql: block.to_string(),
            kind: SqlKind::DoBlock,
        }],
    );
    ctx.push(s, Meta::on(table), vec![]);
}

/// `add 1 column(s), drop 2 column(s)…` for the description.
fn what_changes(a: &TableAlter) -> Vec<String> {
    [
        (a.adds.len(), "add"),
        (a.drops.len(), "drop"),
        (a.alters.len(), "change"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{w} {n} column(s)"))
    .collect()
}

/// The fills, the one `ALTER TABLE` with every clause, then what runs after it.
fn alter_statements(table: &QualifiedName, acc: &mut Acc) -> Vec<Statement> {
    let mut statements: Vec<Statement> = acc.pre.drain(..).map(stmt).collect();
    if !acc.subs.is_empty() {
        statements.push(stmt(AlterTable {
            table: table.clone(),
            clauses: std::mem::take(&mut acc.subs),
            one_per_line: true,
        }));
    }
    statements.append(&mut acc.post);
    statements
}

/// No default fills existing rows (none, or `dbgenerated()` without an expression).
fn no_default(c: &Column) -> bool {
    matches!(c.default, None | Some(DefaultValue::Unmanaged))
}

/// The mapping-file text that fills a column: `[fill."Table"] column = "VALUE"` (database
/// names; the mapping file resolves them when no model of that name exists).
pub(crate) fn fill_hint(table: &QualifiedName, column: &str) -> String {
    format!(
        "`[fill.{}] {} = \"VALUE\"`",
        toml_key(&table.name),
        toml_key(column)
    )
}

/// A TOML key: bare when it can be, else quoted.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_str(k)
    }
}

/// A TOML basic string.
fn toml_str(k: &str) -> String {
    format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The message of `drop-column`: how to allow it, and the rename key when a column of the
/// same type is added to the table in the same plan (it may be the same data renamed).
fn drop_column_message(table: &QualifiedName, c: &Column, adds: &[Column]) -> String {
    let mut m = format!(
        "column {table}.{} is dropped with its values; allow it with `--allow-hazard drop-column`",
        c.name
    );
    let same: Vec<&Column> = adds.iter().filter(|a| a.ty == c.ty).collect();
    if !same.is_empty() {
        let keys: Vec<String> = same
            .iter()
            .map(|a| {
                format!(
                    "`[renames.columns.{}] {} = {}`",
                    toml_key(&table.name),
                    toml_key(&c.name),
                    toml_str(&a.name)
                )
            })
            .collect();
        m.push_str(&format!(
            ", or, if it was renamed, keep its values with {} in the mapping file (--map FILE)",
            keys.join(" or ")
        ));
    }
    m
}

fn is_recreated(ctx: &Ctx, t: &ColumnType) -> bool {
    t.enum_name().is_some_and(|e| ctx.recreated.contains(e))
}

/// What NULLs become when the column turns required: the fill (a value or a SQL expression),
/// else the new default.
fn fill_value(ctx: &mut Ctx, key: &(QualifiedName, String), t: &Column) -> Option<(Fill, String)> {
    if let Some(v) = ctx.mapping.fills.get(key) {
        ctx.used_fills.insert(key.clone());
        return Some(if ctx.mapping.fill_exprs.contains(key) {
            (
                Fill::Expression(v.clone()),
                format!("SQL expression from [fill] in the mapping file: {v}"),
            )
        } else {
            (
                Fill::Value(v.clone()),
                format!("fill value from [fill] in the mapping file: {v}"),
            )
        });
    }
    match &t.default {
        Some(DefaultValue::String(s) | DefaultValue::EnumValue(s)) => {
            Some((Fill::Value(s.clone()), format!("the new default '{s}'")))
        }
        _ => None,
    }
}

/// One changed column of a table.
struct ColumnChange<'a> {
    table: &'a QualifiedName,
    from: &'a Column,
    to: &'a Column,
    /// `(table, column)`: the key of the mapping file.
    key: (QualifiedName, String),
    /// Nullable before, required after.
    to_required: bool,
}

impl ColumnChange<'_> {
    /// `Table.column` for messages.
    fn label(&self) -> String {
        format!("{}.{}", self.table, self.to.name)
    }
}

fn alter_column(
    ctx: &mut Ctx,
    table: &QualifiedName,
    f: &Column,
    t: &Column,
    acc: &mut Acc,
) -> Result<(), PlanError> {
    let ch = ColumnChange {
        table,
        from: f,
        to: t,
        key: (table.clone(), t.name.clone()),
        to_required: f.nullable && !t.nullable,
    };
    let retype = f.ty != t.ty || is_recreated(ctx, &f.ty) || is_recreated(ctx, &t.ty);
    let mut null_handled = false;
    if retype {
        null_handled = change_type(ctx, &ch, acc)?;
    } else if f.default != t.default {
        change_default(&ch, acc);
    }
    if ch.to_required {
        if !null_handled {
            fill_or_refuse_nulls(ctx, &ch, acc);
        }
        acc.alter(&t.name, ColumnAction::SetNotNull);
    } else if f.nullable != t.nullable {
        acc.alter(&t.name, ColumnAction::DropNotNull);
    }
    Ok(())
}

/// `ALTER COLUMN … TYPE … USING …` with the default dropped around it; returns whether the
/// cast already gives NULLs a value (a column that becomes required).
fn change_type(ctx: &mut Ctx, ch: &ColumnChange, acc: &mut Acc) -> Result<bool, PlanError> {
    let (f, t) = (ch.from, ch.to);
    if f.default.is_some() {
        acc.alter(&t.name, ColumnAction::DropDefault);
    }
    let c = quote_ident(&t.name);
    let (using, mut null_handled) = match (&f.ty, &t.ty) {
        (ft, ColumnType::Enum(e)) if ft.is_textual() || matches!(ft, ColumnType::Enum(_)) => {
            (enum_using(ctx, ch, e, acc)?, ch.to_required)
        }
        (ft, tt) if ft.is_textual() && tt.is_json() => (json_using(ctx, ch, &c, acc), false),
        (ft, tt) => {
            cast_hazards(ctx, ch, acc);
            (plain_using(&t.name, ft, tt), false)
        }
    };
    let fill = if ch.to_required && !null_handled {
        fill_value(ctx, &ch.key, t)
    } else {
        None
    };
    let using = match fill {
        Some((v, why)) => {
            null_handled = true;
            acc.details.push(format!("{}: NULL → {why}", t.name));
            format!("COALESCE({using}, {v})")
        }
        None => using,
    };
    if !(f.ty.is_textual() && t.ty.is_textual() && classify(&f.ty, &t.ty) == Safety::Safe) {
        acc.rewrite.push(t.name.clone());
    }
    acc.alter(
        &t.name,
        ColumnAction::Type {
            ty: t.ty.clone(),
            using,
        },
    );
    if let Some(d) = t.default.as_ref().and_then(|d| default_sql(d, &t.ty)) {
        acc.alter(&t.name, ColumnAction::SetDefault(d));
    }
    Ok(null_handled)
}

/// The `USING` expression of a cast to an enum, with its mapping (checked against the enum's
/// values), NULL handling, guard and pre-flight query.
fn enum_using(
    ctx: &mut Ctx,
    ch: &ColumnChange,
    e: &QualifiedName,
    acc: &mut Acc,
) -> Result<String, PlanError> {
    let t = ch.to;
    let as_text = |col: &str| {
        if ch.from.ty.is_textual() {
            col.to_string()
        } else {
            format!("{col}::text")
        }
    };
    let values = ctx
        .to
        .enums
        .get(e)
        .map(|x| x.values.clone())
        .unwrap_or_default();
    let explicit = ctx.mapping.values.get(&ch.key);
    if explicit.is_some() {
        ctx.used_values.insert(ch.key.clone());
    }
    check_mapped_values(ctx, ch, e, &values, explicit)?;
    let (vm, warnings) = build_enum_mapping(ch.table, &t.name, e, &values, explicit);
    ctx.out.warnings.extend(warnings);
    let null_value = enum_null_value(ctx, ch, e, &values, acc)?;
    let cast = EnumCast {
        mapping: vm.clone(),
        null_value,
    };
    acc.details.push(format!(
        "{}: {} → {} mapping (first match wins):",
        t.name, ch.from.ty, e
    ));
    acc.details.extend(vm.entries.iter().map(mapping_line));
    let (old_table, old_col) = ctx.old_names(ch.table, &t.name);
    let old_src = as_text(&quote_ident(&old_col));
    acc.guards
        .push((ch.label(), cast.guard_sql(&old_table, &old_col, &old_src)));
    ctx.out.preflight.push(enum_mapping_preflight(
        &ch.label(),
        e,
        &cast,
        &old_table,
        &old_src,
        ch.to_required && cast.null_value.is_none(),
    ));
    ctx.out.mappings.push(vm);
    Ok(cast.using_sql(&as_text(&quote_ident(&t.name))))
}

/// Every value the mapping file maps to must be a value of the enum.
fn check_mapped_values(
    ctx: &Ctx,
    ch: &ColumnChange,
    e: &QualifiedName,
    values: &[String],
    explicit: Option<&BTreeMap<String, String>>,
) -> Result<(), PlanError> {
    for (legacy, v) in explicit.into_iter().flatten() {
        if !values.contains(v) {
            return Err(PlanError::UnknownEnumValue {
                path: ctx.mapping.path_of(&ch.key),
                legacy: legacy.clone(),
                value: v.clone(),
                enum_name: e.to_string(),
                values: values.join(", "),
            });
        }
    }
    Ok(())
}

/// What NULL becomes in a cast to an enum of a column that becomes required (the fill value,
/// which must be a value of the enum), or the `unmapped-null` hazard when nothing.
fn enum_null_value(
    ctx: &mut Ctx,
    ch: &ColumnChange,
    e: &QualifiedName,
    values: &[String],
    acc: &mut Acc,
) -> Result<Option<String>, PlanError> {
    if !ch.to_required {
        return Ok(None);
    }
    let t = ch.to;
    match fill_value(ctx, &ch.key, t) {
        Some((Fill::Expression(_), _)) => Err(PlanError::UnusedMapping {
            path: format!("fill.{}.{}.sql", ch.table.name, t.name),
            message: format!(
                "{} is cast to enum {e}: its fill must be one of its values ({}), not a SQL expression",
                ch.label(),
                values.join(", ")
            ),
        }),
        Some((Fill::Value(v), _)) if !values.contains(&v) => Err(PlanError::UnknownEnumValue {
            path: format!("fill.{}.{}", ch.table.name, t.name),
            legacy: "NULL".into(),
            value: v,
            enum_name: e.to_string(),
            values: values.join(", "),
        }),
        Some((Fill::Value(v), why)) => {
            acc.details.push(format!("{}: NULL → {why}", t.name));
            Ok(Some(v))
        }
        None => {
            acc.hazards.push(RawHazard::new(
                "unmapped-null",
                format!(
                    "{} becomes required and has no default and no [fill] value: NULL rows make the cast fail",
                    ch.label()
                ),
                false,
                true,
            ));
            Ok(None)
        }
    }
}

/// One line of the mapping table in the step's details.
fn mapping_line(en: &MappingEntry) -> String {
    match en.source {
        MappingSource::MappingFile => {
            format!(
                "  {} → {}   (mapping file)",
                quote_literal(&en.legacy),
                en.value
            )
        }
        MappingSource::NameMatch => format!(
            "  any value spelled {} ignoring case and separators → {}   (name match)",
            en.legacy, en.value
        ),
        MappingSource::Exact => {
            format!(
                "  {} → {}   (exact spelling)",
                quote_literal(&en.legacy),
                en.value
            )
        }
    }
}

/// The `USING` expression of text → `json`/`jsonb`: strict, or lenient (other text kept as a
/// JSON string) with `pg_input_is_valid` (16+) or the helper function; and its pre-flight.
fn json_using(ctx: &mut Ctx, ch: &ColumnChange, c: &str, acc: &mut Acc) -> String {
    let (t, tt) = (ch.to, &ch.to.ty);
    let target = sql_type(tt);
    let strict = ctx.mapping.json_is_strict(&ch.key);
    let (old_table, old_col) = ctx.old_names(ch.table, &t.name);
    ctx.out.preflight.push(invalid_json_preflight(
        &old_table,
        &old_col,
        &ch.label(),
        if strict { tt } else { &ColumnType::Jsonb },
        strict,
        ctx.pg_version,
    ));
    if strict {
        acc.details.push(format!(
            "{}: text → {target}, strict: invalid JSON stops the migration",
            t.name
        ));
        format!("{c}::{target}")
    } else if ctx.pg_version >= 16 {
        acc.details.push(format!(
            "{}: text → {target}; valid JSON is parsed, other text is kept as a JSON string (pg_input_is_valid, PostgreSQL 16+)",
            t.name
        ));
        format!("({})::{target}", lenient_jsonb_sql(c))
    } else {
        acc.needs_json = true;
        acc.details.push(format!(
            "{}: text → {target}; valid JSON is parsed, other text is kept as a JSON string",
            t.name
        ));
        format!("{JSON_HELPER_NAME}({c})::{target}")
    }
}

/// The hazards of a plain cast, and a pre-flight counting the rows it changes.
fn cast_hazards(ctx: &mut Ctx, ch: &ColumnChange, acc: &mut Acc) {
    let (ft, tt) = (&ch.from.ty, &ch.to.ty);
    let what = format!("{}: {ft} → {tt}", ch.label());
    let hazards = safety_hazards(&what, ft, tt);
    let codes: Vec<&str> = hazards
        .iter()
        .map(|h| h.code)
        .filter(|c| *c != "not-castable")
        .collect();
    if !codes.is_empty() {
        let (old_table, old_col) = ctx.old_names(ch.table, &ch.to.name);
        if let Some(cond) = changed_rows_sql(&quote_ident(&old_col), ft, tt) {
            let description = format!(
                "values of {} changed by {ft} → {tt} ({})",
                ch.label(),
                codes.join(", ")
            );
            ctx.out
                .preflight
                .push(value_change_preflight(description, &old_table, &cond));
        }
    }
    acc.hazards.extend(hazards);
}

/// The hazards of casting `ft` to `tt` (`what` names the column and the types).
fn safety_hazards(what: &str, ft: &ColumnType, tt: &ColumnType) -> Vec<RawHazard> {
    match classify(ft, tt) {
        Safety::Safe => vec![],
        Safety::Narrowing => vec![RawHazard::new(
            "narrowing-cast",
            format!("{what} narrows: values may be cut, rounded or rejected"),
            true,
            true,
        )],
        Safety::NotCastable => vec![RawHazard::new(
            "not-castable",
            format!("{what} has no safe cast: values that do not convert stop the migration"),
            false,
            true,
        )],
        Safety::TimeZone { drops_offset } => {
            let mut hz = vec![RawHazard::new(
                "time-zone-cast",
                if drops_offset {
                    format!(
                        "{what} drops the time zone: each instant becomes the wall-clock time of the session's TimeZone, and which instant it was is lost"
                    )
                } else {
                    format!(
                        "{what} reads each value as wall-clock time of the session's TimeZone: the instants stored depend on that setting"
                    )
                },
                drops_offset,
                true,
            )];
            if precision_narrows(ft, tt) {
                hz.push(RawHazard::new(
                    "narrowing-cast",
                    format!("{what} keeps fewer fractional digits: values are rounded"),
                    true,
                    true,
                ));
            }
            hz
        }
        Safety::JsonNormalized => vec![RawHazard::new(
            "json-normalized",
            format!(
                "{what}: jsonb keeps only the last of duplicate keys, reorders keys and drops whitespace"
            ),
            true,
            true,
        )],
    }
}

/// A default that changes while the type stays.
fn change_default(ch: &ColumnChange, acc: &mut Acc) {
    let t = ch.to;
    match t.default.as_ref() {
        Some(DefaultValue::Autoincrement) | None
            if matches!(ch.from.default, Some(DefaultValue::Autoincrement)) =>
        {
            acc.alter(&t.name, ColumnAction::DropDefault);
        }
        Some(DefaultValue::Autoincrement) => acc.hazards.push(RawHazard::new(
            "not-castable",
            format!(
                "{}: turning an existing column into autoincrement is not supported",
                ch.label()
            ),
            false,
            true,
        )),
        Some(d) => {
            if let Some(d) = default_sql(d, &t.ty) {
                acc.alter(&t.name, ColumnAction::SetDefault(d));
            }
        }
        None => acc.alter(&t.name, ColumnAction::DropDefault),
    }
}

/// A column that becomes required and whose cast did not fill its NULLs: an `UPDATE` with the
/// fill value, or the hazard and a pre-flight counting the NULLs.
fn fill_or_refuse_nulls(ctx: &mut Ctx, ch: &ColumnChange, acc: &mut Acc) {
    let t = ch.to;
    match fill_value(ctx, &ch.key, t) {
        Some((v, why)) => {
            acc.details.push(format!("{}: NULL → {why}", t.name));
            acc.pre.push(FillNulls {
                table: ch.table.clone(),
                column: t.name.clone(),
                value: v,
                all_rows: false,
            });
        }
        None => {
            let message = format!(
                "{} becomes NOT NULL without a default or [fill] value: fails if it holds NULLs; \
                 give them a value in the mapping file (--map FILE) with {hint}, \
                 or allow the hazard with `--allow-hazard set-not-null-on-existing-data` \
                 (apply counts the NULLs first and needs neither when there are none)",
                ch.label(),
                hint = fill_hint(ch.table, &t.name),
            );
            let (old_table, old_col) = ctx.old_names(ch.table, &t.name);
            ctx.out
                .preflight
                .push(nulls_preflight(&ch.label(), &old_table, &old_col, &message));
            acc.hazards.push(RawHazard::new(
                "set-not-null-on-existing-data",
                message,
                false,
                true,
            ));
        }
    }
}

pub(crate) fn create_index_step(ctx: &mut Ctx, table: &QualifiedName, index: &Index) {
    let mut meta = Meta::on(table);
    meta.index_name = Some(index.name.clone());
    meta.unique = index.unique;
    let mut hz = vec![];
    let existing = ctx.from.tables.contains_key(table);
    if index.unique && existing {
        hz.push(RawHazard::new(
            "add-unique-on-existing-data",
            format!(
                "unique index {} on existing table {table} fails if the rows hold duplicates",
                index.name
            ),
            false,
            false,
        ));
        let cols: Vec<String> = index.columns.iter().map(|c| c.name.clone()).collect();
        duplicates_preflight(ctx, table, &cols, &index.name);
    }
    if let Some(t) = ctx.to.tables.get(table) {
        let mine = index.column_names();
        let twin = t
            .indexes
            .iter()
            .filter(|o| {
                o.name != index.name && o.method == index.method && o.column_names() == mine
            })
            .map(|o| o.name.clone())
            .chain(
                t.primary_key
                    .iter()
                    .filter(|pk| pk.columns.iter().map(String::as_str).collect::<Vec<_>>() == mine)
                    .map(|pk| pk.name.clone()),
            )
            .next();
        if let Some(twin) = twin
            && !index.unique
        {
            hz.push(RawHazard::new(
                "duplicate-index",
                format!(
                    "index {} on {table} ({}) duplicates {twin}: it costs writes and space and serves no query the other does not",
                    index.name,
                    mine.join(", ")
                ),
                false,
                false,
            ));
            ctx.out.warnings.push(format!(
                "{}: duplicates {twin} on the same columns",
                index.name
            ));
        }
    }
    let s = step(
        StepKind::CreateIndex,
        index.name.clone(),
        format!(
            "Create {}index {} on {table} ({})",
            if index.unique { "unique " } else { "" },
            index.name,
            index.column_names().join(", ")
        ),
        vec![stmt(CreateIndex {
            table: table.clone(),
            index: index.clone(),
        })],
    );
    ctx.push(s, meta, hz);
}
