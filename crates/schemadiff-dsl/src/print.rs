//! The printer: writes a [`Schema`] as schema text (used by `inspect` and drift output).
//!
//! Model names are table names and field names are column names; names that are not valid
//! identifiers are sanitized and kept with `@@map` / `@map`. Every foreign key becomes a
//! relation field on both sides (named when two relations connect the same tables), implicit
//! many-to-many tables become list fields, and constraint names are written with `map:` only
//! when they differ from the default. Loading the printed text gives back the same schema.

use crate::ast::escape;
use crate::validate::types::scalar_for;
use schemadiff_model::{
    ColumnType, DefaultValue, ForeignKey, Index, IndexMethod, QualifiedName, ReferentialAction,
    Schema, SortOrder, Table, constraint_name,
};
use std::collections::{BTreeMap, BTreeSet};

/// One entry of the datasource's `extensions` list.
fn extension_text(e: &schemadiff_model::Extension) -> String {
    let plain = e
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && e.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut args = Vec::new();
    let name = if plain {
        e.name.clone()
    } else {
        args.push(format!("map: \"{}\"", escape(&e.name)));
        sanitize(&e.name, 'X')
    };
    if let Some(s) = &e.schema {
        args.push(format!("schema: \"{}\"", escape(s)));
    }
    if let Some(v) = &e.version {
        args.push(format!("version: \"{}\"", escape(v)));
    }
    if args.is_empty() {
        name
    } else {
        format!("{name}({})", args.join(", "))
    }
}

/// Writes a schema as formatted schema text, starting with a PostgreSQL datasource block.
pub fn print_schema(schema: &Schema) -> String {
    let mut out = String::from(
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n",
    );
    if let Some(list) = schema.extensions.as_ref().filter(|l| !l.is_empty()) {
        let items: Vec<String> = list.values().map(extension_text).collect();
        out.push_str(&format!("  extensions = [{}]\n", items.join(", ")));
    }
    out.push_str("}\n");
    // DSL names for enums and tables; models and enums share one namespace.
    let mut used = BTreeSet::new();
    let mut enum_names: BTreeMap<&QualifiedName, String> = BTreeMap::new();
    for e in schema.enums.keys() {
        enum_names.insert(e, unique(sanitize(&e.name, 'E'), &mut used));
    }
    let joins: BTreeMap<&QualifiedName, JoinTable> = schema
        .tables
        .values()
        .filter_map(|t| join_table(schema, t).map(|j| (&t.name, j)))
        .collect();
    let mut model_names: BTreeMap<&QualifiedName, String> = BTreeMap::new();
    for t in schema.tables.keys().filter(|t| !joins.contains_key(t)) {
        model_names.insert(t, unique(sanitize(&t.name, 'M'), &mut used));
    }
    for (qn, e) in &schema.enums {
        let name = &enum_names[qn];
        out.push_str(&format!("\nenum {name} {{\n"));
        let mut vals = BTreeSet::new();
        for v in &e.values {
            let dsl = unique(sanitize(v, 'V'), &mut vals);
            if &dsl == v {
                out.push_str(&format!("  {v}\n"));
            } else {
                out.push_str(&format!("  {dsl} @map(\"{}\")\n", escape(v)));
            }
        }
        trailer(&mut out, name, &qn.name, &qn.schema);
        out.push_str("}\n");
    }
    let ctx = Ctx {
        schema,
        enum_names: &enum_names,
        model_names: &model_names,
    };
    let relations = relation_fields(&ctx, &joins);
    let notes = unprintable(&ctx);
    if !notes.is_empty() {
        out.push_str("\n// Not expressible in the schema language (present in the database, not written below):\n");
        for n in notes {
            out.push_str(&format!("//   {n}\n"));
        }
    }
    for (qn, t) in &schema.tables {
        let Some(model) = model_names.get(qn) else {
            continue;
        };
        out.push('\n');
        out.push_str(&model_block(
            &ctx,
            t,
            model,
            relations.get(qn).map(Vec::as_slice).unwrap_or(&[]),
        ));
    }
    crate::format::format(&out).unwrap_or(out)
}

