//! The one `ALTER TABLE` per table: dropped, added and changed columns, with the data-keeping
//! casts (String → enum mapping and its guard, String → Json, enum → text, plain casts),
//! NULL fills, default handling and hazards. Also new indexes (duplicate detection).

use crate::build::{Ctx, RawHazard, duplicates_preflight, step, stmt};
use crate::cast::{
    EnumCast, JSON_HELPER_NAME, Safety, build_enum_mapping, changed_rows_sql, classify,
    json_helper_sql, lenient_jsonb_sql, plain_using, precision_narrows,
};
use crate::edges::Meta;
use crate::preflight::{PreflightKind, PreflightQuery, invalid_json_preflight};
use crate::sqltext::{self, column_def, default_sql, qname, quote_ident, quote_literal, sql_type};
use crate::{MappingSource, PlanError, SqlKind, Statement, StepKind};
use schemadiff_model::{Column, ColumnType, DefaultValue, Index, QualifiedName};

/// The column changes of one table.
#[derive(Default)]
pub(crate) struct TableAlter {
    pub adds: Vec<Column>,
    pub drops: Vec<Column>,
    pub alters: Vec<(Column, Column)>,
}

struct Acc {
    subs: Vec<String>,
    pre: Vec<String>,
    guards: Vec<(String, String)>,
    details: Vec<String>,
    hazards: Vec<RawHazard>,
    rewrite: Vec<String>,
    needs_json: bool,
}

pub(crate) fn alter_table_step(
    ctx: &mut Ctx,
    table: &QualifiedName,
    a: TableAlter,
) -> Result<(), PlanError> {
    let mut acc = Acc {
        subs: vec![],
        pre: vec![],
        guards: vec![],
        details: vec![],
        hazards: vec![],
        rewrite: vec![],
        needs_json: false,
    };
    let mut meta = Meta::on(table);
    for c in &a.drops {
        acc.subs
            .push(format!("DROP COLUMN {}", quote_ident(&c.name)));
        acc.hazards.push(RawHazard::new(
            "drop-column",
            drop_column_message(table, c, &a.adds),
            true,
            true,
        ));
        meta.enums_old.extend(c.ty.enum_name().cloned());
    }
    let mut post = Vec::new();
    for c in &a.adds {
        let key = (table.clone(), c.name.clone());
        let fill = if !c.nullable && no_default(c) {
            ctx.mapping.fills.get(&key).cloned()
        } else {
            None
        };
        match fill {
            Some(expr) if ctx.mapping.fill_exprs.contains(&key) => {
                // An expression over the row cannot be a default: the column is added
                // nullable, every row takes the expression, then it becomes NOT NULL (which
                // fails, and rolls the transaction back, if the expression gave NULL).
                ctx.used_fills.insert(key);
                let nullable = Column {
                    nullable: true,
                    ..c.clone()
                };
                acc.subs
                    .push(format!("ADD COLUMN {}", column_def(&nullable)));
                post.push(format!(
                    "UPDATE {} SET {} = ({expr})",
                    qname(table),
                    quote_ident(&c.name)
                ));
                post.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
                    qname(table),
                    quote_ident(&c.name)
                ));
                acc.details.push(format!(
                    "{}: existing rows → SQL expression from [fill] in the mapping file: {expr}",
                    c.name
                ));
            }
            Some(v) => {
                // Existing rows take the fill value through a default that only lives for
                // this statement; the column ends without a default, as the target says.
                ctx.used_fills.insert(key);
                acc.subs.push(format!(
                    "ADD COLUMN {} DEFAULT {}",
                    column_def(c),
                    quote_literal(&v)
                ));
                post.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                    qname(table),
                    quote_ident(&c.name)
                ));
                acc.details.push(format!(
                    "{}: existing rows → fill value from [fill] in the mapping file: {v}",
                    c.name
                ));
            }
            None => {
                acc.subs.push(format!("ADD COLUMN {}", column_def(c)));
                if !c.nullable && no_default(c) {
                    acc.hazards.push(RawHazard::new(
                        "set-not-null-on-existing-data",
                        format!(
                            "required column {table}.{col} is added without a default: fails if {table} has rows; \
                             give existing rows a value in the mapping file (--map FILE) with {hint}, \
                             or allow the hazard with `--allow-hazard set-not-null-on-existing-data` when {table} is empty",
                            col = c.name,
                            hint = fill_hint(table, &c.name),
                        ),
                        false,
                        true,
                    ));
                }
            }
        }
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
            vec![stmt(json_helper_sql())],
        );
        ctx.push(s, Meta::default(), vec![]);
    }
    for (object, sql) in acc.guards {
        let s = step(
            StepKind::Guard,
            object.clone(),
            format!(
                "Check that every value of {object} maps to an enum value; stop before anything changed otherwise"
            ),
            vec![Statement {
                sql,
                kind: SqlKind::DoBlock,
            }],
        );
        ctx.push(s, Meta::on(table), vec![]);
    }
    let mut statements: Vec<Statement> = acc.pre.into_iter().map(stmt).collect();
    if !acc.subs.is_empty() {
        statements.push(stmt(format!(
            "ALTER TABLE {}\n    {}",
            qname(table),
            acc.subs.join(",\n    ")
        )));
    }
    statements.extend(post.into_iter().map(stmt));
    let mut what = Vec::new();
    for (n, w) in [
        (a.adds.len(), "add"),
        (a.drops.len(), "drop"),
        (a.alters.len(), "change"),
    ] {
        if n > 0 {
            what.push(format!("{w} {n} column(s)"));
        }
    }
    let mut s = step(
        StepKind::AlterTable,
        table.to_string(),
        format!("Alter table {table}: {} in one statement", what.join(", ")),
        statements,
    );
    s.details = acc.details;
    ctx.push(s, meta, acc.hazards);
    Ok(())
}

