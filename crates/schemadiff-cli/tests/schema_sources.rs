//! Multi-file schema folders and `--shadow-db`, through the binary and the library.
//!
//! Folders: `fixtures/dsl/folders/shop/` (a datasource file plus models in `models/`) must give
//! exactly the model of `fixtures/dsl/folders/shop.prisma` (the same schema in one file) in
//! every command that takes a schema; `fixtures/dsl/folders/broken/` must point its diagnostic
//! at the file that holds the mistake.
//!
//! Shadow databases: SQL migrations replayed into a scratch database on the test server must
//! give the same model as the offline reader wherever the offline reader is exact, give the
//! exact result where it is not, and leave no scratch database behind, also on error.

mod common;
use common::{database_from, schemadiff};
use schemadiff_testkit::{TestDb, assert_file, server_url, workspace_root};

const SHOP: &str = "fixtures/dsl/folders/shop";
const SHOP_FILE: &str = "fixtures/dsl/folders/shop.prisma";
const BROKEN: &str = "fixtures/dsl/folders/broken";

#[test]
fn a_schema_folder_validates_and_formats_as_one_schema() {
    schemadiff(&["validate", SHOP]).expect_code(0);
    schemadiff(&["fmt", "--check", SHOP]).expect_code(0);
    // A model file on its own refers to a model of another file: not valid alone.
    let alone = schemadiff(&["validate", "fixtures/dsl/folders/shop/models/order.prisma"]);
    assert_eq!(alone.code, 1, "{}", alone.stderr);
}

#[test]
fn diagnostics_of_a_folder_name_the_file_line_and_column() {
    let run = schemadiff(&["validate", BROKEN]).expect_code(1);
    assert!(
        run.stderr
            .contains("--> fixtures/dsl/folders/broken/models/b.prisma:5:12"),
        "{}",
        run.stderr
    );
    assert_file(
        workspace_root().join("fixtures/dsl/folders/broken.stderr"),
        &run.stderr,
    );
    // plan refuses it with the same diagnostics.
    let plan = schemadiff(&["plan", "--from", "empty", "--to", BROKEN]).expect_code(1);
    assert!(
        plan.stderr.contains("models/b.prisma:5:12"),
        "{}",
        plan.stderr
    );
}

#[test]
fn a_schema_folder_plans_like_the_same_schema_in_one_file() {
    let folder = schemadiff(&["plan", "--from", "empty", "--to", SHOP]).expect_code(0);
    let file = schemadiff(&["plan", "--from", "empty", "--to", SHOP_FILE]).expect_code(0);
    let body = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("-- schemadiff plan") && !l.starts_with("-- to:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        folder.stdout.contains("CREATE TABLE \"public\".\"Order\""),
        "{}",
        folder.stdout
    );
    assert!(
        folder.stdout.contains("\"Order_customerId_idx\""),
        "{}",
        folder.stdout
    );
    assert_eq!(body(&folder.stdout), body(&file.stdout));
    let between = schemadiff(&[
        "plan", "--from", SHOP_FILE, "--to", SHOP, "--format", "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&between.stdout).unwrap();
    assert_eq!(
        v["steps"].as_array().map(Vec::len),
        Some(0),
        "{}",
        between.stdout
    );
}

#[test]
fn drift_and_apply_read_a_schema_folder() {
    let db = database_from("folder_drift", SHOP);
    schemadiff(&["drift", "--schema", SHOP, "--db", &db.url]).expect_code(0);
    db.execute(r#"ALTER TABLE "Order" ADD COLUMN "note" text"#);
    schemadiff(&["drift", "--schema", SHOP, "--db", &db.url]).expect_code(2);
    schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        SHOP,
        "--yes",
        "--allow-hazard",
        "drop-column",
    ])
    .expect_code(0);
    schemadiff(&["drift", "--schema", SHOP, "--db", &db.url]).expect_code(0);
}

// ---------------------------------------------------------------------------------------------
// --shadow-db

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn scripts(source: &str) -> Vec<schemadiff_postgres::Script> {
    schemadiff_sqlfile::migration_scripts(&workspace_root().join(source))
        .unwrap()
        .into_iter()
        .map(|(name, path)| schemadiff_postgres::Script {
            name,
            sql: std::fs::read_to_string(path).unwrap(),
        })
        .collect()
}

fn replay(source: &str) -> Result<schemadiff_model::Schema, schemadiff_postgres::Error> {
    let opts = schemadiff_postgres::ConnectOptions::from_url(&server_url()).unwrap();
    block_on(schemadiff_postgres::replay_migrations(
        &opts,
        &scripts(source),
        vec!["public".into()],
    ))
}

