//! Compares a model with a real database through plain catalog queries.
//!
//! Both sides are printed in the same line format: the model directly, the database by
//! mapping `format_type()` and `pg_get_expr()` output back to model values the way
//! docs/model.md says introspection does. Equal text means equal schemas (for everything the
//! model holds; not-managed objects are compared by kind and name).

use schemadiff_model::{ColumnType, DefaultValue, QualifiedName, ReferentialAction, Schema};
use schemadiff_testkit::TestDb;
use std::fmt::Write;

const USER_NS: &str = "n.nspname not in ('pg_catalog', 'information_schema') \
     and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'";

/// The model, printed for comparison.
pub fn model_view(s: &Schema) -> String {
    let mut out = String::new();
    for e in s.enums.values() {
        writeln!(
            out,
            "enum {}.{}: {}",
            e.name.schema,
            e.name.name,
            e.values.join(",")
        )
        .unwrap();
    }
    for t in s.tables.values() {
        writeln!(out, "table {}.{}", t.name.schema, t.name.name).unwrap();
        for c in &t.columns {
            column_line(&mut out, &c.name, &c.ty, c.nullable, &c.default);
        }
        if let Some(p) = &t.primary_key {
            writeln!(out, "  pk {} ({})", p.name, p.columns.join(",")).unwrap();
        }
        for i in &t.indexes {
            let cols: Vec<String> = i
                .columns
                .iter()
                .map(|c| {
                    let mut s = c.name.clone();
                    if c.sort == schemadiff_model::SortOrder::Desc {
                        s.push_str(" DESC");
                    }
                    if let Some(o) = &c.opclass {
                        s.push(' ');
                        s.push_str(o);
                    }
                    s
                })
                .collect();
            let u = if i.unique { "unique " } else { "" };
            writeln!(
                out,
                "  index {} {u}{} ({})",
                i.name,
                i.method.sql_name(),
                cols.join(",")
            )
            .unwrap();
        }
        for f in &t.foreign_keys {
            writeln!(
                out,
                "  fk {} ({}) -> {}.{}({}) delete={:?} update={:?}",
                f.name,
                f.columns.join(","),
                f.referenced_table.schema,
                f.referenced_table.name,
                f.referenced_columns.join(","),
                f.on_delete,
                f.on_update
            )
            .unwrap();
        }
    }
    let mut nm: Vec<String> = s
        .not_managed
        .iter()
        .map(|n| format!("not_managed {} {}.{}", n.kind, n.name.schema, n.name.name))
        .collect();
    nm.sort();
    for l in nm {
        writeln!(out, "{l}").unwrap();
    }
    out
}

fn column_line(
    out: &mut String,
    name: &str,
    ty: &ColumnType,
    nullable: bool,
    d: &Option<DefaultValue>,
) {
    let null = if nullable { "null" } else { "not null" };
    writeln!(out, "  column {name} {ty:?} {null} default={d:?}").unwrap();
}

