//! `apply` through the binary against a real PostgreSQL server: the seed upgrade on a
//! database full of legacy rows, refusals that leave the database exactly as it was, dry runs,
//! and concurrent applies.

mod common;
use common::{
    advisory_lock_holders, advisory_lock_holders_sql, database_from, schemadiff, snapshot,
};
use schemadiff_testkit::{TestDb, workspace_root};

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";
const MAP: &str = "schemas/v1.2-to-v2.0.toml";

fn legacy_database(hint: &str) -> TestDb {
    let db = database_from(hint, V12);
    let rows =
        std::fs::read_to_string(workspace_root().join("fixtures/seed/legacy-rows.sql")).unwrap();
    db.execute(&rows);
    db
}

fn one(db: &TestDb, sql: &str) -> Vec<Option<String>> {
    db.rows(sql).into_iter().map(|mut r| r.remove(0)).collect()
}

/// The seed upgrade through `apply` leaves exactly the rows that the reviewed script leaves
/// (the script path is checked value by value in schemadiff-render's seed test), and no drift.
#[test]
fn seed_upgrade_through_apply_keeps_every_row_then_no_drift() {
    let db = legacy_database("apply_seed");
    let scripted = legacy_database("apply_seed_script");
    let run =
        schemadiff(&["apply", "--db", &db.url, "--to", V20, "--map", MAP, "--yes"]).expect_code(0);
    // The pre-flight showed every legacy value with what it becomes and how many rows it has.
    assert!(run.stderr.contains("pre-flight"), "{}", run.stderr);
    assert!(
        run.stderr.contains("'Google Ads'") && run.stderr.contains("GOOGLE_ADS"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("not valid JSON and will be kept as JSON strings"),
        "the pre-flight reports invalid JSON even when it does not block:\n{}",
        run.stderr
    );
    schemadiff(&["drift", "--schema", V20, "--db", &db.url]).expect_code(0);

    scripted.execute(
        &schemadiff(&["plan", "--from", V12, "--to", V20, "--map", MAP])
            .expect_code(0)
            .stdout,
    );
    let (catalog, rows) = snapshot(&db);
    assert_eq!(
        (catalog, rows),
        snapshot(&scripted),
        "apply and the script must give the same database"
    );
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        one(
            &db,
            r#"SELECT platform::text FROM "Campaign" WHERE id = 'c02'"#
        ),
        [s("GOOGLE_ADS")]
    );
    assert_eq!(
        one(
            &db,
            r#"SELECT "syncStatus"::text FROM "Campaign" WHERE id = 'c03'"#
        ),
        [s("SUCCESS")]
    );
    assert_eq!(
        one(
            &db,
            r#"SELECT settings::text FROM "Tenant" WHERE id = 't2'"#
        ),
        [s(r#""not json""#)]
    );
    // A second apply has nothing to do.
    let again =
        schemadiff(&["apply", "--db", &db.url, "--to", V20, "--map", MAP, "--yes"]).expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
}

#[test]
fn unmapped_legacy_value_stops_before_anything_changes() {
    let db = legacy_database("apply_unmapped");
    db.execute(r#"UPDATE "Campaign" SET platform = 'myspace' WHERE id = 'c05'"#);
    let before = snapshot(&db);
    let run =
        schemadiff(&["apply", "--db", &db.url, "--to", V20, "--map", MAP, "--yes"]).expect_code(1);
    assert!(
        run.stderr.contains("'myspace'"),
        "the message must name the value:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("platform"),
        "the message must name the column:\n{}",
        run.stderr
    );
    assert_eq!(
        snapshot(&db),
        before,
        "the database must be exactly as it was"
    );
}

#[test]
fn the_guard_in_the_plain_script_also_stops_an_unmapped_value() {
    let db = legacy_database("script_unmapped");
    db.execute(r#"UPDATE "Campaign" SET platform = 'myspace' WHERE id = 'c05'"#);
    let before = snapshot(&db);
    let sql = schemadiff(&["plan", "--from", V12, "--to", V20, "--map", MAP])
        .expect_code(0)
        .stdout;
    let err = db
        .try_execute(&sql)
        .expect_err("the guard must stop the script");
    assert!(
        err.contains("'myspace'") && err.contains("Campaign.platform"),
        "{err}"
    );
    assert_eq!(snapshot(&db), before);
}

#[test]
fn dry_run_and_missing_confirmation_change_nothing() {
    let db = legacy_database("apply_dry");
    let before = snapshot(&db);
    let dry = schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        V20,
        "--map",
        MAP,
        "--dry-run",
    ])
    .expect_code(0);
    assert!(
        dry.stdout.contains("ALTER TABLE"),
        "the plan is printed:\n{}",
        dry.stdout
    );
    assert!(dry.stderr.contains("dry run"), "{}", dry.stderr);
    assert_eq!(snapshot(&db), before);
    let no_tty = schemadiff(&["apply", "--db", &db.url, "--to", V20, "--map", MAP]).expect_code(1);
    assert!(no_tty.stderr.contains("--yes"), "{}", no_tty.stderr);
    assert_eq!(snapshot(&db), before);
}

#[test]
fn hazards_are_refused_by_apply_unless_allowed() {
    let db = database_from("apply_hazard", V20);
    db.execute(r#"INSERT INTO "Tenant" (id, name, "updatedAt") VALUES ('t1', 'Acme', now())"#);
    let before = snapshot(&db);
    let run = schemadiff(&["apply", "--db", &db.url, "--to", V12, "--yes"]).expect_code(1);
    assert!(
        run.stderr.contains("--allow-hazard drop-table"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&db), before);
    schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        V12,
        "--yes",
        "--allow-hazard",
        "all",
    ])
    .expect_code(0);
    schemadiff(&["drift", "--schema", V12, "--db", &db.url]).expect_code(0);
    assert_eq!(
        one(&db, r#"SELECT name FROM "Tenant""#),
        vec![Some("Acme".to_string())]
    );
}

#[test]
fn concurrent_applies_never_interleave() {
    let db = legacy_database("apply_concurrent");
    let url = db.url.clone();
    let spawn = |url: String| {
        std::thread::spawn(move || {
            schemadiff(&[
                "apply", "--db", &url, "--to", V20, "--map", MAP, "--yes", "--wait",
            ])
        })
    };
    let (a, b) = (spawn(url.clone()), spawn(url));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    // With --wait the second apply waits for the first, then finds nothing left to do.
    assert_eq!((a.code, b.code), (0, 0), "\n{}\n{}", a.stderr, b.stderr);
    assert!(
        a.stderr.contains("nothing to do")
            || b.stderr.contains("nothing to do")
            || a.stderr.contains("applied") && b.stderr.contains("applied")
    );
    schemadiff(&["drift", "--schema", V20, "--db", &db.url]).expect_code(0);
    let fresh = legacy_database("apply_concurrent_count");
    assert_eq!(
        one(&db, r#"SELECT count(*) FROM "Campaign""#),
        one(&fresh, r#"SELECT count(*) FROM "Campaign""#)
    );
}

/// A plan that adds an enum value and uses it (a default) is one transaction: the enum is
/// recreated with the full value list instead of `ADD VALUE`, whose label PostgreSQL only lets
/// a later transaction use.
#[test]
fn a_plan_adding_and_using_an_enum_value_is_one_verified_transaction() {
    let dir = "fixtures/diff/enum-add-value-used-as-default";
    let (from, to) = (format!("{dir}/from.prisma"), format!("{dir}/to.prisma"));
    let db = database_from("apply_enum_used", &from);
    db.execute(r#"INSERT INTO "T" (id) VALUES (1)"#);
    let plan = schemadiff(&["plan", "--from", &db.url, "--to", &to]).expect_code(0);
    assert!(plan.stdout.contains("batch 1 of 1"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("ADD VALUE"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("Recreate enum Color"),
        "{}",
        plan.stdout
    );
    let run = schemadiff(&["apply", "--db", &db.url, "--to", &to, "--yes"]).expect_code(0);
    assert!(run.stderr.contains("in one transaction"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("more than one transaction"),
        "{}",
        run.stderr
    );
    schemadiff(&["drift", "--schema", &to, "--db", &db.url]).expect_code(0);
    assert_eq!(
        one(&db, r#"SELECT id::text || ' ' || color::text FROM "T""#),
        vec![Some("1 RED".to_string())]
    );
}

/// All or nothing: the same kind of plan whose last statement fails on the data (a new foreign
/// key that the rows violate) leaves the database exactly as it was, the enum's labels and the
/// column's default included.
#[test]
fn a_late_failure_after_an_enum_value_is_added_changes_nothing() {
    let from = "crates/schemadiff-cli/tests/apply/late-failure-from.prisma";
    let to = "crates/schemadiff-cli/tests/apply/late-failure-to.prisma";
    let db = database_from("apply_late_failure", from);
    db.execute(r#"INSERT INTO "Item" (id, "parentId") VALUES (1, 42)"#);
    let rows = r#"SELECT (to_jsonb(t))::text FROM "Item" t ORDER BY id"#;
    let before = (db.schema_dump(), one(&db, rows));
    let run = schemadiff(&["apply", "--db", &db.url, "--to", to, "--yes"]).expect_code(1);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(run.stderr.contains("Item_parentId_fkey"), "{}", run.stderr);
    assert_eq!(
        (db.schema_dump(), one(&db, rows)),
        before,
        "the failed apply changed the database"
    );
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"
        ),
        vec![Some("RED,GREEN".to_string())]
    );
    schemadiff(&["drift", "--schema", from, "--db", &db.url]).expect_code(0);
}

/// A plan from a database is made for that server's version; `--pg-version` contradicting it is
/// an error that changes nothing.
#[test]
fn a_database_side_gives_the_version_and_a_contradicting_pg_version_is_refused() {
    let db = legacy_database("apply_version");
    let major = schemadiff_testkit::server_major();
    let plan = schemadiff(&["plan", "--from", &db.url, "--to", V20, "--map", MAP]).expect_code(0);
    assert!(
        plan.stdout
            .contains(&format!("\n-- planned for PostgreSQL {major}\n")),
        "{}",
        plan.stdout
    );
    assert_eq!(
        plan.stdout.contains("pg_temp.schemadiff_text_to_jsonb"),
        major < 16,
        "{}",
        plan.stdout
    );
    let other = if major == 13 { "14" } else { "13" };
    let before = snapshot(&db);
    let run = schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        V20,
        "--map",
        MAP,
        "--yes",
        "--pg-version",
        other,
    ])
    .expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("--pg-version {other} does not match"))
            && run.stderr.contains(&format!("runs PostgreSQL {major}")),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&db), before);
}

/// A new required column without a default: on a table without rows, `apply` counts the rows
/// (none), needs neither a `[fill]` value nor `--allow-hazard`, and applies; on a table with
/// rows it stops before anything changed and says what to write. Without a database side
/// (`plan` file → file) the refusal stays.
#[test]
fn a_new_required_column_needs_no_fill_on_an_empty_table() {
    let dir = "fixtures/diff/column-add-required-no-default";
    let (from, to) = (format!("{dir}/from.prisma"), format!("{dir}/to.prisma"));
    let offline = schemadiff(&["plan", "--from", &from, "--to", &to]).expect_code(1);
    assert!(
        offline.stderr.contains("[fill.T] name = \"VALUE\""),
        "{}",
        offline.stderr
    );

    let empty = database_from("apply_required_empty", &from);
    let run = schemadiff(&["apply", "--db", &empty.url, "--to", &to, "--yes"]).expect_code(0);
    assert!(
        run.stderr.contains("0 row(s), so nothing needs a value"),
        "{}",
        run.stderr
    );
    schemadiff(&["drift", "--schema", &to, "--db", &empty.url]).expect_code(0);

    let full = database_from("apply_required_rows", &from);
    full.execute(r#"INSERT INTO "T" (id) VALUES (1), (2)"#);
    let before = full.schema_dump();
    let run = schemadiff(&["apply", "--db", &full.url, "--to", &to, "--yes"]).expect_code(1);
    assert!(
        run.stderr.contains("2 row(s) need a value"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("[fill.T] name = \"VALUE\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(full.schema_dump(), before);
    assert_eq!(
        one(&full, r#"SELECT count(*) FROM "T""#),
        vec![Some("2".to_string())]
    );
}

/// A column that becomes required: with no NULLs in it, `apply` needs no `[fill]` value and no
/// `--allow-hazard`; with NULLs it stops before anything changed, naming the `[fill]` key.
#[test]
fn a_column_becoming_required_needs_no_fill_without_nulls() {
    let dir = "fixtures/diff/nullable-to-required-no-default";
    let (from, to) = (format!("{dir}/from.prisma"), format!("{dir}/to.prisma"));
    let offline = schemadiff(&["plan", "--from", &from, "--to", &to]).expect_code(1);
    assert!(
        offline.stderr.contains("set-not-null-on-existing-data"),
        "{}",
        offline.stderr
    );

    let clean = database_from("apply_notnull_clean", &from);
    clean.execute(r#"INSERT INTO "T" (id, name) VALUES (1, 'a'), (2, 'b')"#);
    let run = schemadiff(&["apply", "--db", &clean.url, "--to", &to, "--yes"]).expect_code(0);
    assert!(run.stderr.contains("0 NULL row(s)"), "{}", run.stderr);
    schemadiff(&["drift", "--schema", &to, "--db", &clean.url]).expect_code(0);
    assert_eq!(
        one(&clean, r#"SELECT count(*) FROM "T""#),
        vec![Some("2".to_string())]
    );

    let nulls = database_from("apply_notnull_nulls", &from);
    nulls.execute(r#"INSERT INTO "T" (id, name) VALUES (1, 'a'), (2, NULL)"#);
    let before = nulls.schema_dump();
    let run = schemadiff(&["apply", "--db", &nulls.url, "--to", &to, "--yes"]).expect_code(1);
    assert!(
        run.stderr.contains("1 NULL row(s) need a value"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("[fill.T] name = \"VALUE\""),
        "{}",
        run.stderr
    );
    assert_eq!(nulls.schema_dump(), before);
}

/// Every apply releases the advisory lock itself before it exits, whether it was a dry run, it
/// failed or it succeeded: right after it, no session holds it, and the next apply, without
/// `--wait`, gets it at once.
#[test]
fn apply_releases_the_advisory_lock_before_it_exits_on_every_path() {
    let from = "crates/schemadiff-cli/tests/apply/late-failure-from.prisma";
    let to = "crates/schemadiff-cli/tests/apply/late-failure-to.prisma";
    let db = database_from("apply_lock_released", from);
    let holders = || advisory_lock_holders(&db);
    // The count sees the lock while a session holds it (that session then releases it).
    let key = schemadiff_postgres::ADVISORY_LOCK_KEY;
    let while_held = db.rows(&format!(
        "SELECT pg_advisory_lock({key}); {}; SELECT pg_advisory_unlock({key})",
        advisory_lock_holders_sql()
    ));
    assert_eq!(while_held[1], vec![Some("1".to_string())], "{while_held:?}");
    assert_eq!(holders(), "0");
    // The foreign key the plan adds fails on this row.
    db.execute(r#"INSERT INTO "Item" (id, "parentId") VALUES (1, 42)"#);
    let apply = |extra: &str| schemadiff(&["apply", "--db", &db.url, "--to", to, extra]);
    let dry = apply("--dry-run").expect_code(0);
    assert!(dry.stderr.contains("dry run"), "{}", dry.stderr);
    assert_eq!(holders(), "0");
    let failed = apply("--yes").expect_code(1);
    assert!(
        failed.stderr.contains("nothing was changed"),
        "{}",
        failed.stderr
    );
    assert_eq!(holders(), "0");
    db.execute(r#"INSERT INTO "Parent" (id) VALUES (42)"#);
    let applied = apply("--yes").expect_code(0);
    assert!(applied.stderr.contains("now matches"), "{}", applied.stderr);
    assert_eq!(holders(), "0");
    let again = apply("--yes").expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(holders(), "0");
}
