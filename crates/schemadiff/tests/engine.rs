//! The engine on a real PostgreSQL server: sources, names, plans, batches, apply with
//! verification, the advisory lock.

mod common;

use common::{dsl, file, runtime};
use schemadiff::{
    Applied, ApplyError, LoadOptions, Loaded, Resolver, apply_batches, batches, hold_lock,
    load_pair, make_plan, one_transaction, release_lock, same_schema, target_version, with_lock,
};
use schemadiff_model::Schema;
use schemadiff_plan::NameResolver;
use schemadiff_postgres::{ApplyOptions, Client, ConnectOptions, IntrospectOptions, SqlBatch};
use schemadiff_testkit::{TestDb, workspace_root};
use std::cell::RefCell;
use std::path::Path;

async fn connect(db: &TestDb) -> Client {
    let o = ConnectOptions::resolve(Some(&db.url)).expect("url");
    schemadiff_postgres::connect(&o).await.expect("connect")
}

fn public() -> IntrospectOptions {
    IntrospectOptions::for_schemas(vec!["public".into()])
}

/// Applies `sql` to `db` through the engine, aiming at `target`, with `verify` as the check.
#[allow(clippy::result_large_err)] // the engine's own result type, returned as is
fn apply_with(
    db: &TestDb,
    sql: &[SqlBatch],
    target: &Schema,
    verify: impl Fn(&Schema) -> Result<(), String>,
) -> Result<Applied, ApplyError> {
    runtime().block_on(async {
        let mut c = connect(db).await;
        apply_batches(
            &mut c,
            sql,
            &ApplyOptions::default(),
            &public(),
            target,
            &mut |_| {},
            verify,
        )
        .await
    })
}

/// The check `schemadiff apply` makes: the database is `target`.
fn is(target: &Schema) -> impl Fn(&Schema) -> Result<(), String> + '_ {
    move |after| {
        if same_schema(after, target) {
            Ok(())
        } else {
            Err("differs".into())
        }
    }
}

/// Plans `from` → `to` for the test server and builds `from` in `db`.
fn prepared(db: &TestDb, from: &Loaded, to: &Loaded) -> schemadiff_plan::Plan {
    let empty = dsl("empty", "");
    let server = Some(schemadiff_testkit::server_major());
    let create = make_plan(&empty, from, None, server).expect("plan from empty");
    for b in batches(&create) {
        for s in b.statements {
            db.execute(&s.sql);
        }
    }
    make_plan(from, to, None, server).expect("plan")
}

#[test]
fn the_resolver_takes_dsl_names_of_to_then_from_else_database_names() {
    let from = dsl(
        "from",
        "model Old {\n  id Int @id\n  legacy String @map(\"legacy_col\")\n}\n",
    );
    let to = dsl(
        "to",
        "model User {\n  id Int @id\n  mail String @map(\"e_mail\")\n  @@map(\"users\")\n}\n",
    );
    let r = Resolver {
        maps: to.names.iter().chain(from.names.iter()).collect(),
    };
    assert_eq!(r.table("User").unwrap().name, "users");
    assert_eq!(r.column("User", "mail").as_deref(), Some("e_mail"));
    assert_eq!(r.column("Old", "legacy").as_deref(), Some("legacy_col"));
    // Unknown to both: taken as database names in `public`.
    let t = r.table("other_table").unwrap();
    assert_eq!(
        (t.schema.as_str(), t.name.as_str()),
        ("public", "other_table")
    );
    assert_eq!(r.column("Nope", "x").as_deref(), Some("x"));
}