/// Scratch databases that process `pid` left on the server.
fn leftover_shadow_databases(pid: u32) -> Vec<Vec<Option<String>>> {
    let admin = TestDb::create("shadow_probe");
    admin.rows(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE 'schemadiff\\_shadow\\_{pid}\\_%'"
    ))
}

/// Runs the binary like `common::schemadiff` and also returns its process id (it names the
/// scratch databases it creates).
fn schemadiff_with_pid(args: &[&str]) -> (common::Run, u32) {
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_schemadiff"))
        .current_dir(workspace_root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run schemadiff");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait for schemadiff");
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (run, pid)
}

const NONE_LEFT: Vec<Vec<Option<String>>> = Vec::new();

#[test]
fn shadow_replay_agrees_with_the_offline_reader_on_the_fixtures() {
    for case in [
        "fixtures/sqlfile/prisma_app/migrations",
        "fixtures/sqlfile/data_statements/migrations",
    ] {
        let offline = schemadiff_sqlfile::load_path(&workspace_root().join(case)).unwrap();
        assert!(offline.reports.is_empty(), "{case}: {:#?}", offline.reports);
        let shadow = replay(case).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(shadow.enums, offline.schema.enums, "{case}");
        assert_eq!(shadow.tables, offline.schema.tables, "{case}");
    }
    assert_eq!(leftover_shadow_databases(std::process::id()), NONE_LEFT);
}

#[test]
fn shadow_replay_is_exact_where_the_offline_reader_is_not() {
    let case = "fixtures/sqlfile/do_block_ddl/migration.sql";
    let offline = schemadiff_sqlfile::load_path(&workspace_root().join(case)).unwrap();
    assert!(
        offline
            .reports
            .iter()
            .any(|r| r.severity == schemadiff_sqlfile::ReportSeverity::Error),
        "{:#?}",
        offline.reports
    );
    let shadow = replay(case).unwrap();
    let item = shadow
        .tables
        .values()
        .find(|t| t.name.name == "item")
        .unwrap();
    // The rename inside the DO block happened; the query-shaped table exists with its columns.
    assert!(item.index("item_sku_unique").is_some(), "{item:#?}");
    assert!(item.index("item_sku_key").is_none());
    let copy = shadow
        .tables
        .values()
        .find(|t| t.name.name == "item_copy")
        .unwrap();
    assert_eq!(
        copy.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["id", "sku"]
    );
    // Through the binary: offline refuses with the statement's place, the shadow way plans.
    let offline_run = schemadiff(&["plan", "--from", case, "--to", "empty"]).expect_code(1);
    assert!(
        offline_run.stderr.contains("migration.sql:10") && offline_run.stderr.contains("DO block"),
        "{}",
        offline_run.stderr
    );
    let server = server_url();
    let (run, pid) = schemadiff_with_pid(&[
        "plan",
        "--from",
        case,
        "--to",
        "empty",
        "--shadow-db",
        &server,
        "--allow-hazard",
        "all",
    ]);
    let run = run.expect_code(0);
    assert!(
        run.stdout.contains("DROP TABLE \"public\".\"item_copy\""),
        "{}",
        run.stdout
    );
    assert_eq!(leftover_shadow_databases(pid), NONE_LEFT);
    assert_eq!(leftover_shadow_databases(std::process::id()), NONE_LEFT);
}

#[test]
fn a_failing_migration_names_its_script_and_leaves_no_scratch_database() {
    let dir = std::env::temp_dir().join(format!("schemadiff-shadow-fail-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("001_ok")).unwrap();
    std::fs::create_dir_all(dir.join("002_bad")).unwrap();
    std::fs::write(dir.join("001_ok/migration.sql"), "CREATE TABLE a (id int);").unwrap();
    std::fs::write(
        dir.join("002_bad/migration.sql"),
        "ALTER TABLE missing ADD COLUMN x int;",
    )
    .unwrap();
    let src = dir.to_str().unwrap();
    let server = server_url();
    let (run, pid) = schemadiff_with_pid(&[
        "plan",
        "--from",
        src,
        "--to",
        "empty",
        "--shadow-db",
        &server,
    ]);
    let run = run.expect_code(1);
    assert!(
        run.stderr.contains("002_bad/migration.sql") && run.stderr.contains("missing"),
        "{}",
        run.stderr
    );
    assert_eq!(leftover_shadow_databases(pid), NONE_LEFT);
    std::fs::remove_dir_all(&dir).unwrap();
}