/// The database `db`, printed for comparison.
pub fn db_view(db: &TestDb) -> String {
    let mut out = String::new();
    let enums = db.rows(&format!(
        "select n.nspname, t.typname, array_to_string(array(select e.enumlabel from pg_enum e \
         where e.enumtypid = t.oid order by e.enumsortorder), ',') \
         from pg_type t join pg_namespace n on n.oid = t.typnamespace \
         where t.typtype = 'e' and {USER_NS} order by n.nspname::text collate \"C\", t.typname::text collate \"C\""
    ));
    for r in &enums {
        writeln!(out, "enum {}.{}: {}", s(&r[0]), s(&r[1]), s(&r[2])).unwrap();
    }
    let tables = db.rows(&format!(
        "select n.nspname, c.relname, c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and {USER_NS} order by n.nspname::text collate \"C\", c.relname::text collate \"C\""
    ));
    for t in &tables {
        let oid = s(&t[2]);
        writeln!(out, "table {}.{}", s(&t[0]), s(&t[1])).unwrap();
        let cols = db.rows(&format!(
            "select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
             pg_get_expr(d.adbin, d.adrelid), \
             case when bt.typtype = 'e' then btn.nspname end, case when bt.typtype = 'e' then bt.typname end \
             from pg_attribute a join pg_type t on t.oid = a.atttypid \
             join pg_type bt on bt.oid = case when t.typcategory = 'A' then t.typelem else t.oid end \
             join pg_namespace btn on btn.oid = bt.typnamespace \
             left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
             where a.attrelid = {oid} and a.attnum > 0 and not a.attisdropped order by a.attnum"
        ));
        for c in &cols {
            let enum_name = c[4]
                .as_ref()
                .map(|sch| QualifiedName::new(sch.clone(), s(&c[5])));
            let ty = type_from(&s(&c[1]), enum_name.as_ref());
            let d = c[3].as_deref().map(|e| default_from(e, &ty));
            column_line(&mut out, &s(&c[0]), &ty, c[2].as_deref() != Some("t"), &d);
        }
        for p in db.rows(&format!(
            "select c.conname, array_to_string(array(select a.attname from unnest(c.conkey) with ordinality k(n, o) \
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o), ',') \
             from pg_constraint c where c.conrelid = {oid} and c.contype = 'p'"
        )) {
            writeln!(out, "  pk {} ({})", s(&p[0]), s(&p[1])).unwrap();
        }
        for i in db.rows(&format!(
            "select i.relname, ix.indisunique, am.amname, array_to_string(array( \
               select pg_get_indexdef(ix.indexrelid, k + 1, true) \
                 || case when ix.indoption[k] & 1 = 1 then ' DESC' else '' end \
                 || coalesce((select ' ' || o.opcname from pg_opclass o where o.oid = ix.indclass[k] and not o.opcdefault), '') \
               from generate_subscripts(ix.indkey, 1) k order by k), ',') \
             from pg_index ix join pg_class i on i.oid = ix.indexrelid join pg_am am on am.oid = i.relam \
             where ix.indrelid = {oid} and not ix.indisprimary and ix.indpred is null and ix.indexprs is null \
             order by i.relname::text collate \"C\""
        )) {
            let u = if i[1].as_deref() == Some("t") { "unique " } else { "" };
            let cols = s(&i[3]).replace('"', "");
            writeln!(out, "  index {} {u}{} ({cols})", s(&i[0]), s(&i[2])).unwrap();
        }
        let cols_of = |rel: &str, arr: &str| {
            format!(
                "array_to_string(array(select a.attname from unnest(c.{arr}) with ordinality k(n, o) \
                 join pg_attribute a on a.attrelid = c.{rel} and a.attnum = k.n order by k.o), ',')"
            )
        };
        for f in db.rows(&format!(
            "select c.conname, {}, rn.nspname, r.relname, {}, c.confdeltype, c.confupdtype \
             from pg_constraint c join pg_class r on r.oid = c.confrelid join pg_namespace rn on rn.oid = r.relnamespace \
             where c.conrelid = {oid} and c.contype = 'f' order by c.conname::text collate \"C\"",
            cols_of("conrelid", "conkey"),
            cols_of("confrelid", "confkey")
        )) {
            writeln!(
                out,
                "  fk {} ({}) -> {}.{}({}) delete={:?} update={:?}",
                s(&f[0]),
                s(&f[1]),
                s(&f[2]),
                s(&f[3]),
                s(&f[4]),
                action(&s(&f[5])),
                action(&s(&f[6]))
            )
            .unwrap();
        }
    }
    let mut nm = Vec::new();
    let q = |sql: String| db.rows(&sql);
    for r in q(format!(
        "select 'view', n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('v', 'm') and {USER_NS} \
         union all select 'function', n.nspname, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
         where {USER_NS} and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') \
         union all select 'trigger', n.nspname, c.relname || '.' || t.tgname from pg_trigger t \
         join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal \
         union all select 'policy', schemaname, tablename || '.' || policyname from pg_policies \
         union all select 'sequence', n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind = 'S' and {USER_NS} and not exists (select 1 from pg_depend d where d.objid = c.oid \
         and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')) \
         union all select 'index', n.nspname, i.relname from pg_index ix join pg_class i on i.oid = ix.indexrelid \
         join pg_namespace n on n.oid = i.relnamespace where {USER_NS} and (ix.indpred is not null or ix.indexprs is not null)"
    )) {
        nm.push(format!(
            "not_managed {} {}.{}",
            s(&r[0]),
            s(&r[1]),
            s(&r[2])
        ));
    }
    nm.sort();
    for l in nm {
        writeln!(out, "{l}").unwrap();
    }
    out
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn action(c: &str) -> ReferentialAction {
    match c {
        "c" => ReferentialAction::Cascade,
        "r" => ReferentialAction::Restrict,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

fn modifier(t: &str, base: &str) -> Option<Option<String>> {
    let rest = t.strip_prefix(base)?;
    if rest.is_empty() {
        return Some(None);
    }
    Some(Some(rest.strip_prefix('(')?.split(')').next()?.to_string()))
}

/// `format_type()` text → model type (docs/model.md, "Introspection maps…").
fn type_from(t: &str, enum_name: Option<&QualifiedName>) -> ColumnType {
    if let Some(inner) = t.strip_suffix("[]") {
        return ColumnType::Array(Box::new(type_from(inner, enum_name)));
    }
    if let Some(e) = enum_name {
        return ColumnType::Enum(e.clone());
    }
    let num = |m: Option<String>| m.and_then(|v| v.parse::<u32>().ok());
    let with_tz = t.ends_with(" with time zone");
    let t0 = t
        .trim_end_matches(" with time zone")
        .trim_end_matches(" without time zone");
    match t0 {
        "text" => return ColumnType::Text,
        "boolean" => return ColumnType::Boolean,
        "smallint" => return ColumnType::SmallInt,
        "integer" => return ColumnType::Integer,
        "bigint" => return ColumnType::BigInt,
        "real" => return ColumnType::Real,
        "double precision" => return ColumnType::DoublePrecision,
        "money" => return ColumnType::Money,
        "date" => return ColumnType::Date,
        "json" => return ColumnType::Json,
        "jsonb" => return ColumnType::Jsonb,
        "uuid" => return ColumnType::Uuid,
        "bytea" => return ColumnType::Bytea,
        "inet" => return ColumnType::Inet,
        "xml" => return ColumnType::Xml,
        "citext" => return ColumnType::Citext,
        "oid" => return ColumnType::Oid,
        _ => {}
    }
    if let Some(m) = modifier(t0, "character varying") {
        return ColumnType::VarChar(num(m));
    }
    if let Some(m) = modifier(t0, "character") {
        return ColumnType::Char(num(m));
    }
    if let Some(m) = modifier(t0, "numeric") {
        return ColumnType::Decimal(m.and_then(|v| {
            let (p, s) = v.split_once(',')?;
            Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
        }));
    }
    if let Some(m) = modifier(t0, "timestamp") {
        return if with_tz {
            ColumnType::Timestamptz(num(m))
        } else {
            ColumnType::Timestamp(num(m))
        };
    }
    if let Some(m) = modifier(t0, "time") {
        return if with_tz {
            ColumnType::Timetz(num(m))
        } else {
            ColumnType::Time(num(m))
        };
    }
    ColumnType::Other(t.to_string())
}

fn is_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Splits `s` at top-level commas (outside quotes and brackets).
fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0, false);
    for c in s.chars() {
        match c {
            '\'' => quoted = !quoted,
            '[' | '(' if !quoted => depth += 1,
            ']' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// `pg_get_expr()` text of a default → model default (docs/model.md, "Defaults").
fn default_from(e: &str, ty: &ColumnType) -> DefaultValue {
    let elem = match ty {
        ColumnType::Array(inner) => Some(inner.as_ref()),
        _ => None,
    };
    if e.starts_with("nextval(") {
        return DefaultValue::Autoincrement;
    }
    if e == "now()" || e == "CURRENT_TIMESTAMP" {
        return DefaultValue::Now;
    }
    if e == "true" || e == "false" {
        return DefaultValue::Boolean(e == "true");
    }
    if is_number(e) {
        return DefaultValue::Number(e.to_string());
    }
    if let (Some(body), Some(elem)) = (e.strip_prefix("ARRAY["), elem) {
        let body = body.split("]").next().unwrap_or("");
        return DefaultValue::List(
            split_top(body)
                .iter()
                .map(|x| default_from(x, elem))
                .collect(),
        );
    }
    if let Some(rest) = e.strip_prefix('\'') {
        let (lit, cast) = match rest.rfind("'::") {
            Some(i) => (&rest[..i], &rest[i + 3..]),
            None => (rest.strip_suffix('\'').unwrap_or(rest), ""),
        };
        let lit = lit.replace("''", "'");
        if let Some(elem) = elem {
            let inner = lit.trim_start_matches('{').trim_end_matches('}');
            let items = if inner.is_empty() {
                vec![]
            } else {
                inner.split(',').map(str::to_string).collect()
            };
            return DefaultValue::List(
                items
                    .iter()
                    .map(|i| match elem {
                        ColumnType::Enum(_) => DefaultValue::EnumValue(i.clone()),
                        ColumnType::Integer
                        | ColumnType::BigInt
                        | ColumnType::SmallInt
                        | ColumnType::Decimal(_) => DefaultValue::Number(i.clone()),
                        _ => DefaultValue::String(i.clone()),
                    })
                    .collect(),
            );
        }
        if matches!(ty, ColumnType::Enum(_)) {
            return DefaultValue::EnumValue(lit);
        }
        if is_number(&lit) && matches!(cast, "integer" | "bigint" | "smallint" | "numeric") {
            return DefaultValue::Number(lit);
        }
        return DefaultValue::String(lit);
    }
    DefaultValue::Expression(e.to_string())
}
