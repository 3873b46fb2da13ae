//! Rows for the upgrade check, generated from the catalog: a few rows in every table the
//! upgrade touches and in the parents their required foreign keys need. Values honour the
//! column's type (enum labels, arrays, JSON, UUID, length limits), NOT NULL, foreign keys
//! (parent keys read back from the parent) and unique constraints (each row's values differ).

use crate::catalog::{ident, qualified};
use crate::db::Server;
use std::collections::{BTreeMap, BTreeSet};

/// Rows written per table.
pub const ROWS: usize = 3;

struct Column {
    name: String,
    ty: String,
    not_null: bool,
    has_default: bool,
    category: String,
    labels: Vec<String>,
    /// For a text column that becomes an enum: the new enum's labels.
    text_labels: Vec<String>,
}

struct ForeignKey {
    columns: Vec<String>,
    parent: String,
    parent_columns: Vec<String>,
}

struct Table {
    columns: Vec<Column>,
    fks: Vec<ForeignKey>,
}

impl ForeignKey {
    fn required(&self, t: &Table) -> bool {
        self.columns.iter().any(|c| {
            t.columns
                .iter()
                .any(|k| &k.name == c && k.not_null && !k.has_default)
        })
    }
}

const SEP: char = '\u{1}';

fn read_tables(server: &Server, db: &str) -> Result<BTreeMap<String, Table>, String> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let cols = "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
        a.attnotnull::text, (ad.adbin IS NOT NULL OR a.attidentity <> '' OR a.attgenerated <> '')::text, \
        t.typcategory::text, \
        (SELECT string_agg(e.enumlabel, E'\\x01' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) \
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
        JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
        WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
        AND c.relname <> '_prisma_migrations' ORDER BY n.nspname, c.relname, a.attnum";
    for r in server.rows(db, cols)? {
        let key = qualified(&r[0], &r[1]);
        let t = tables.entry(key).or_insert_with(|| Table {
            columns: Vec::new(),
            fks: Vec::new(),
        });
        t.columns.push(Column {
            name: r[2].clone().unwrap_or_default(),
            ty: r[3].clone().unwrap_or_default(),
            not_null: r[4].as_deref() == Some("true"),
            has_default: r[5].as_deref() == Some("true"),
            category: r[6].clone().unwrap_or_default(),
            labels: r[7]
                .as_deref()
                .map(|l| l.split(SEP).map(str::to_string).collect())
                .unwrap_or_default(),
            text_labels: Vec::new(),
        });
    }
    let fks = "SELECT n.nspname, c.relname, pn.nspname, p.relname, \
        (SELECT string_agg(a.attname, E'\\x01' ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o) \
           JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n), \
        (SELECT string_agg(a.attname, E'\\x01' ORDER BY u.o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o) \
           JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n) \
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
        JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace \
        WHERE k.contype = 'f' ORDER BY k.conname";
    for r in server.rows(db, fks)? {
        let split = |v: &Option<String>| -> Vec<String> {
            v.as_deref()
                .map(|l| l.split(SEP).map(str::to_string).collect())
                .unwrap_or_default()
        };
        if let Some(t) = tables.get_mut(&qualified(&r[0], &r[1])) {
            t.fks.push(ForeignKey {
                columns: split(&r[4]),
                parent: qualified(&r[2], &r[3]),
                parent_columns: split(&r[5]),
            });
        }
    }
    Ok(tables)
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The length limit of `character varying(n)` / `character(n)`.
fn length_limit(ty: &str) -> Option<usize> {
    let open = ty.find('(')?;
    if !(ty.starts_with("character") || ty.starts_with("bit")) {
        return None;
    }
    ty[open + 1..ty.find(')')?].parse().ok()
}

/// A value of the column's type for row `i` (distinct per row where the type allows).
fn value(c: &Column, i: usize) -> String {
    let ty = &c.ty;
    if !c.labels.is_empty() {
        return format!("{}::{ty}", literal(&c.labels[i % c.labels.len()]));
    }
    if !c.text_labels.is_empty() {
        return format!("{}::{ty}", literal(&c.text_labels[i % c.text_labels.len()]));
    }
    if c.category == "A" || ty.ends_with("[]") {
        return format!("'{{}}'::{ty}");
    }
    let base = ty.split('(').next().unwrap_or(ty).trim();
    let v = match base {
        "boolean" => i.is_multiple_of(2).to_string(),
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" | "money" => {
            (i + 1).to_string()
        }
        "uuid" => literal(&format!("00000000-0000-4000-8000-{:012}", i + 1)),
        "json" | "jsonb" => literal(&format!("{{\"row\": {i}}}")),
        "bytea" => literal(&format!("\\x{:02x}", i)),
        "inet" | "cidr" => literal(&format!("10.0.0.{}", i + 1)),
        "interval" => literal(&format!("{} seconds", i + 1)),
        "xml" => literal("<row/>"),
        "tsvector" => literal(&format!("row{i}")),
        "date" => literal(&format!("2024-01-{:02}", i + 1)),
        b if b.starts_with("timestamp") || b.starts_with("time") => {
            literal(&format!("2024-01-{:02} 10:00:00", i + 1))
        }
        b if b.starts_with("bit") => literal(&"1".repeat(length_limit(ty).unwrap_or(1))),
        _ => {
            let mut s = format!("row {i}");
            if let Some(n) = length_limit(ty) {
                s = format!("r{i}").chars().take(n.max(1)).collect();
            }
            literal(&s)
        }
    };
    format!("{v}::{ty}")
}