#[test]
fn files_load_with_their_diagnostics_reported_and_plan_with_the_mapping_file() {
    let reports = RefCell::new(String::new());
    let report = |t: &str| reports.borrow_mut().push_str(t);
    let lo = LoadOptions {
        color: false,
        report: &report,
        shadow_db: None,
    };
    let root = workspace_root();
    let rel = |p: &str| root.join(p).display().to_string();
    let (from, to) = runtime()
        .block_on(load_pair(
            &rel("schemas/v1.2.prisma"),
            &rel("schemas/v2.0.prisma"),
            lo,
        ))
        .expect("load");
    assert!(from.names.is_some() && to.names.is_some());
    let map = root.join("schemas/v1.2-to-v2.0.toml");
    let plan = make_plan(&from, &to, Some(&map), None).expect("plan");
    assert_eq!(plan.pg_version, 13);
    assert!(plan.refused(&[]).is_empty());
    // The same plan as the planner called directly with the CLI's name resolution.
    let text = std::fs::read_to_string(&map).unwrap();
    let mapping = schemadiff::parse_mapping(&text, &from, &to).unwrap();
    assert_eq!(
        plan,
        schemadiff_plan::plan(&from.schema, &to.schema, &mapping).unwrap()
    );

    // A file with errors: the diagnostics go to the report, the error names the file.
    let dir = std::env::temp_dir().join(format!("schemadiff-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.prisma");
    std::fs::write(&bad, "model A {\n  id Strin @id\n}\n").unwrap();
    let err = runtime()
        .block_on(schemadiff::load(&bad.display().to_string(), &[], lo))
        .err()
        .expect("a file with errors does not load");
    assert!(err.to_string().contains("has 1 error"), "{err}");
    assert!(reports.borrow().contains("Strin"), "{}", reports.borrow());
    // Without a report callback nothing is printed and the error is the same.
    let quiet = runtime().block_on(schemadiff::load(
        &bad.display().to_string(),
        &[],
        LoadOptions::default(),
    ));
    assert_eq!(quiet.err().unwrap().to_string(), err.to_string());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_requested_version_contradicting_a_database_is_an_error() {
    let mut db_side = dsl("postgres://db", "");
    db_side.server_major = Some(16);
    let file_side = dsl("file", "");
    assert_eq!(
        target_version(&db_side, &file_side, None)
            .unwrap()
            .pg_version,
        16
    );
    assert_eq!(
        target_version(&file_side, &db_side, Some(16))
            .unwrap()
            .pg_version,
        16
    );
    let e = target_version(&db_side, &file_side, Some(14)).unwrap_err();
    assert!(
        e.to_string().contains("does not match postgres://db"),
        "{e}"
    );
    assert_eq!(
        target_version(&file_side, &file_side, Some(17))
            .unwrap()
            .pg_version,
        17
    );
}

#[test]
fn one_batch_applies_in_one_transaction_and_a_refused_check_changes_nothing() {
    let from = dsl("from", "model A {\n  id Int @id\n}\n");
    let to = dsl(
        "to",
        "model A {\n  id Int @id\n  name String @default(\"x\")\n}\n\nmodel B {\n  id Int @id\n}\n",
    );
    let db = TestDb::create("engine_one_tx");
    let plan = prepared(&db, &from, &to);
    let sql = batches(&plan);
    assert!(one_transaction(&sql), "{sql:?}");
    let before = db.schema_dump();
    // The check refuses: rolled back, nothing changed.
    let refused = apply_with(&db, &sql, &to.schema, |_| Err("no".to_string()));
    match refused {
        Err(ApplyError::OneTransaction(e)) => assert!(e.to_string().contains("no"), "{e}"),
        other => panic!("expected a refused one-transaction apply, got {other:?}"),
    }
    assert_eq!(
        db.schema_dump(),
        before,
        "a refused check changed the database"
    );
    // The check accepts the database that matches the target.
    let applied = apply_with(&db, &sql, &to.schema, is(&to.schema)).expect("apply");
    assert!(applied.one_transaction);
    assert_eq!(applied.report.transactions, 1);
    assert_eq!(applied.report.statements, sql[0].statements.len());
    assert_ne!(db.schema_dump(), before);
}

/// The plan's one transaction cut in two (every plan is one transaction; the engine still
/// takes several batches from a caller).
fn cut_in_two(one: Vec<SqlBatch>) -> Vec<SqlBatch> {
    let [only] = <[SqlBatch; 1]>::try_from(one).expect("one transaction");
    let (first, rest) = only.statements.split_at(1);
    vec![
        SqlBatch {
            transactional: true,
            statements: first.to_vec(),
        },
        SqlBatch {
            transactional: true,
            statements: rest.to_vec(),
        },
    ]
}

#[test]
fn several_batches_apply_one_by_one_and_are_checked_after() {
    let from = file("crates/schemadiff-cli/tests/faults/enum-added-and-used-from.prisma");
    let to = file("crates/schemadiff-cli/tests/faults/enum-added-and-used-to.prisma");
    let db = TestDb::create("engine_batches");
    let plan = prepared(&db, &from, &to);
    assert!(
        one_transaction(&batches(&plan)),
        "every plan is one transaction"
    );
    let sql = cut_in_two(batches(&plan));
    assert!(sql.len() > 1 && !one_transaction(&sql), "{sql:?}");
    let checked = RefCell::new(0);
    let applied = apply_with(&db, &sql, &to.schema, |after| {
        *checked.borrow_mut() += 1;
        if same_schema(after, &to.schema) {
            Ok(())
        } else {
            Err("differs".into())
        }
    })
    .expect("apply");
    assert!(!applied.one_transaction);
    assert_eq!(applied.report.transactions, sql.len());
    assert_eq!(*checked.borrow(), 1, "checked once, after the last batch");

    // Applied again, the batches fail on objects that exist now: the error says which batch.
    let again = apply_with(&db, &sql, &to.schema, |_| Ok(()));
    assert!(matches!(again, Err(ApplyError::Batch(_))), "{again:?}");

    // Every batch commits but the database is not the target: reported with the report.
    let db2 = TestDb::create("engine_batches_differ");
    let plan2 = prepared(&db2, &from, &to);
    let differs = apply_with(&db2, &cut_in_two(batches(&plan2)), &to.schema, |_| {
        Err("the target says otherwise".into())
    });
    match differs {
        Err(ApplyError::Differs(report, why)) => {
            assert_eq!(why, "the target says otherwise");
            assert_eq!(report.transactions, sql.len());
        }
        other => panic!("expected Differs, got {other:?}"),
    }
}

#[test]
fn the_advisory_lock_refuses_while_another_session_holds_it() {
    let db = TestDb::create("engine_lock");
    let rt = runtime();
    rt.block_on(async {
        let holder = connect(&db).await;
        hold_lock(&holder, false).await.expect("first lock");
        let other = connect(&db).await;
        let e = hold_lock(&other, false)
            .await
            .expect_err("held by the other session");
        assert!(
            e.to_string()
                .contains("another schemadiff apply holds the lock"),
            "{e}"
        );
        drop(holder);
        // The server releases a session's lock when the session ends; waiting gets it.
        tokio::time::timeout(std::time::Duration::from_secs(10), hold_lock(&other, true))
            .await
            .expect("the lock is released with its session")
            .expect("lock");
    });
}

/// `with_lock` releases the lock before it returns, whatever the body did: an error left in
/// an aborted transaction, an early return holding the lock twice (nested) or a success. A
/// second session, still connected alongside, then takes it at once, without waiting.
#[test]
fn with_lock_releases_the_lock_on_every_path() {
    let db = TestDb::create("engine_with_lock");
    runtime().block_on(async {
        let mut holder = connect(&db).await;
        let other = connect(&db).await;
        let failed: anyhow::Result<()> = with_lock(&mut holder, false, async |c| {
            // An error inside a transaction: the session is left in an aborted transaction.
            c.batch_execute("BEGIN").await?;
            c.batch_execute("SELECT 1/0").await?;
            Ok(())
        })
        .await;
        assert!(failed.is_err());
        hold_lock(&other, false).await.expect("free after an error");
        release_lock(&other).await;
        let nested = with_lock(&mut holder, false, async |c| {
            hold_lock(c, false).await?;
            Ok(7)
        })
        .await
        .expect("nested hold");
        assert_eq!(nested, 7);
        hold_lock(&other, false)
            .await
            .expect("free after a nested hold");
        // Held by the other session: with_lock refuses, and its body never runs.
        let mut ran = false;
        let refused = with_lock(&mut holder, false, async |_| {
            ran = true;
            Ok(())
        })
        .await;
        assert!(refused.is_err() && !ran);
        release_lock(&other).await;
        with_lock(&mut holder, false, async |_| Ok(()))
            .await
            .expect("free again");
        hold_lock(&other, false)
            .await
            .expect("free after a success");
    });
}

#[test]
fn a_source_path_that_does_not_exist_is_an_error_not_a_panic() {
    let missing = Path::new("/nonexistent/schema.prisma")
        .display()
        .to_string();
    let e = runtime()
        .block_on(schemadiff::load(&missing, &[], LoadOptions::default()))
        .err()
        .expect("missing file");
    assert!(
        format!("{e:#}").contains("cannot read schema file"),
        "{e:#}"
    );
}
