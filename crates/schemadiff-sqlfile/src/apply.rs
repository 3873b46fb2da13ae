//! Replays one statement onto the schema: parsing, dispatch, reports, and the statements
//! that are not table-shaped (`ALTER TYPE`, `DROP …`, `ALTER INDEX`, views, functions…).

use crate::create::{self, rename_enum_refs};
use crate::names::{ident, parts, qualified};
use crate::split::RawStatement;
use crate::{Report, ReportSeverity, alter};
use schemadiff_model::{DefaultValue, NotManaged, QualifiedName, Schema};
use sqlparser::ast::{
    AlterIndexOperation, AlterType, AlterTypeAddValuePosition, AlterTypeOperation, Expr,
    ObjectType, Set, Statement,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// The outcome of applying a statement: `Err` is reported as an error and undone.
pub type Res = Result<(), String>;

/// Per-script session state (a new script is a new session).
pub struct Session {
    /// First schema of `search_path`.
    pub search: String,
    /// Temporary tables created in this script (folded names): they vanish with the session
    /// and never reach the schema, so statements on them are skipped.
    pub temp_tables: Vec<String>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            search: QualifiedName::DEFAULT_SCHEMA.to_string(),
            temp_tables: Vec::new(),
        }
    }

    /// True when `name` (unqualified, or in `pg_temp`) is a temporary table of this session.
    fn is_temp(&self, name: &sqlparser::ast::ObjectName) -> bool {
        let p = parts(name);
        match p.as_slice() {
            [n] => self.temp_tables.contains(n),
            [s, n] if s.starts_with("pg_temp") => self.temp_tables.contains(n),
            _ => false,
        }
    }
}

/// A name as PostgreSQL folds it: quoted names keep their case, others are lower-cased.
fn fold_name(word: &str) -> String {
    let w = word.trim_end_matches(['(', ';']);
    match w.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(q) => q.replace("\"\"", "\""),
        None => w.to_ascii_lowercase(),
    }
}

/// The table name of `CREATE [LOCAL|GLOBAL] TEMP[ORARY] [UNLOGGED] TABLE [IF NOT EXISTS] name …`,
/// if the statement creates a temporary table.
fn temp_table_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().take(10).collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let mut i = 1;
    if upper.first().map(String::as_str) != Some("CREATE") {
        return None;
    }
    if matches!(upper.get(i).map(String::as_str), Some("LOCAL" | "GLOBAL")) {
        i += 1;
    }
    if !matches!(upper.get(i).map(String::as_str), Some("TEMP" | "TEMPORARY")) {
        return None;
    }
    i += 1;
    if upper.get(i).map(String::as_str) == Some("UNLOGGED") {
        i += 1;
    }
    if upper.get(i).map(String::as_str) != Some("TABLE") {
        return None;
    }
    i += 1;
    if upper
        .get(i..i + 3)
        .is_some_and(|w| w == ["IF", "NOT", "EXISTS"])
    {
        i += 3;
    }
    let name = words.get(i)?;
    let name = name.split('(').next().unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or(name);
    Some(fold_name(last))
}

/// The first statement of a `DO` block's body that could change the schema (DDL, or dynamic
/// SQL through `EXECUTE`), as a short excerpt; `None` when the body only reads or writes data.
/// String literals and comments are skipped.
fn do_block_ddl(body: &str) -> Option<String> {
    // Words outside '…' literals and -- comments, with their byte offsets.
    let bytes = body.as_bytes();
    let mut words: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            words.push((start, body[start..i].to_ascii_uppercase()));
        } else {
            i += 1;
        }
    }
    for (k, (at, w)) in words.iter().enumerate() {
        let next = words.get(k + 1).map(|x| x.1.as_str());
        let ddl = match w.as_str() {
            "CREATE" | "ALTER" | "DROP" => !matches!(next, Some("TEMP" | "TEMPORARY")),
            "EXECUTE" | "COMMENT" | "GRANT" | "REVOKE" => true,
            _ => false,
        };
        // `ALTER`/`CREATE` right after a `;`-less keyword like `ON CONFLICT … DO` cannot occur;
        // a statement start is enough here.
        if ddl {
            let end = body[*at..].find(';').map_or(body.len(), |e| at + e);
            return Some(excerpt(&body[*at..end]));
        }
    }
    None
}

