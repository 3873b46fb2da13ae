//! The strongest check: each fixture case is run on a fresh PostgreSQL database and the
//! catalog (read with plain catalog queries) must match the model built without a database.

mod support;

use schemadiff_testkit::TestDb;
use support::catalog::{db_view, model_view};
use support::{load, scripts};

fn check(case: &str) {
    compare(case, &scripts(case), &load(case).schema);
}

/// Runs one inline script on a database and compares with the model read from it; also
/// returns the reports.
fn check_sql(case: &str, sql: &str) -> Vec<schemadiff_sqlfile::Report> {
    let mut schema = schemadiff_model::Schema::empty();
    let mut reports = Vec::new();
    schemadiff_sqlfile::load_script("inline.sql", sql, &mut schema, &mut reports);
    assert!(
        reports
            .iter()
            .all(|r| r.severity != schemadiff_sqlfile::ReportSeverity::Error),
        "{reports:#?}"
    );
    // CONCURRENTLY cannot run inside the implicit transaction of a multi-statement batch:
    // then run one statement at a time (each on its own session, so no SET there).
    let statements: Vec<String> = if sql.contains("CONCURRENTLY") {
        schemadiff_sqlfile::split::split_statements(sql)
            .into_iter()
            .map(|s| s.text)
            .collect()
    } else {
        vec![sql.to_string()]
    };
    compare(case, &statements, &schema);
    reports
}

fn compare(case: &str, scripts: &[String], schema: &schemadiff_model::Schema) {
    let db = TestDb::create(&format!("sqlfile_{case}"));
    for sql in scripts {
        // psql meta-commands (pg_dump's \restrict) are not SQL.
        let sql: String = sql
            .lines()
            .filter(|l| !l.starts_with('\\'))
            .map(|l| format!("{l}\n"))
            .collect();
        db.execute(&sql);
    }
    let expected = db_view(&db);
    let actual = model_view(schema);
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
fn data_statements_match_postgres() {
    check("data_statements");
}

#[test]
fn pg_dump_style_matches_postgres() {
    check("pg_dump_style");
}

#[test]
fn search_path_and_other_schemas() {
    check_sql(
        "search_path",
        "CREATE SCHEMA app;\n\
         SET search_path TO app, public;\n\
         CREATE TYPE mood AS ENUM ('ok', 'meh');\n\
         CREATE TABLE people (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok', ms mood[] DEFAULT '{meh}');\n\
         CREATE TABLE public.pets (id int PRIMARY KEY, owner int REFERENCES people);\n\
         CREATE INDEX ON people (m);\n\
         ALTER INDEX people_m_idx RENAME TO people_mood_idx;\n",
    );
}

#[test]
fn dropping_and_renaming_follows_dependencies() {
    check_sql(
        "dependencies",
        "CREATE TABLE a (id int PRIMARY KEY, code text UNIQUE, note text);\n\
         CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a, a_code text REFERENCES a (code), x int, y int);\n\
         CREATE INDEX b_x_y_idx ON b (x, y);\n\
         CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b);\n\
         ALTER TABLE b DROP COLUMN y;\n\
         ALTER TABLE a DROP COLUMN code CASCADE;\n\
         CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
         CREATE TRIGGER a_noop BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION noop();\n\
         CREATE INDEX a_lower_note_idx ON a (lower(note));\n\
         ALTER TABLE a RENAME TO a2;\n\
         ALTER TABLE a2 RENAME COLUMN id TO a_id;\n\
         DROP TABLE b CASCADE;\n\
         ALTER TABLE a2 ADD COLUMN n int NOT NULL DEFAULT 0 CONSTRAINT a2_n_uq UNIQUE;\n\
         ALTER TABLE a2 DROP CONSTRAINT a_pkey, ADD PRIMARY KEY (a_id, n);\n\
         DROP INDEX IF EXISTS nothing_here;\n",
    );
}

#[test]
fn enum_changes_follow_postgres() {
    check_sql(
        "enums",
        "CREATE TYPE \"Size\" AS ENUM ('S', 'M');\n\
         CREATE TABLE shirt (id serial PRIMARY KEY, size \"Size\" NOT NULL DEFAULT 'M');\n\
         ALTER TYPE \"Size\" ADD VALUE 'XS' BEFORE 'S';\n\
         ALTER TYPE \"Size\" ADD VALUE 'L' AFTER 'M';\n\
         ALTER TYPE \"Size\" ADD VALUE IF NOT EXISTS 'L';\n\
         ALTER TYPE \"Size\" RENAME VALUE 'M' TO 'MEDIUM';\n\
         ALTER TYPE \"Size\" RENAME TO \"ShirtSize\";\n\
         CREATE TYPE gone AS ENUM ('x');\n\
         DROP TYPE gone;\n\
         ALTER TABLE shirt ADD COLUMN label text DEFAULT 'S';\n\
         ALTER TABLE shirt ALTER COLUMN label DROP DEFAULT,\n\
           ALTER COLUMN label TYPE \"ShirtSize\" USING label::\"ShirtSize\";\n\
         ALTER TABLE shirt ALTER COLUMN label SET DEFAULT 'S';\n",
    );
}

#[test]
fn index_forms() {
    let reports = check_sql(
        "indexes",
        "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, a text, b jsonb, c int);\n\
         CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a_key ON t USING btree (a DESC);\n\
         CREATE INDEX t_b_idx ON t USING gin (b jsonb_path_ops);\n\
         CREATE INDEX ON t USING hash (c);\n\
         CREATE INDEX t_lower_idx ON t (lower(a));\n\
         CREATE INDEX t_part_idx ON t (c) WHERE c > 0;\n\
         DROP INDEX CONCURRENTLY t_part_idx;\n\
         CREATE TABLE u (id int NOT NULL, k text);\n\
         CREATE UNIQUE INDEX CONCURRENTLY u_id_idx ON u (id);\n\
         ALTER TABLE u ADD CONSTRAINT u_pkey PRIMARY KEY USING INDEX u_id_idx;\n\
         CREATE UNIQUE INDEX CONCURRENTLY u_k_idx ON u (k);\n\
         ALTER TABLE u ADD CONSTRAINT u_k_key UNIQUE USING INDEX u_k_idx;\n\
         CREATE INDEX ON t (a, c);\n\
         CREATE INDEX ON t (a, c);\n",
    );
    // The identity column is not modelled (no default), and says so.
    assert!(
        reports.iter().any(|r| r.reason.contains("identity")),
        "{reports:#?}"
    );
}