/// No default fills existing rows (none, or `dbgenerated()` without an expression).
fn no_default(c: &Column) -> bool {
    matches!(c.default, None | Some(DefaultValue::Unmanaged))
}

/// The mapping-file text that fills a column: `[fill."Table"] column = "VALUE"` (database
/// names; the mapping file resolves them when no model of that name exists).
fn fill_hint(table: &QualifiedName, column: &str) -> String {
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

/// What NULLs become when the column turns required: the fill value, else the new default.
/// The value as written (a SQL expression for `{ sql = … }` fills, see [`fill_sql`]).
fn fill_value(
    ctx: &mut Ctx,
    key: &(QualifiedName, String),
    t: &Column,
) -> Option<(String, String)> {
    if let Some(v) = ctx.mapping.fills.get(key) {
        ctx.used_fills.insert(key.clone());
        let what = if ctx.mapping.fill_exprs.contains(key) {
            "SQL expression"
        } else {
            "fill value"
        };
        return Some((
            v.clone(),
            format!("{what} from [fill] in the mapping file: {v}"),
        ));
    }
    match &t.default {
        Some(DefaultValue::String(s) | DefaultValue::EnumValue(s)) => {
            Some((s.clone(), format!("the new default '{s}'")))
        }
        _ => None,
    }
}

/// A fill as SQL: a `{ sql = … }` expression in parentheses, else the value as a literal.
fn fill_sql(ctx: &Ctx, key: &(QualifiedName, String), v: &str) -> String {
    if ctx.mapping.fill_exprs.contains(key) {
        format!("({v})")
    } else {
        quote_literal(v)
    }
}

fn alter_column(
    ctx: &mut Ctx,
    table: &QualifiedName,
    f: &Column,
    t: &Column,
    acc: &mut Acc,
) -> Result<(), PlanError> {
    let key = (table.clone(), t.name.clone());
    let c = quote_ident(&t.name);
    let to_required = f.nullable && !t.nullable;
    let retype = f.ty != t.ty || is_recreated(ctx, &f.ty) || is_recreated(ctx, &t.ty);
    let mut null_handled = false;
    if retype {
        if f.default.is_some() {
            acc.subs.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
        }
        let using = match (&f.ty, &t.ty) {
            (ft, ColumnType::Enum(e)) if ft.is_textual() || matches!(ft, ColumnType::Enum(_)) => {
                let as_text = |col: &str| {
                    if ft.is_textual() {
                        col.to_string()
                    } else {
                        format!("{col}::text")
                    }
                };
                let src = as_text(&c);
                let (old_table, old_col) = ctx.old_names(table, &t.name);
                let old_src = as_text(&quote_ident(&old_col));
                let values = ctx
                    .to
                    .enums
                    .get(e)
                    .map(|x| x.values.clone())
                    .unwrap_or_default();
                let explicit = ctx.mapping.values.get(&key);
                if let Some(ex) = explicit {
                    ctx.used_values.insert(key.clone());
                    for (legacy, v) in ex {
                        if !values.contains(v) {
                            return Err(PlanError::UnknownEnumValue {
                                path: ctx.mapping.path_of(&key),
                                legacy: legacy.clone(),
                                value: v.clone(),
                                enum_name: e.to_string(),
                                values: values.join(", "),
                            });
                        }
                    }
                }
                let (vm, warnings) = build_enum_mapping(table, &t.name, e, &values, explicit);
                ctx.out.warnings.extend(warnings);
                let null_value = if to_required {
                    let fv = fill_value(ctx, &key, t);
                    if fv.is_some() && ctx.mapping.fill_exprs.contains(&key) {
                        return Err(PlanError::UnusedMapping {
                            path: format!("fill.{}.{}.sql", table.name, t.name),
                            message: format!(
                                "{table}.{} is cast to enum {e}: its fill must be one of its values ({}), not a SQL expression",
                                t.name,
                                values.join(", ")
                            ),
                        });
                    }
                    if let Some((v, _)) = &fv
                        && !values.contains(v)
                    {
                        return Err(PlanError::UnknownEnumValue {
                            path: format!("fill.{}.{}", table.name, t.name),
                            legacy: "NULL".into(),
                            value: v.clone(),
                            enum_name: e.to_string(),
                            values: values.join(", "),
                        });
                    }
                    fv
                } else {
                    None
                };
                if to_required {
                    null_handled = true;
                    match &null_value {
                        Some((_, why)) => acc.details.push(format!("{}: NULL → {why}", t.name)),
                        None => acc.hazards.push(RawHazard::new(
                            "unmapped-null",
                            format!(
                                "{table}.{} becomes required and has no default and no [fill] value: NULL rows make the cast fail",
                                t.name
                            ),
                            false,
                            true,
                        )),
                    }
                }
                let cast = EnumCast {
                    mapping: vm.clone(),
                    null_value: null_value.map(|(v, _)| v),
                };
                acc.details.push(format!(
                    "{}: {} → {} mapping (first match wins):",
                    t.name, f.ty, e
                ));
                for en in &vm.entries {
                    acc.details.push(match en.source {
                        MappingSource::MappingFile => {
                            format!("  {} → {}   (mapping file)", quote_literal(&en.legacy), en.value)
                        }
                        MappingSource::NameMatch => {
                            format!("  any value spelled {} ignoring case and separators → {}   (name match)", en.legacy, en.value)
                        }
                        MappingSource::Exact => {
                            format!("  {} → {}   (exact spelling)", quote_literal(&en.legacy), en.value)
                        }
                    });
                }
                acc.guards.push((
                    format!("{table}.{}", t.name),
                    cast.guard_sql(&old_table, &old_col, &old_src),
                ));
                ctx.out.preflight.push(PreflightQuery {
                    kind: PreflightKind::EnumMapping,
                    description: format!("values of {table}.{} → enum {e}", t.name),
                    sql: format!(
                        "SELECT v AS legacy, ({})::text AS mapped, count(*)::text AS rows FROM (SELECT {old_src} AS v FROM {}) AS s GROUP BY 1, 2 ORDER BY 1 NULLS FIRST",
                        cast.case_sql("v", None),
                        qname(&old_table)
                    ),
                    null_blocks: to_required && cast.null_value.is_none(),
                    strict: false,
                });
                ctx.out.mappings.push(vm);
                cast.using_sql(&src)
            }
            (ft, tt) if ft.is_textual() && tt.is_json() => {
                let target = sql_type(tt);
                let strict = ctx.mapping.json_is_strict(&key);
                let (old_table, old_col) = ctx.old_names(table, &t.name);
                ctx.out.preflight.push(invalid_json_preflight(
                    &old_table,
                    &old_col,
                    &format!("{table}.{}", t.name),
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
                    format!("({})::{target}", lenient_jsonb_sql(&c))
                } else {
                    acc.needs_json = true;
                    acc.details.push(format!(
                        "{}: text → {target}; valid JSON is parsed, other text is kept as a JSON string",
                        t.name
                    ));
                    format!("{JSON_HELPER_NAME}({c})::{target}")
                }
            }
            (ft, tt) => {
                let safety = classify(ft, tt);
                let what = format!("{table}.{}: {ft} → {tt}", t.name);
                let mut codes = Vec::new();
                match safety {
                    Safety::Safe => {}
                    Safety::Narrowing => {
                        codes.push("narrowing-cast");
                        acc.hazards.push(RawHazard::new(
                            "narrowing-cast",
                            format!("{what} narrows: values may be cut, rounded or rejected"),
                            true,
                            true,
                        ))
                    }
                    Safety::NotCastable => acc.hazards.push(RawHazard::new(
                        "not-castable",
                        format!(
                            "{what} has no safe cast: values that do not convert stop the migration"
                        ),
                        false,
                        true,
                    )),
                    Safety::TimeZone { drops_offset } => {
                        codes.push("time-zone-cast");
                        acc.hazards.push(RawHazard::new(
                            "time-zone-cast",
                            if drops_offset {
                                format!("{what} drops the time zone: each instant becomes the wall-clock time of the session's TimeZone, and which instant it was is lost")
                            } else {
                                format!("{what} reads each value as wall-clock time of the session's TimeZone: the instants stored depend on that setting")
                            },
                            drops_offset,
                            true,
                        ));
                        if precision_narrows(ft, tt) {
                            codes.push("narrowing-cast");
                            acc.hazards.push(RawHazard::new(
                                "narrowing-cast",
                                format!("{what} keeps fewer fractional digits: values are rounded"),
                                true,
                                true,
                            ));
                        }
                    }
                    Safety::JsonNormalized => {
                        codes.push("json-normalized");
                        acc.hazards.push(RawHazard::new(
                            "json-normalized",
                            format!("{what}: jsonb keeps only the last of duplicate keys, reorders keys and drops whitespace"),
                            true,
                            true,
                        ))
                    }
                }
                if !codes.is_empty() {
                    let (old_table, old_col) = ctx.old_names(table, &t.name);
                    if let Some(cond) = changed_rows_sql(&quote_ident(&old_col), ft, tt) {
                        ctx.out.preflight.push(PreflightQuery {
                            kind: PreflightKind::ValueChange,
                            description: format!(
                                "values of {table}.{} changed by {ft} → {tt} ({})",
                                t.name,
                                codes.join(", ")
                            ),
                            sql: format!(
                                "SELECT count(*)::text AS rows FROM {} WHERE {cond}",
                                qname(&old_table)
                            ),
                            null_blocks: false,
                            strict: false,
                        });
                    }
                }
                plain_using(&t.name, ft, tt)
            }
        };
        let fill = if to_required && !null_handled {
            fill_value(ctx, &key, t)
        } else {
            None
        };
        let using = match fill {
            Some((v, why)) => {
                null_handled = true;
                acc.details.push(format!("{}: NULL → {why}", t.name));
                format!("COALESCE({using}, {})", fill_sql(ctx, &key, &v))
            }
            None => using,
        };
        if !(f.ty.is_textual() && t.ty.is_textual() && classify(&f.ty, &t.ty) == Safety::Safe) {
            acc.rewrite.push(t.name.clone());
        }
        acc.subs.push(format!(
            "ALTER COLUMN {c} TYPE {} USING {using}",
            sql_type(&t.ty)
        ));
        if let Some(d) = t.default.as_ref().and_then(|d| default_sql(d, &t.ty)) {
            acc.subs.push(format!("ALTER COLUMN {c} SET DEFAULT {d}"));
        }
    } else if f.default != t.default {
        match t.default.as_ref() {
            Some(DefaultValue::Autoincrement) | None
                if matches!(f.default, Some(DefaultValue::Autoincrement)) =>
            {
                acc.subs.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
            }
            Some(DefaultValue::Autoincrement) => acc.hazards.push(RawHazard::new(
                "not-castable",
                format!(
                    "{table}.{}: turning an existing column into autoincrement is not supported",
                    t.name
                ),
                false,
                true,
            )),
            Some(d) => {
                if let Some(d) = default_sql(d, &t.ty) {
                    acc.subs.push(format!("ALTER COLUMN {c} SET DEFAULT {d}"));
                }
            }
            None => acc.subs.push(format!("ALTER COLUMN {c} DROP DEFAULT")),
        }
    }
    if to_required {
        if !null_handled {
            match fill_value(ctx, &key, t) {
                Some((v, why)) => {
                    acc.details.push(format!("{}: NULL → {why}", t.name));
                    acc.pre.push(format!(
                        "UPDATE {} SET {c} = {} WHERE {c} IS NULL",
                        qname(table),
                        fill_sql(ctx, &key, &v)
                    ));
                }
                None => {
                    acc.hazards.push(RawHazard::new(
                        "set-not-null-on-existing-data",
                        format!("{table}.{} becomes NOT NULL without a default or [fill] value: fails if it holds NULLs", t.name),
                        false,
                        true,
                    ));
                    let (old_table, old_col) = ctx.old_names(table, &t.name);
                    ctx.out.preflight.push(PreflightQuery {
                        kind: PreflightKind::NullsIntoRequired,
                        description: format!("NULLs in {table}.{} (becomes NOT NULL)", t.name),
                        sql: format!(
                            "SELECT count(*)::text AS rows FROM {} WHERE {} IS NULL",
                            qname(&old_table),
                            quote_ident(&old_col)
                        ),
                        null_blocks: true,
                        strict: false,
                    });
                }
            }
        }
        acc.subs.push(format!("ALTER COLUMN {c} SET NOT NULL"));
    } else if !f.nullable.eq(&t.nullable) {
        acc.subs.push(format!("ALTER COLUMN {c} DROP NOT NULL"));
    }
    Ok(())
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
        vec![stmt(sqltext::create_index(table, index))],
    );
    ctx.push(s, meta, hz);
}