/// What a statement handler works on.
pub struct Ctx<'a> {
    pub schema: &'a mut Schema,
    pub search: &'a str,
    /// Reasons the statement was not fully modelled.
    pub notes: Vec<String>,
}

impl Ctx<'_> {
    /// Records that part of the statement was not modelled.
    pub fn note(&mut self, reason: String) {
        self.notes.push(reason);
    }

    /// Records an object the model does not manage.
    pub fn not_managed(&mut self, kind: &str, name: QualifiedName, detail: String) {
        self.schema
            .not_managed
            .retain(|n| !(n.kind == kind && n.name == name));
        self.schema.not_managed.push(NotManaged {
            kind: kind.to_string(),
            name,
            detail,
        });
    }

    fn forget(&mut self, kind: &str, name: &QualifiedName) -> bool {
        let before = self.schema.not_managed.len();
        self.schema
            .not_managed
            .retain(|n| !(n.kind == kind && &n.name == name));
        before != self.schema.not_managed.len()
    }
}

fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        let cut: String = flat.chars().take(77).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// Parses and applies one statement, appending reports.
pub fn statement(
    file: &str,
    raw: &RawStatement,
    schema: &mut Schema,
    reports: &mut Vec<Report>,
    session: &mut Session,
) {
    let report = |reason: String, severity| Report {
        file: file.to_string(),
        line: raw.line,
        statement: excerpt(&raw.text),
        reason,
        severity,
    };
    let words: Vec<String> = raw
        .text
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // A temporary table vanishes with the session: it never changes the schema, whatever its
    // definition (`… ON COMMIT DROP AS SELECT …` included).
    if let Some(name) = temp_table_name(&raw.text) {
        session.temp_tables.push(name);
        return;
    }
    // A `DO` block is procedural code: skipped when it only touches data, reported as an
    // error when it could change the schema (the offline reader cannot run it).
    if words.first() == Some(&"DO") {
        if let Some(ddl) = do_block_ddl(&raw.text) {
            reports.push(report(
                format!(
                    "cannot interpret a DO block that changes the schema ({ddl}); replay the migrations on a server with --shadow-db URL, or write the change as plain SQL"
                ),
                ReportSeverity::Error,
            ));
        }
        return;
    }
    // sqlparser reads `DROP INDEX CONCURRENTLY x` as an index named "concurrently".
    let text = if words.starts_with(&["DROP", "INDEX", "CONCURRENTLY"]) {
        let at = raw
            .text
            .to_ascii_uppercase()
            .find("CONCURRENTLY")
            .unwrap_or(0);
        format!(
            "{}{}",
            &raw.text[..at],
            &raw.text[at + "CONCURRENTLY".len()..]
        )
    } else {
        raw.text.clone()
    };
    let parsed = match Parser::parse_sql(&PostgreSqlDialect {}, &text) {
        Ok(p) => p,
        Err(e) => {
            if words.starts_with(&["ALTER", "SEQUENCE"])
                && alter_sequence_owned_by(&raw.text, schema, &session.search)
            {
                return;
            }
            let upper = raw.text.to_ascii_uppercase();
            let unsupported = match words.as_slice() {
                ["DO", ..] => Some("DO block (procedural code) is not modelled"),
                ["ALTER", "SEQUENCE", ..] => {
                    Some("ALTER SEQUENCE (sequence options) is not modelled")
                }
                ["ALTER", _, ..] if upper.contains(" OWNER TO ") => {
                    Some("ownership (OWNER TO) is not modelled")
                }
                ["REINDEX", ..] => Some("REINDEX does not change the schema"),
                _ => None,
            };
            reports.push(match unsupported {
                Some(reason) => report(reason.into(), ReportSeverity::Unsupported),
                None => report(format!("cannot parse: {e}"), ReportSeverity::Error),
            });
            return;
        }
    };
    for stmt in &parsed {
        let backup = schema.clone();
        let search = session.search.clone();
        let mut ctx = Ctx {
            schema,
            search: &search,
            notes: Vec::new(),
        };
        let result = dispatch(&mut ctx, stmt, session);
        let notes = std::mem::take(&mut ctx.notes);
        match result {
            Ok(()) => {
                for t in schema.tables.values_mut() {
                    t.canonicalize();
                }
                for n in notes {
                    reports.push(report(n, ReportSeverity::Unsupported));
                }
            }
            Err(e) => {
                *schema = backup;
                reports.push(report(e, ReportSeverity::Error));
            }
        }
    }
}

