//! "Same catalog" as the corpus README defines it: per table, columns (type, nullability,
//! default), constraints (name and `pg_get_constraintdef`), indexes (name and
//! `pg_indexes.indexdef`), and enum types (name and set of labels). Column order and enum label
//! order are not compared; `_prisma_migrations` is ignored.

use crate::db::Server;
use std::collections::BTreeMap;

/// Every compared fact, keyed by what it describes (`column "public"."User"."email"`).
pub type Catalog = BTreeMap<String, String>;

const USER_NAMESPACE: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/// Tables (not objects of an extension), except `_prisma_migrations`.
fn table_filter(alias: &str) -> String {
    format!(
        "{alias}.relname <> '_prisma_migrations' AND NOT EXISTS (SELECT 1 FROM pg_depend d \
         WHERE d.classid = 'pg_class'::regclass AND d.objid = {alias}.oid AND d.deptype = 'e')"
    )
}

/// Reads the catalog of database `db`.
pub fn read(server: &Server, db: &str) -> Result<Catalog, String> {
    let mut out = Catalog::new();
    let tf = table_filter("c");
    let tables = format!(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {USER_NAMESPACE} AND {tf}"
    );
    for r in server.rows(db, &tables)? {
        out.insert(format!("table {}", qualified(&r[0], &r[1])), String::new());
    }
    let columns = format!(
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), \
         CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END, \
         pg_get_expr(ad.adbin, ad.adrelid) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
         AND {USER_NAMESPACE} AND {tf}"
    );
    for r in server.rows(db, &columns)? {
        let mut value = format!("{} {}", text(&r[3]), text(&r[4]));
        if let Some(d) = &r[5] {
            value.push_str(&format!(" DEFAULT {d}"));
        }
        out.insert(
            format!("column {}.{}", qualified(&r[0], &r[1]), ident(&text(&r[2]))),
            value,
        );
    }
    let constraints = format!(
        "SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid) \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NAMESPACE} AND {tf}"
    );
    for r in server.rows(db, &constraints)? {
        out.insert(
            format!(
                "constraint {}.{}",
                qualified(&r[0], &r[1]),
                ident(&text(&r[2]))
            ),
            text(&r[3]),
        );
    }
    let indexes = "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
         AND tablename <> '_prisma_migrations'";
    for r in server.rows(db, indexes)? {
        out.insert(
            format!("index {}.{}", qualified(&r[0], &r[1]), ident(&text(&r[2]))),
            text(&r[3]),
        );
    }
    let enums = format!(
        "SELECT n.nspname, t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumlabel COLLATE \"C\") \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         JOIN pg_enum e ON e.enumtypid = t.oid WHERE {USER_NAMESPACE} GROUP BY 1, 2"
    );
    for r in server.rows(db, &enums)? {
        out.insert(
            format!("enum {}", qualified(&r[0], &r[1])),
            format!("{{{}}}", text(&r[2])),
        );
    }
    Ok(out)
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// `"schema"."name"`, quoted as an SQL identifier.
pub fn qualified(schema: &Option<String>, name: &Option<String>) -> String {
    format!("{}.{}", ident(&text(schema)), ident(&text(name)))
}

/// A quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The differences between two catalogs, one short line each (`left` is the database under
/// test, `right` the reference).
pub fn differences(left: &Catalog, right: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in left {
        match right.get(k) {
            None => out.push(format!("extra {k}")),
            Some(w) if w != v => out.push(format!("changed {k}: `{v}`, expected `{w}`")),
            _ => {}
        }
    }
    for k in right.keys() {
        if !left.contains_key(k) {
            out.push(format!("missing {k}"));
        }
    }
    out
}

/// Differences as a short reason: the count and the first few.
pub fn summary(diffs: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut s = format!("{} catalog difference(s): ", diffs.len());
    s.push_str(
        &diffs
            .iter()
            .take(SHOWN)
            .map(|d| shorten(d, 160))
            .collect::<Vec<_>>()
            .join("; "),
    );
    if diffs.len() > SHOWN {
        s.push_str("; …");
    }
    s
}

/// At most `max` characters of `s`, on one line.
pub fn shorten(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        format!("{}…", one.chars().take(max).collect::<String>())
    }
}

/// Row counts of every table the catalog lists.
pub fn row_counts(
    server: &Server,
    db: &str,
    cat: &Catalog,
) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for k in cat.keys() {
        if let Some(t) = k.strip_prefix("table ") {
            let rows = server.rows(db, &format!("SELECT count(*) FROM {t}"))?;
            let n = rows
                .first()
                .and_then(|r| r[0].as_deref())
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1);
            out.insert(t.to_string(), n);
        }
    }
    Ok(out)
}
