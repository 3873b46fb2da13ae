//! `plan --online` and `apply --online` through the binary on a real PostgreSQL server: the
//! script in phases, the seed upgrade applied online with drift 0 and the same rows as the
//! offline apply, and a re-run that finds nothing to do.

mod common;
use common::{database_from, schemadiff, snapshot};
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

#[test]
fn plan_online_prints_the_phases_with_their_locks() {
    let out = schemadiff(&["plan", "--online", "--from", V12, "--to", V20, "--map", MAP])
        .expect_code(0)
        .stdout;
    let phases: Vec<usize> = ["expand", "backfill", "switch", "contract"]
        .iter()
        .map(|p| {
            out.find(&format!(": {p} ("))
                .unwrap_or_else(|| panic!("phase {p} missing:\n{out}"))
        })
        .collect();
    assert!(phases.windows(2).all(|w| w[0] < w[1]), "phases in order");
    assert!(out.contains("SET lock_timeout = '50ms';"));
    assert!(out.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS"));
    assert!(!out.contains("table-rewrite"), "no table rewrite left");
    assert!(out.contains("    lock: ACCESS EXCLUSIVE on Campaign for catalog changes only"));
    // Markdown is refused with a clear message; --batch-size needs --online.
    let md = schemadiff(&[
        "plan", "--online", "--from", V12, "--to", V20, "--map", MAP, "--format", "markdown",
    ])
    .expect_code(1);
    assert!(md.stderr.contains("not markdown"), "{}", md.stderr);
    schemadiff(&["plan", "--from", V12, "--to", V20, "--batch-size", "10"]).expect_code(1);
}

#[test]
fn apply_online_gives_the_offline_database_then_nothing_to_do() {
    let online = legacy_database("cli_online");
    let offline = legacy_database("cli_offline");
    let run = schemadiff(&[
        "apply",
        "--online",
        "--db",
        &online.url,
        "--to",
        V20,
        "--map",
        MAP,
        "--yes",
        "--batch-size",
        "3",
        "--throttle",
        "1ms",
    ])
    .expect_code(0);
    assert!(run.stderr.contains("applied online"), "{}", run.stderr);
    assert!(run.stderr.contains("now matches"), "{}", run.stderr);
    schemadiff(&["drift", "--schema", V20, "--db", &online.url]).expect_code(0);
    schemadiff(&[
        "apply",
        "--db",
        &offline.url,
        "--to",
        V20,
        "--map",
        MAP,
        "--yes",
    ])
    .expect_code(0);
    type Snapshot = (String, Vec<Vec<Vec<Option<String>>>>);
    let strip = |(catalog, rows): Snapshot| {
        let mut c: Vec<String> = catalog
            .lines()
            .map(|l| l.trim_end_matches(',').to_string())
            .collect();
        c.sort();
        (c, rows)
    };
    assert_eq!(strip(snapshot(&online)), strip(snapshot(&offline)));
    let again = schemadiff(&[
        "apply",
        "--online",
        "--db",
        &online.url,
        "--to",
        V20,
        "--map",
        MAP,
        "--yes",
    ])
    .expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
}