fn dispatch(ctx: &mut Ctx, stmt: &Statement, session: &mut Session) -> Res {
    // Statements on this script's temporary tables never reach the schema.
    match stmt {
        Statement::CreateIndex(ci) if session.is_temp(&ci.table_name) => return Ok(()),
        Statement::AlterTable(at) if session.is_temp(&at.name) => return Ok(()),
        Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } if !names.is_empty() && names.iter().all(|n| session.is_temp(n)) => return Ok(()),
        _ => {}
    }
    match stmt {
        Statement::CreateType {
            name,
            representation,
        } => create::create_type(ctx, name, representation),
        Statement::AlterType(at) => alter_type(ctx, at),
        Statement::CreateTable(ct) => create::create_table(ctx, ct),
        Statement::AlterTable(at) => alter::alter_table(ctx, at),
        Statement::CreateIndex(ci) => create::create_index(ctx, ci),
        Statement::AlterIndex {
            name,
            operation: AlterIndexOperation::RenameIndex { index_name },
        } => alter::rename_index(ctx, name, index_name),
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => {
            for n in names {
                drop(ctx, *object_type, n, *if_exists, *cascade)?;
            }
            Ok(())
        }
        Statement::CreateView(v) => {
            let q = qualified(&v.name, ctx.search);
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            ctx.note(format!("{kind} {q} is not managed"));
            ctx.not_managed("view", q, kind.to_string());
            Ok(())
        }
        Statement::CreateFunction(f) => {
            let q = qualified(&f.name, ctx.search);
            ctx.note(format!("function {q} is not managed"));
            ctx.not_managed("function", q, "function".into());
            Ok(())
        }
        Statement::CreateTrigger(t) => {
            let tq = qualified(&t.table_name, ctx.search);
            let name = parts(&t.name).last().cloned().unwrap_or_default();
            ctx.note(format!("trigger {name} on {tq} is not managed"));
            let q = QualifiedName::new(tq.schema.clone(), format!("{}.{name}", tq.name));
            ctx.not_managed("trigger", q, format!("trigger on {tq}"));
            Ok(())
        }
        Statement::CreatePolicy(p) => {
            let tq = qualified(&p.table_name, ctx.search);
            let name = ident(&p.name);
            ctx.note(format!("policy {name} on {tq} is not managed"));
            let q = QualifiedName::new(tq.schema.clone(), format!("{}.{name}", tq.name));
            ctx.not_managed("policy", q, format!("policy on {tq}"));
            Ok(())
        }
        Statement::CreateSequence { name, .. } => {
            // Listed in not_managed (the report of every command) without a note here:
            // a later `ALTER SEQUENCE … OWNED BY` may still attach it to a column.
            let q = qualified(name, ctx.search);
            ctx.not_managed("sequence", q, "sequence".into());
            Ok(())
        }
        Statement::DropFunction(df) => {
            for f in &df.func_desc {
                let q = qualified(&f.name, ctx.search);
                if !ctx.forget("function", &q) && !df.if_exists {
                    return Err(format!("function {q} does not exist"));
                }
            }
            Ok(())
        }
        Statement::DropTrigger(dt) => {
            let name = parts(&dt.trigger_name).last().cloned().unwrap_or_default();
            if let Some(t) = &dt.table_name {
                let tq = qualified(t, ctx.search);
                let q = QualifiedName::new(tq.schema.clone(), format!("{}.{name}", tq.name));
                if !ctx.forget("trigger", &q) && !dt.if_exists {
                    return Err(format!("trigger {name} on {tq} does not exist"));
                }
            }
            Ok(())
        }
        Statement::DropPolicy(dp) => {
            let tq = qualified(&dp.table_name, ctx.search);
            let q = QualifiedName::new(
                tq.schema.clone(),
                format!("{}.{}", tq.name, ident(&dp.name)),
            );
            if !ctx.forget("policy", &q) && !dp.if_exists {
                return Err(format!("policy {} on {tq} does not exist", ident(&dp.name)));
            }
            Ok(())
        }
        Statement::Set(Set::SingleAssignment {
            variable, values, ..
        }) if parts(variable).join(".") == "search_path" => {
            let first = values.first().and_then(|v| match v {
                Expr::Identifier(i) => Some(ident(i)),
                Expr::Value(v) => v.value.clone().into_string(),
                _ => None,
            });
            if let Some(s) = first.filter(|s| !s.is_empty() && s != "\"$user\"" && s != "$user") {
                session.search = s;
            }
            Ok(())
        }
        // Statements that do not change the schema's shape.
        Statement::Set(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Query(_)
        | Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_)
        | Statement::Truncate(_)
        | Statement::CreateSchema { .. } => Ok(()),
        other => {
            let kind = other
                .to_string()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            ctx.note(format!("{kind} statement is not modelled"));
            Ok(())
        }
    }
}

