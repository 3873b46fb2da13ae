//! Introspection against the real PostgreSQL server, one case per directory under
//! `fixtures/introspect/<case>/`: `setup.sql` builds the database, `expected.txt` is the
//! reviewed `{:#?}` dump of the introspected model (`expected.pgN.txt` instead on servers of
//! major version N and later, where PostgreSQL prints a view's definition differently). An optional `options.txt` holds
//! `schemas=a,b`, `exclude=t1,t2` and `setup=<other case>` (reuse another case's setup.sql). In setup.sql a line `-- split`
//! separates parts run as separate transactions.
//!
//! Each case is its own test, named after its folder (`harness = false`, see
//! `schemadiff_testkit::cases`); `no_orphan_files` fails on a file that belongs to no case.

use schemadiff_postgres::{ConnectOptions, IntrospectOptions, connect, introspect_with_stats};
use schemadiff_testkit::{TestDb, assert_file, cases, workspace_root};
use std::path::Path;

fn run_case(dir: &Path) {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let options = std::fs::read_to_string(dir.join("options.txt")).unwrap_or_default();
    let mut opts = IntrospectOptions::default();
    let mut setup_dir = dir.to_path_buf();
    for line in options.lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = line
            .split_once('=')
            .expect("options.txt lines are key=value");
        let list = || {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        };
        match k.trim() {
            "schemas" => opts.schemas = list(),
            "exclude" => opts.exclude_tables = list(),
            "setup" => setup_dir = dir.parent().unwrap().join(v.trim()),
            other => panic!("{case}: unknown option {other}"),
        }
    }
    let setup = std::fs::read_to_string(setup_dir.join("setup.sql"))
        .unwrap_or_else(|e| panic!("{case}: setup.sql: {e}"));
    let db = TestDb::create(&format!("intro_{case}"));
    // A line `-- split` ends one implicit transaction (enum values added by ALTER TYPE … ADD
    // VALUE cannot be used in the transaction that added them).
    for chunk in setup.split("\n-- split\n") {
        db.execute(chunk);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (schema, stats) = rt.block_on(async {
        let client = connect(&ConnectOptions::from_url(&db.url).unwrap())
            .await
            .unwrap();
        introspect_with_stats(&client, &opts).await.unwrap()
    });
    assert_eq!(stats.queries, 8, "{case}: introspection query count");
    assert!(
        stats.missing_schemas.is_empty(),
        "{case}: {:?}",
        stats.missing_schemas
    );
    assert_file(expected_file(dir), &format!("{schema:#?}\n"));
}

/// `expected.txt`, or, where the server's own text differs between versions (a view's
/// definition as PostgreSQL prints it), `expected.pgN.txt` with the largest N not above the
/// server's major version.
fn expected_file(dir: &Path) -> std::path::PathBuf {
    let major = schemadiff_testkit::server_major();
    (13..=major)
        .rev()
        .map(|v| dir.join(format!("expected.pg{v}.txt")))
        .find(|p| p.exists())
        .unwrap_or_else(|| dir.join("expected.txt"))
}

/// A case folder holds `setup.sql` (or `options.txt` naming another case's), `options.txt`,
/// `expected.txt` and `expected.pgN.txt` files.
fn belongs(root: &Path, rel: &Path) -> bool {
    let (Some(case), Some(file)) = (rel.parent(), rel.file_name().and_then(|f| f.to_str())) else {
        return false;
    };
    let versioned = file
        .strip_prefix("expected.pg")
        .and_then(|v| v.strip_suffix(".txt"))
        .is_some_and(|v| v.parse::<u32>().is_ok());
    case.components().count() == 1
        && root.join(case).join("expected.txt").exists()
        && (["setup.sql", "options.txt", "expected.txt"].contains(&file) || versioned)
}

fn main() {
    let root = workspace_root().join("fixtures/introspect");
    let dirs: Vec<_> = cases::entries(&root)
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    let count = dirs.len();
    let mut trials = vec![
        cases::trial("fixture_count", move || {
            if count >= 10 {
                Ok(())
            } else {
                Err(format!(
                    "expected at least 10 introspection cases, found {count}"
                ))
            }
        }),
        cases::trial("nulls_not_distinct_index_is_not_managed", || {
            nulls_not_distinct_index_is_not_managed();
            Ok(())
        }),
    ];
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        trials.push(cases::trial(name, move || {
            run_case(&d);
            Ok(())
        }));
    }
    trials.push(cases::trial("no_orphan_files", move || {
        cases::no_orphans(&root, cases::orphans(&root, |rel| belongs(&root, rel)))
    }));
    cases::run(trials);
}

/// `NULLS NOT DISTINCT` (PostgreSQL 15+) has no place in the model: such an index is listed as
/// not managed, never read as a plain unique index. Older servers refuse the syntax.
fn nulls_not_distinct_index_is_not_managed() {
    let db = TestDb::create("intro_nulls_not_distinct");
    let created = db.try_execute(
        "CREATE TABLE t (id int PRIMARY KEY, a int); \
         CREATE UNIQUE INDEX t_a_key ON t (a) NULLS NOT DISTINCT",
    );
    if schemadiff_testkit::server_major() < 15 {
        let err = created.expect_err("NULLS NOT DISTINCT is new in PostgreSQL 15");
        assert!(err.contains("syntax error"), "{err}");
        return;
    }
    created.expect("PostgreSQL 15+ takes NULLS NOT DISTINCT");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let schema = rt.block_on(async {
        let client = connect(&ConnectOptions::from_url(&db.url).unwrap())
            .await
            .unwrap();
        introspect_with_stats(&client, &IntrospectOptions::default())
            .await
            .unwrap()
            .0
    });
    let t = &schema.tables[&schemadiff_model::QualifiedName::public("t")];
    assert!(t.indexes.is_empty(), "{:?}", t.indexes);
    assert!(
        schema.not_managed.iter().any(|n| n.kind == "index"
            && n.name.name == "t_a_key"
            && n.detail.contains("NULLS NOT DISTINCT")),
        "{:?}",
        schema.not_managed
    );
}
