//! The runner's own checks: statement splitting, catalog comparison as the corpus README
//! defines it, and generated rows, on the real PostgreSQL server.

use crate::catalog;
use crate::db::{self, Server, has_statement, split_statements};
use std::collections::BTreeSet;

fn server() -> Server {
    Server::open(&db::server_url()).unwrap_or_else(|e| {
        panic!(
            "{e}\nThese tests need a PostgreSQL server: start one on 127.0.0.1:5432 (trust auth, user \
             postgres) or set {}",
            db::ENV
        )
    })
}

#[test]
fn statements_split_outside_quotes_comments_and_dollar_bodies() {
    let sql = "CREATE TABLE \"a;b\" (x text DEFAULT ';');\n-- a; comment\n\
               DO $$ BEGIN PERFORM 1; END $$;\n/* x; y */ SELECT 2";
    let parts = split_statements(sql);
    assert_eq!(parts.len(), 3, "{parts:#?}");
    assert!(
        parts[1].contains("DO $$ BEGIN PERFORM 1; END $$"),
        "{parts:#?}"
    );
    assert!(!has_statement("-- This is an empty migration.\n"));
    assert!(!has_statement("\n\n"));
    assert!(has_statement("-- comment\nALTER TABLE a ADD COLUMN b int;"));
}

#[test]
fn same_catalog_ignores_column_and_label_order_and_prisma_migrations() {
    let mut s = server();
    let a = s.create("test_cat_a", None).unwrap();
    let b = s.create("test_cat_b", None).unwrap();
    s.execute(
        &a,
        "CREATE TYPE \"Role\" AS ENUM ('A', 'B'); \
         CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x', r \"Role\"); \
         CREATE INDEX t_name_idx ON t (name); \
         CREATE TABLE _prisma_migrations (id text)",
    )
    .unwrap();
    s.execute(
        &b,
        "CREATE TYPE \"Role\" AS ENUM ('B', 'A'); \
         CREATE TABLE t (r \"Role\", name text NOT NULL DEFAULT 'x', id int PRIMARY KEY); \
         CREATE INDEX t_name_idx ON t (name)",
    )
    .unwrap();
    let (ca, cb) = (
        catalog::read(&s, &a).unwrap(),
        catalog::read(&s, &b).unwrap(),
    );
    assert!(
        ca.contains_key("column \"public\".\"t\".\"name\""),
        "{ca:#?}"
    );
    assert_eq!(catalog::differences(&ca, &cb), Vec::<String>::new());

    // A default, a nullability, a constraint, an index definition and a label each differ.
    s.execute(
        &b,
        "ALTER TABLE t ALTER COLUMN name SET DEFAULT 'y'; ALTER TABLE t ALTER COLUMN r SET NOT NULL; \
         ALTER TABLE t ADD CONSTRAINT t_name_key UNIQUE (name); DROP INDEX t_name_idx; \
         CREATE INDEX t_name_idx ON t (name DESC); ALTER TYPE \"Role\" ADD VALUE 'C'",
    )
    .unwrap();
    let d = catalog::differences(&ca, &catalog::read(&s, &b).unwrap());
    let text = d.join("\n");
    for needle in [
        "changed column \"public\".\"t\".\"name\"",
        "changed column \"public\".\"t\".\"r\"",
        "missing constraint \"public\".\"t\".\"t_name_key\"",
        "changed index \"public\".\"t\".\"t_name_idx\"",
        "changed enum \"public\".\"Role\"",
    ] {
        assert!(text.contains(needle), "no `{needle}` in:\n{text}");
    }
    s.drop_all();
}

#[test]
fn generated_rows_honour_types_keys_checks_and_enums() {
    let mut s = server();
    let d = s.create("test_fill", None).unwrap();
    let target = s.create("test_fill_target", None).unwrap();
    let ddl = "CREATE TYPE \"Kind\" AS ENUM ('one', 'two'); \
         CREATE TABLE parent (id text PRIMARY KEY, code varchar(3) NOT NULL UNIQUE, kind \"Kind\" NOT NULL, \
           tags text[] NOT NULL, data jsonb NOT NULL, u uuid NOT NULL UNIQUE, at timestamp(3) NOT NULL, \
           ok boolean NOT NULL, amount numeric(10, 2) NOT NULL); \
         CREATE TABLE child (id serial PRIMARY KEY, parent_id text NOT NULL UNIQUE REFERENCES parent (id), \
           a text, b text, status text NOT NULL, CHECK (a IS NOT NULL OR b IS NOT NULL))";
    s.execute(&d, ddl).unwrap();
    // In the target, child.status is an enum: the rows hold its labels.
    s.execute(
        &target,
        &ddl.replace("status text NOT NULL", "status \"Kind\" NOT NULL"),
    )
    .unwrap();
    let touched: BTreeSet<String> = ["\"public\".\"child\"".to_string()].into();
    let filled = crate::fill::fill(&s, &d, &touched, &target).unwrap();
    assert_eq!(filled, ["\"public\".\"parent\"", "\"public\".\"child\""]);
    let counts = s
        .rows(
            &d,
            "SELECT (SELECT count(*) FROM parent), (SELECT count(*) FROM child), \
                   (SELECT count(*) FROM child WHERE status IN ('one', 'two'))",
        )
        .unwrap();
    let n = crate::fill::ROWS.to_string();
    assert_eq!(counts[0], [Some(n.clone()), Some(n.clone()), Some(n)]);
    s.drop_all();
}