/// `ALTER SEQUENCE s OWNED BY t.c`, which sqlparser does not parse: the sequence becomes
/// owned by a column and leaves `not_managed`. Returns false for any other statement.
fn alter_sequence_owned_by(text: &str, schema: &mut Schema, search: &str) -> bool {
    let parse =
        || -> Result<Option<(QualifiedName, Vec<String>)>, sqlparser::parser::ParserError> {
            let mut p = Parser::new(&PostgreSqlDialect {}).try_with_sql(text)?;
            p.expect_keywords(&[Keyword::ALTER, Keyword::SEQUENCE])?;
            let _ = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let name = p.parse_object_name(false)?;
            if !p.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
                return Ok(None);
            }
            let target = p.parse_object_name(false)?;
            if p.peek_token().token != Token::EOF {
                return Ok(None);
            }
            Ok(Some((qualified(&name, search), parts(&target))))
        };
    let Ok(Some((seq, target))) = parse() else {
        return false;
    };
    if target.len() < 2 {
        // OWNED BY NONE: the sequence stays (or becomes) free-standing.
        return false;
    }
    schema
        .not_managed
        .retain(|n| !(n.kind == "sequence" && n.name == seq));
    true
}

fn alter_type(ctx: &mut Ctx, at: &AlterType) -> Res {
    let q = qualified(&at.name, ctx.search);
    let Some(e) = ctx.schema.enums.get_mut(&q) else {
        return Err(format!("enum type {q} does not exist"));
    };
    match &at.operation {
        AlterTypeOperation::AddValue(add) => {
            let v = add.value.value.clone();
            if e.values.contains(&v) {
                return if add.if_not_exists {
                    Ok(())
                } else {
                    Err(format!("enum label {v} already exists"))
                };
            }
            let at = match &add.position {
                None => e.values.len(),
                Some(AlterTypeAddValuePosition::Before(b)) => e
                    .values
                    .iter()
                    .position(|x| *x == b.value)
                    .ok_or_else(|| format!("{} is not an existing enum label", b.value))?,
                Some(AlterTypeAddValuePosition::After(a)) => {
                    e.values
                        .iter()
                        .position(|x| *x == a.value)
                        .ok_or_else(|| format!("{} is not an existing enum label", a.value))?
                        + 1
                }
            };
            e.values.insert(at, v);
        }
        AlterTypeOperation::RenameValue(rv) => {
            let (from, to) = (rv.from.value.clone(), rv.to.value.clone());
            if e.values.contains(&to) {
                return Err(format!("enum label {to} already exists"));
            }
            let slot = e
                .values
                .iter_mut()
                .find(|x| **x == from)
                .ok_or_else(|| format!("{from} is not an existing enum label"))?;
            *slot = to.clone();
            for t in ctx.schema.tables.values_mut() {
                for c in &mut t.columns {
                    if c.ty.enum_name() == Some(&q) {
                        rename_label(&mut c.default, &from, &to);
                    }
                }
            }
        }
        AlterTypeOperation::Rename(r) => {
            let to = QualifiedName::new(q.schema.clone(), ident(&r.new_name));
            if ctx.schema.enums.contains_key(&to) || ctx.schema.tables.contains_key(&to) {
                return Err(format!("type {to} already exists"));
            }
            let mut e = ctx.schema.enums.remove(&q).expect("checked above");
            e.name = to.clone();
            ctx.schema.add_enum(e);
            rename_enum_refs(ctx.schema, &q, &to);
        }
    }
    Ok(())
}

