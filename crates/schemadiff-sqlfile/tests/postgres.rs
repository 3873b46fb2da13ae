//! The strongest check: each fixture case is run on a fresh PostgreSQL database and the
//! catalog (read with plain catalog queries) must match the model built without a database.

mod support;

use schemadiff_testkit::TestDb;
use support::catalog::{db_view, model_view};
use support::{load, scripts};

fn check(case: &str) {
    let db = TestDb::create(&format!("sqlfile_{case}"));
    for sql in scripts(case) {
        // psql meta-commands (pg_dump's \restrict) are not SQL.
        let sql: String = sql
            .lines()
            .filter(|l| !l.starts_with('\\'))
            .map(|l| format!("{l}\n"))
            .collect();
        db.execute(&sql);
    }
    let loaded = load(case);
    let expected = db_view(&db);
    let actual = model_view(&loaded.schema);
    assert!(
        !expected.trim().is_empty(),
        "catalog query returned nothing"
    );
    if expected != actual {
        let diff = similar_lines(&expected, &actual);
        panic!("model of {case} differs from the database:\n{diff}");
    }
}

fn similar_lines(db: &str, model: &str) -> String {
    let mut out = String::new();
    let d: Vec<&str> = db.lines().collect();
    let m: Vec<&str> = model.lines().collect();
    for l in &d {
        if !m.contains(l) {
            out.push_str(&format!("- db:    {l}\n"));
        }
    }
    for l in &m {
        if !d.contains(l) {
            out.push_str(&format!("+ model: {l}\n"));
        }
    }
    if out.is_empty() {
        out = format!("(same lines, different order)\n--- db\n{db}\n--- model\n{model}");
    }
    out
}

#[test]
fn prisma_app_matches_postgres() {
    check("prisma_app");
}

#[test]
fn handwritten_matches_postgres() {
    check("handwritten");
}

#[test]
fn unsupported_matches_postgres() {
    check("unsupported");
}

#[test]
fn pg_dump_style_matches_postgres() {
    check("pg_dump_style");
}