/// What the printed text cannot say, one line each, so that nothing is left out silently:
/// foreign keys that are not relations the language can express, and list columns that are
/// `NOT NULL` (lists are always nullable in the language).
fn unprintable(ctx: &Ctx<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    for (qn, t) in &ctx.schema.tables {
        if !ctx.model_names.contains_key(qn) {
            continue;
        }
        for fk in &t.foreign_keys {
            let expressible = ctx.model_names.contains_key(&fk.referenced_table)
                && ctx
                    .schema
                    .table(&fk.referenced_table)
                    .is_some_and(|target| fk_printable(t, target, fk));
            if !expressible {
                notes.push(format!(
                    "foreign key {} on {} ({}) references {} ({})",
                    fk.name,
                    qn,
                    fk.columns.join(", "),
                    fk.referenced_table,
                    fk.referenced_columns.join(", ")
                ));
            }
        }
        for c in t
            .columns
            .iter()
            .filter(|c| matches!(c.ty, ColumnType::Array(_)) && !c.nullable)
        {
            notes.push(format!("list column {}.{} is NOT NULL", qn, c.name));
        }
    }
    notes
}

struct Ctx<'a> {
    schema: &'a Schema,
    enum_names: &'a BTreeMap<&'a QualifiedName, String>,
    model_names: &'a BTreeMap<&'a QualifiedName, String>,
}

/// An implicit many-to-many table `_AToB` / `_Name` recognised in the schema.
struct JoinTable {
    a: QualifiedName,
    b: QualifiedName,
    name: Option<String>,
}

fn join_table(schema: &Schema, t: &Table) -> Option<JoinTable> {
    let n = &t.name.name;
    let rest = n.strip_prefix('_')?;
    let cols: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    if cols != ["A", "B"] || t.columns.iter().any(|c| c.nullable || c.default.is_some()) {
        return None;
    }
    let pk = t.primary_key.as_ref()?;
    if pk.columns != ["A", "B"] || pk.name != constraint_name(n, &["AB"], "pkey") {
        return None;
    }
    if t.indexes.len() != 1
        || t.indexes[0].name != constraint_name(n, &["B"], "index")
        || t.indexes[0].column_names() != ["B"]
    {
        return None;
    }
    let fk = |c: &str| {
        t.foreign_keys.iter().find(|f| {
            f.columns == [c]
                && f.name == constraint_name(n, &[c], "fkey")
                && f.on_delete == ReferentialAction::Cascade
                && f.on_update == ReferentialAction::Cascade
        })
    };
    let (fa, fb) = (fk("A")?, fk("B")?);
    if t.foreign_keys.len() != 2 {
        return None;
    }
    for (f, col) in [(fa, &t.columns[0]), (fb, &t.columns[1])] {
        let target = schema.table(&f.referenced_table)?;
        let tpk = target.primary_key.as_ref()?;
        if tpk.columns != f.referenced_columns
            || tpk.columns.len() != 1
            || target.column(&tpk.columns[0])?.ty != col.ty
        {
            return None;
        }
        if f.referenced_table.schema != t.name.schema {
            return None;
        }
    }
    let (a, b) = (fa.referenced_table.clone(), fb.referenced_table.clone());
    // Model names of printed tables are their sanitized names; require them to be exact.
    if sanitize(&a.name, 'M') != a.name || sanitize(&b.name, 'M') != b.name || a.name > b.name {
        return None;
    }
    let name = if rest == format!("{}To{}", a.name, b.name) {
        None
    } else {
        Some(rest.to_string())
    };
    if name.as_ref().is_some_and(|x| x.contains('"')) || (a == b && name.is_none()) {
        return None;
    }
    Some(JoinTable { a, b, name })
}

/// A relation field to add to a model.
struct RelField {
    name: String,
    ty: String,
    attr: Option<String>,
}