fn rename_label(d: &mut Option<DefaultValue>, from: &str, to: &str) {
    match d {
        Some(DefaultValue::EnumValue(v)) if v == from => *v = to.to_string(),
        Some(DefaultValue::List(items)) => {
            for i in items {
                if let DefaultValue::EnumValue(v) = i
                    && v == from
                {
                    *v = to.to_string();
                }
            }
        }
        _ => {}
    }
}

fn drop(
    ctx: &mut Ctx,
    kind: ObjectType,
    name: &sqlparser::ast::ObjectName,
    if_exists: bool,
    cascade: bool,
) -> Res {
    let q = qualified(name, ctx.search);
    match kind {
        ObjectType::Table => alter::drop_table(ctx, &q, if_exists, cascade),
        ObjectType::Index => alter::drop_index(ctx, &q, if_exists),
        ObjectType::Type => {
            if ctx.schema.enums.remove(&q).is_none() {
                return if if_exists {
                    Ok(())
                } else {
                    Err(format!("type {q} does not exist"))
                };
            }
            let used = ctx.schema.tables.values().find_map(|t| {
                t.columns
                    .iter()
                    .find(|c| c.ty.enum_name() == Some(&q))
                    .map(|c| format!("{}.{}", t.name, c.name))
            });
            match used {
                Some(col) if !cascade => Err(format!(
                    "cannot drop type {q} because column {col} depends on it"
                )),
                Some(_) => {
                    ctx.note(format!("DROP TYPE {q} CASCADE drops columns; not modelled"));
                    Ok(())
                }
                None => Ok(()),
            }
        }
        ObjectType::View | ObjectType::MaterializedView => {
            if !ctx.forget("view", &q) && !if_exists {
                return Err(format!("view {q} does not exist"));
            }
            Ok(())
        }
        ObjectType::Sequence => {
            // Sequences owned by serial columns are not in the model; others are not managed.
            ctx.forget("sequence", &q);
            Ok(())
        }
        ObjectType::Schema => {
            ctx.note(format!("DROP SCHEMA {} is not modelled", q.name));
            Ok(())
        }
        other => {
            ctx.note(format!("DROP {other} is not modelled"));
            Ok(())
        }
    }
}