/// Tables to fill: `touched` and, transitively, the parents of their foreign keys (a nullable
/// key too: a CHECK may want one of several keys set).
fn closure(tables: &BTreeMap<String, Table>, touched: &BTreeSet<String>) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = touched
        .iter()
        .filter(|t| tables.contains_key(*t))
        .cloned()
        .collect();
    loop {
        let mut more = Vec::new();
        for t in &set {
            for fk in &tables[t].fks {
                if !set.contains(&fk.parent) {
                    more.push(fk.parent.clone());
                }
            }
        }
        if more.is_empty() {
            return set;
        }
        set.extend(more);
    }
}

/// Fills `touched` (and their required parents) with [`ROWS`] rows each. Returns the tables
/// filled, in insertion order. Foreign keys of the `target` database (the new version) count
/// too where their columns already exist, so that data written for the old version is what a
/// real application holds: a column that only gets its foreign key in the upgrade holds parent
/// keys already.
pub fn fill(
    server: &Server,
    db: &str,
    touched: &BTreeSet<String>,
    target: &str,
) -> Result<Vec<String>, String> {
    let mut tables = read_tables(server, db)?;
    for (name, t) in read_tables(server, target)? {
        // A text column that becomes an enum holds the new enum's labels, as a real
        // application's data would (unknown spellings are what mapping files are for).
        if let Some(old) = tables.get_mut(&name) {
            for c in &t.columns {
                if let Some(o) = old.columns.iter_mut().find(|o| o.name == c.name)
                    && o.labels.is_empty()
                    && !c.labels.is_empty()
                    && o.category == "S"
                {
                    o.text_labels = c.labels.clone();
                }
            }
        }
        for fk in t.fks {
            let exists = |table: &str, cols: &[String]| {
                tables
                    .get(table)
                    .is_some_and(|t| cols.iter().all(|c| t.columns.iter().any(|k| &k.name == c)))
            };
            if exists(&name, &fk.columns)
                && exists(&fk.parent, &fk.parent_columns)
                && !tables[&name].fks.iter().any(|f| f.columns == fk.columns)
            {
                tables.get_mut(&name).unwrap().fks.push(fk);
            }
        }
    }
    let todo = closure(&tables, touched);
    let mut done: Vec<String> = Vec::new();
    let mut left: BTreeSet<String> = todo.clone();
    while !left.is_empty() {
        // Parents first; where nullable keys form a cycle, only the required ones must be.
        let ready = |t: &String, all: bool| {
            tables[t].fks.iter().all(|fk| {
                done.contains(&fk.parent)
                    || &fk.parent == t
                    || (!all && !fk.required(&tables[t]))
                    || (all && !left.contains(&fk.parent))
            })
        };
        let next = left
            .iter()
            .find(|t| ready(t, true))
            .or_else(|| left.iter().find(|t| ready(t, false)));
        let Some(name) = next.cloned() else {
            return Err(format!(
                "cannot order inserts: required foreign keys form a cycle among {}",
                left.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        };
        insert_rows(server, db, &name, &tables[&name], &done)?;
        left.remove(&name);
        done.push(name);
    }
    Ok(done)
}

fn insert_rows(
    server: &Server,
    db: &str,
    name: &str,
    t: &Table,
    filled: &[String],
) -> Result<(), String> {
    // Parent keys, read back as text, per foreign key whose parent holds rows (rows this
    // runner wrote, or rows the migrations seeded).
    let mut fk_rows: Vec<(&ForeignKey, Vec<Vec<Option<String>>>)> = Vec::new();
    for fk in &t.fks {
        let cols: Vec<String> = fk.parent_columns.iter().map(|c| ident(c)).collect();
        let rows = server.rows(
            db,
            &format!(
                "SELECT {} FROM {} ORDER BY {} LIMIT {}",
                cols.join(", "),
                fk.parent,
                cols.join(", "),
                ROWS * ATTEMPTS
            ),
        )?;
        if rows.is_empty() && fk.required(t) && !filled.contains(&fk.parent) {
            return Err(format!(
                "{name}: required foreign key to {} without parent rows",
                fk.parent
            ));
        }
        fk_rows.push((fk, rows));
    }
    for i in 0..ROWS {
        // A failed row is tried again with other parent rows (a one-to-one key already
        // taken) and every nullable column set (a CHECK that wants one of them).
        let mut last = String::new();
        let mut ok = false;
        for attempt in 0..ATTEMPTS {
            let sql = row_sql(name, t, &fk_rows, i, attempt);
            match server.execute(db, &sql) {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        if !ok {
            return Err(format!("could not fill {name}: {last}"));
        }
    }
    Ok(())
}

/// Tries per row before giving up.
const ATTEMPTS: usize = 6;

fn row_sql(
    name: &str,
    t: &Table,
    fk_rows: &[(&ForeignKey, Vec<Vec<Option<String>>>)],
    i: usize,
    attempt: usize,
) -> String {
    let mut fk_values: BTreeMap<&str, Option<String>> = BTreeMap::new();
    // From the third attempt on, only one of the optional foreign keys is set, a different
    // one each time (a CHECK that wants exactly one of them set).
    let optional: Vec<usize> = (0..fk_rows.len())
        .filter(|&k| !fk_rows[k].0.required(t) && !fk_rows[k].1.is_empty())
        .collect();
    let only =
        (attempt >= 2 && optional.len() > 1).then(|| optional[(attempt - 2) % optional.len()]);
    for (k, (fk, rows)) in fk_rows.iter().enumerate() {
        if rows.is_empty() || only.is_some_and(|o| optional.contains(&k) && o != k) {
            continue;
        }
        let row = &rows[(i + attempt * ROWS) % rows.len()];
        for (c, v) in fk.columns.iter().zip(row) {
            fk_values.entry(c.as_str()).or_insert_with(|| v.clone());
        }
    }
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in &t.columns {
        let v = if let Some(v) = fk_values.get(c.name.as_str()) {
            match v {
                Some(v) => format!("{}::{}", literal(v), c.ty),
                None => "NULL".to_string(),
            }
        } else if c.has_default || t.fks.iter().any(|fk| fk.columns.contains(&c.name)) {
            // A default, or a foreign key whose parent has no row: left out (NULL).
            continue;
        } else if c.not_null || i > 0 || attempt > 0 {
            // Row 0 leaves nullable columns NULL; the others hold values.
            value(c, i)
        } else {
            continue;
        };
        names.push(ident(&c.name));
        values.push(v);
    }
    if names.is_empty() {
        format!("INSERT INTO {name} DEFAULT VALUES")
    } else {
        format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        )
    }
}