fn relation_fields<'a>(
    ctx: &Ctx<'a>,
    joins: &BTreeMap<&'a QualifiedName, JoinTable>,
) -> BTreeMap<QualifiedName, Vec<RelField>> {
    let mut out: BTreeMap<QualifiedName, Vec<RelField>> = BTreeMap::new();
    let mut taken: BTreeMap<QualifiedName, BTreeSet<String>> = BTreeMap::new();
    for (qn, t) in &ctx.schema.tables {
        if ctx.model_names.contains_key(qn) {
            let names = taken.entry(qn.clone()).or_default();
            for c in &t.columns {
                names.insert(sanitize(&c.name, 'f'));
            }
        }
    }
    // How many relations connect each unordered pair of tables (names are needed when > 1).
    let mut pair_count: BTreeMap<(QualifiedName, QualifiedName), usize> = BTreeMap::new();
    let pair = |a: &QualifiedName, b: &QualifiedName| {
        if a <= b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        }
    };
    for (qn, t) in &ctx.schema.tables {
        if !ctx.model_names.contains_key(qn) {
            continue;
        }
        for fk in t
            .foreign_keys
            .iter()
            .filter(|f| ctx.model_names.contains_key(&f.referenced_table))
        {
            *pair_count
                .entry(pair(qn, &fk.referenced_table))
                .or_default() += 1;
        }
    }
    for j in joins.values() {
        *pair_count.entry(pair(&j.a, &j.b)).or_default() += 1;
    }
    for (qn, t) in &ctx.schema.tables {
        let Some(model) = ctx.model_names.get(qn) else {
            continue;
        };
        for fk in &t.foreign_keys {
            let Some(target) = ctx.model_names.get(&fk.referenced_table) else {
                continue;
            };
            let Some(target_table) = ctx.schema.table(&fk.referenced_table) else {
                continue;
            };
            if !fk_printable(t, target_table, fk) {
                continue;
            }
            let named = pair_count
                .get(&pair(qn, &fk.referenced_table))
                .copied()
                .unwrap_or(0)
                > 1
                || qn == &fk.referenced_table;
            let rel_name = named.then(|| fk.name.clone());
            let optional = fk
                .columns
                .iter()
                .any(|c| t.column(c).is_some_and(|c| c.nullable));
            // Field names: the FK column without its `Id` suffix, else the target model.
            let base = match fk.columns.as_slice() {
                [c] if c.len() > 2 && (c.ends_with("Id") || c.ends_with("_id")) => {
                    sanitize(c.trim_end_matches("Id").trim_end_matches("_id"), 'f')
                }
                _ => lower_first(target),
            };
            let fname = unique(base, taken.entry(qn.clone()).or_default());
            let mut args = Vec::new();
            if let Some(n) = &rel_name {
                args.push(format!("\"{}\"", escape(n)));
            }
            let field_of = |_: &QualifiedName, c: &str| sanitize(c, 'f');
            args.push(format!(
                "fields: [{}]",
                fk.columns
                    .iter()
                    .map(|c| field_of(qn, c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            args.push(format!(
                "references: [{}]",
                fk.referenced_columns
                    .iter()
                    .map(|c| field_of(&fk.referenced_table, c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let default_delete = if optional {
                ReferentialAction::SetNull
            } else {
                ReferentialAction::Restrict
            };
            if fk.on_delete != default_delete {
                args.push(format!("onDelete: {}", fk.on_delete.dsl()));
            }
            if fk.on_update != ReferentialAction::Cascade {
                args.push(format!("onUpdate: {}", fk.on_update.dsl()));
            }
            let cols: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
            if fk.name != constraint_name(&t.name.name, &cols, "fkey") {
                args.push(format!("map: \"{}\"", escape(&fk.name)));
            }
            out.entry(qn.clone()).or_default().push(RelField {
                name: fname,
                ty: format!("{target}{}", if optional { "?" } else { "" }),
                attr: Some(format!("@relation({})", args.join(", "))),
            });
            // The opposite side: a list, or an optional single field for one-to-one.
            let one_to_one = is_unique(t, &fk.columns);
            let back = unique(
                if one_to_one {
                    lower_first(model)
                } else {
                    plural(&lower_first(model))
                },
                taken.entry(fk.referenced_table.clone()).or_default(),
            );
            out.entry(fk.referenced_table.clone())
                .or_default()
                .push(RelField {
                    name: back,
                    ty: format!("{model}{}", if one_to_one { "?" } else { "[]" }),
                    attr: rel_name.map(|n| format!("@relation(\"{}\")", escape(&n))),
                });
        }
    }
    for j in joins.values() {
        let (Some(a), Some(b)) = (ctx.model_names.get(&j.a), ctx.model_names.get(&j.b)) else {
            continue;
        };
        let attr = match (
            &j.name,
            pair_count.get(&pair(&j.a, &j.b)).copied().unwrap_or(0) > 1,
        ) {
            (Some(n), _) => Some(format!("@relation(\"{}\")", escape(n))),
            (None, _) => None,
        };
        let fa = unique(
            plural(&lower_first(b)),
            taken.entry(j.a.clone()).or_default(),
        );
        out.entry(j.a.clone()).or_default().push(RelField {
            name: fa,
            ty: format!("{b}[]"),
            attr: attr.clone(),
        });
        let fb = unique(
            plural(&lower_first(a)),
            taken.entry(j.b.clone()).or_default(),
        );
        out.entry(j.b.clone()).or_default().push(RelField {
            name: fb,
            ty: format!("{a}[]"),
            attr,
        });
    }
    out
}

/// A foreign key can be written as a relation when its columns match the referenced types and
/// it references the primary key or a unique index.
fn fk_printable(t: &Table, target: &Table, fk: &ForeignKey) -> bool {
    fk.columns.len() == fk.referenced_columns.len()
        && !fk.columns.is_empty()
        && fk.columns.iter().zip(&fk.referenced_columns).all(|(a, b)| {
            match (t.column(a), target.column(b)) {
                (Some(a), Some(b)) => a.ty == b.ty,
                _ => false,
            }
        })
        && is_unique(target, &fk.referenced_columns)
}

fn is_unique(t: &Table, cols: &[String]) -> bool {
    let set: BTreeSet<&String> = cols.iter().collect();
    t.primary_key
        .as_ref()
        .is_some_and(|p| p.columns.iter().collect::<BTreeSet<_>>() == set)
        || t.indexes
            .iter()
            .any(|i| i.unique && i.columns.iter().map(|c| &c.name).collect::<BTreeSet<_>>() == set)
}

fn model_block(ctx: &Ctx<'_>, t: &Table, model: &str, relations: &[RelField]) -> String {
    let mut lines = Vec::new();
    let single_uniques: BTreeMap<&str, &Index> = t
        .indexes
        .iter()
        .filter(|i| {
            i.unique
                && i.columns.len() == 1
                && i.method == IndexMethod::BTree
                && i.columns[0].sort == SortOrder::Asc
                && i.columns[0].opclass.is_none()
        })
        .map(|i| (i.columns[0].name.as_str(), i))
        .collect();
    let pk_single = t.primary_key.as_ref().filter(|p| p.columns.len() == 1);
    for c in &t.columns {
        let field = sanitize(&c.name, 'f');
        let (ty, native) = type_text(ctx, &c.ty);
        let mut attrs = Vec::new();
        if let Some(pk) = pk_single.filter(|p| p.columns[0] == c.name) {
            attrs.push(if pk.name == constraint_name(&t.name.name, &[], "pkey") {
                "@id".to_string()
            } else {
                format!("@id(map: \"{}\")", escape(&pk.name))
            });
        }
        if let Some(d) = &c.default {
            attrs.push(format!("@default({})", default_text(ctx, &c.ty, d)));
        }
        if let Some(u) = single_uniques.get(c.name.as_str()) {
            attrs.push(
                if u.name == constraint_name(&t.name.name, &[&c.name], "key") {
                    "@unique".to_string()
                } else {
                    format!("@unique(map: \"{}\")", escape(&u.name))
                },
            );
        }
        if field != c.name {
            attrs.push(format!("@map(\"{}\")", escape(&c.name)));
        }
        if let Some(n) = native {
            attrs.push(format!("@db.{n}"));
        }
        let modifier = if matches!(c.ty, ColumnType::Array(_)) {
            ""
        } else if c.nullable {
            "?"
        } else {
            ""
        };
        lines.push(format!("  {field} {ty}{modifier} {}", attrs.join(" ")));
    }
    for r in relations {
        lines.push(format!(
            "  {} {} {}",
            r.name,
            r.ty,
            r.attr.clone().unwrap_or_default()
        ));
    }
    let mut block_attrs = Vec::new();
    if let Some(pk) = t.primary_key.as_ref().filter(|p| p.columns.len() != 1) {
        let cols: Vec<String> = pk.columns.iter().map(|c| sanitize(c, 'f')).collect();
        let mut s = format!("@@id([{}]", cols.join(", "));
        if pk.name != constraint_name(&t.name.name, &[], "pkey") {
            s.push_str(&format!(", map: \"{}\"", escape(&pk.name)));
        }
        block_attrs.push(s + ")");
    }
    for i in &t.indexes {
        if i.unique
            && single_uniques
                .get(i.columns[0].name.as_str())
                .is_some_and(|u| u.name == i.name)
        {
            continue;
        }
        let cols: Vec<String> = i
            .columns
            .iter()
            .map(|c| {
                let mut opts = Vec::new();
                if c.sort == SortOrder::Desc {
                    opts.push("sort: Desc".to_string());
                }
                if let Some(o) = &c.opclass {
                    opts.push(format!("ops: raw(\"{}\")", escape(o)));
                }
                let f = sanitize(&c.name, 'f');
                if opts.is_empty() {
                    f
                } else {
                    format!("{f}({})", opts.join(", "))
                }
            })
            .collect();
        let kind = if i.unique { "unique" } else { "index" };
        let mut s = format!("@@{kind}([{}]", cols.join(", "));
        let names: Vec<&str> = i.columns.iter().map(|c| c.name.as_str()).collect();
        if i.method != IndexMethod::BTree {
            let m = match i.method {
                IndexMethod::Hash => "Hash",
                IndexMethod::Gist => "Gist",
                IndexMethod::Gin => "Gin",
                IndexMethod::SpGist => "SpGist",
                IndexMethod::Brin => "Brin",
                IndexMethod::BTree => "BTree",
            };
            s.push_str(&format!(", type: {m}"));
        }
        if i.name != constraint_name(&t.name.name, &names, if i.unique { "key" } else { "idx" }) {
            s.push_str(&format!(", map: \"{}\"", escape(&i.name)));
        }
        block_attrs.push(s + ")");
    }
    let mut out = format!("model {model} {{\n");
    for l in lines {
        out.push_str(l.trim_end());
        out.push('\n');
    }
    if !block_attrs.is_empty() {
        out.push('\n');
        for b in block_attrs {
            out.push_str(&format!("  {b}\n"));
        }
    }
    trailer(&mut out, model, &t.name.name, &t.name.schema);
    out.push_str("}\n");
    out
}

fn trailer(out: &mut String, dsl: &str, db: &str, schema: &str) {
    if dsl != db {
        out.push_str(&format!("\n  @@map(\"{}\")\n", escape(db)));
    }
    if schema != QualifiedName::DEFAULT_SCHEMA {
        out.push_str(&format!("  @@schema(\"{}\")\n", escape(schema)));
    }
}

fn type_text(ctx: &Ctx<'_>, ty: &ColumnType) -> (String, Option<String>) {
    match ty {
        ColumnType::Array(inner) => {
            let (t, n) = type_text(ctx, inner);
            (format!("{t}[]"), n)
        }
        ColumnType::Enum(qn) => match ctx.enum_names.get(qn) {
            Some(n) => (n.clone(), None),
            None => (
                format!("Unsupported(\"{}\")", escape(&qn.to_string())),
                None,
            ),
        },
        ColumnType::Other(s) => (format!("Unsupported(\"{}\")", escape(s)), None),
        other => match scalar_for(other) {
            Some((s, n)) => (s.to_string(), n),
            None => (
                format!("Unsupported(\"{}\")", escape(&other.to_string())),
                None,
            ),
        },
    }
}

fn default_text(ctx: &Ctx<'_>, ty: &ColumnType, d: &DefaultValue) -> String {
    match d {
        DefaultValue::String(s) => format!("\"{}\"", escape(s)),
        DefaultValue::Number(n) => n.clone(),
        DefaultValue::Boolean(b) => b.to_string(),
        DefaultValue::EnumValue(v) => {
            let values = ty
                .enum_name()
                .and_then(|qn| ctx.schema.enum_type(qn))
                .map(|e| e.values.clone())
                .unwrap_or_default();
            // The DSL name of the value, as the enum block prints it.
            let mut used = BTreeSet::new();
            let mut name = sanitize(v, 'V');
            for x in &values {
                let dsl = unique(sanitize(x, 'V'), &mut used);
                if x == v {
                    name = dsl;
                }
            }
            name
        }
        DefaultValue::Now => "now()".into(),
        DefaultValue::Autoincrement => "autoincrement()".into(),
        DefaultValue::Expression(e) => format!("dbgenerated(\"{}\")", escape(e)),
        DefaultValue::Unmanaged => "dbgenerated()".into(),
        DefaultValue::List(items) => {
            let inner = match ty {
                ColumnType::Array(i) => i.as_ref(),
                other => other,
            };
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| default_text(ctx, inner, i))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// A valid identifier for a database name: invalid characters become `_`; a name that does not
/// start with a letter gets `prefix` in front.
pub fn sanitize(name: &str, prefix: char) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, prefix);
    }
    s
}

fn unique(base: String, used: &mut BTreeSet<String>) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn plural(s: &str) -> String {
    if s.ends_with('s') {
        format!("{s}es")
    } else {
        format!("{s}s")
    }
}
