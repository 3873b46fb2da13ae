//! Each fixture case under fixtures/sqlfile/<case>/ is loaded without a database and its
//! model and reports are compared with the reviewed `expected.txt`.

mod support;

use schemadiff_sqlfile::ReportSeverity;
use support::{case_dir, dump, load};

fn check(case: &str) {
    let loaded = load(case);
    schemadiff_testkit::assert_file(case_dir(case).join("expected.txt"), &dump(&loaded));
}

#[test]
fn prisma_app() {
    check("prisma_app");
    let l = load("prisma_app");
    assert!(l.reports.is_empty(), "{:#?}", l.reports);
}

#[test]
fn handwritten() {
    check("handwritten");
}

#[test]
fn unsupported() {
    check("unsupported");
    let l = load("unsupported");
    // Everything not modelled is reported as unsupported, nothing as an error…
    assert!(
        l.reports
            .iter()
            .all(|r| r.severity == ReportSeverity::Unsupported),
        "{:#?}",
        l.reports
    );
    for needle in [
        "view",
        "function",
        "trigger",
        "policy",
        "CHECK",
        "COMMENT",
        "GRANT",
        "EXTENSION",
        "ALTER SEQUENCE",
    ] {
        assert!(
            l.reports.iter().any(|r| r.reason.contains(needle)),
            "no report mentions {needle}: {:#?}",
            l.reports
        );
    }
    // …and the statements after them are still read.
    assert!(l.schema.tables.keys().any(|q| q.name == "posts"));
}

#[test]
fn errors() {
    check("errors");
    let l = load("errors");
    let errors: Vec<_> = l
        .reports
        .iter()
        .filter(|r| r.severity == ReportSeverity::Error)
        .collect();
    assert_eq!(errors.len(), 8, "{:#?}", l.reports);
    let t = l
        .schema
        .tables
        .values()
        .find(|t| t.name.name == "t")
        .unwrap();
    let cols: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    // The failed two-column ALTER added nothing; the last statement still applied.
    assert_eq!(cols, ["id", "name", "ok"]);
}

#[test]
fn pg_dump_style() {
    check("pg_dump_style");
}

#[test]
fn a_single_file_and_a_folder_of_plain_sql_files_load() {
    let dir = std::env::temp_dir().join(format!("sqlfile_plain_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("002_b.sql"), "ALTER TABLE a ADD COLUMN y int;").unwrap();
    std::fs::write(dir.join("001_a.sql"), "CREATE TABLE a (x int);").unwrap();
    std::fs::write(dir.join("notes.txt"), "not sql").unwrap();
    let l = schemadiff_sqlfile::load_path(&dir).unwrap();
    let a = l.schema.tables.values().next().unwrap();
    assert_eq!(
        a.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["x", "y"]
    );
    assert!(l.reports.is_empty());
    let one = schemadiff_sqlfile::load_path(&dir.join("001_a.sql")).unwrap();
    assert_eq!(one.schema.tables.values().next().unwrap().columns.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_or_empty_source_is_an_error() {
    assert!(schemadiff_sqlfile::load_path(std::path::Path::new("/nonexistent/x.sql")).is_err());
    let dir = std::env::temp_dir().join(format!("sqlfile_empty_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = schemadiff_sqlfile::load_path(&dir).unwrap_err();
    assert!(e.to_string().contains("no *.sql"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_prefix_of_every_fixture_loads_without_panicking() {
    let mut texts = Vec::new();
    for case in ["handwritten", "unsupported", "errors", "pg_dump_style"] {
        texts.push(std::fs::read_to_string(support::source(case)).unwrap());
    }
    texts.extend(support::scripts("prisma_app"));
    texts.push("CREATE TABLE \"é\" (\"ü\" text DEFAULT 'ß;'); -- ünïcode".to_string());
    let mut runs = 0;
    for text in &texts {
        for (cut, _) in text.char_indices().step_by(7) {
            let mut schema = schemadiff_model::Schema::empty();
            let mut reports = Vec::new();
            schemadiff_sqlfile::load_script("prefix.sql", &text[..cut], &mut schema, &mut reports);
            runs += 1;
        }
    }
    assert!(runs > 500, "only {runs} prefixes tried");
}

#[test]
fn data_statements_are_skipped_without_a_report() {
    check("data_statements");
    let l = load("data_statements");
    // Rows, temporary tables (indexed, altered, dropped), transaction control, SET and DO
    // blocks that only touch rows cannot change the schema: nothing to report.
    assert!(l.reports.is_empty(), "{:#?}", l.reports);
    let names: Vec<&str> = l.schema.tables.keys().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["account", "price"]);
    let price = l
        .schema
        .tables
        .values()
        .find(|t| t.name.name == "price")
        .unwrap();
    // The migration after the data migration was read.
    assert!(price.column("currency").is_some());
    assert!(price.index("price_kind_idx").is_some());
}

#[test]
fn statements_that_could_change_the_schema_but_cannot_be_read_are_errors() {
    check("do_block_ddl");
    let l = load("do_block_ddl");
    let errors: Vec<_> = l
        .reports
        .iter()
        .filter(|r| r.severity == ReportSeverity::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{:#?}", l.reports);
    // File, the line where the statement starts, and a short reason naming the culprit.
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line),
        ("migration.sql", 10)
    );
    assert!(
        errors[0].reason.contains("DO block")
            && errors[0]
                .reason
                .contains("ALTER INDEX \"item_sku_key\" RENAME TO")
            && errors[0].reason.contains("--shadow-db"),
        "{}",
        errors[0].reason
    );
    assert_eq!(errors[1].line, 18);
    assert!(
        errors[1].reason.contains("CREATE TABLE item_copy AS"),
        "{}",
        errors[1].reason
    );
    // The statements after them are still read.
    let item = l
        .schema
        .tables
        .values()
        .find(|t| t.name.name == "item")
        .unwrap();
    assert!(item.column("name").is_some());
}

/// The cases this file checks, one test each above.
const CASES: [&str; 7] = [
    "prisma_app",
    "data_statements",
    "do_block_ddl",
    "handwritten",
    "unsupported",
    "errors",
    "pg_dump_style",
];

/// Every file under fixtures/sqlfile belongs to a case a test above names: its source
/// (`migration.sql` or `migrations/`), its `expected.txt`, or the `schema.prisma` that
/// `tests/dsl.rs` and `tests/postgres.rs` compare it with.
#[test]
fn no_orphan_files() {
    let root = schemadiff_testkit::workspace_root().join("fixtures/sqlfile");
    let orphans = schemadiff_testkit::cases::orphans(&root, |rel| {
        let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy());
        let (Some(case), Some(file)) = (parts.next(), parts.next()) else {
            return false;
        };
        CASES.contains(&case.as_ref())
            && (file == "migrations"
                || (parts.next().is_none()
                    && ["migration.sql", "expected.txt", "schema.prisma"].contains(&file.as_ref())))
    });
    if let Err(e) = schemadiff_testkit::cases::no_orphans(&root, orphans) {
        panic!("{e}");
    }
}
