//! Applying statements against the real server: order and progress, rollback of a failing
//! batch (catalog and rows unchanged), the advisory lock, lock_timeout, and verify-before-commit.

use schemadiff_postgres::{
    ADVISORY_LOCK_KEY, ApplyOptions, Client, ConnectOptions, Error, IntrospectOptions, Phase,
    Progress, SqlBatch, SqlStatement, apply, apply_and_verify, connect, query_text,
};
use schemadiff_testkit::TestDb;
use std::time::{Duration, Instant};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

async fn client(db: &TestDb) -> Client {
    connect(&ConnectOptions::from_url(&db.url).unwrap())
        .await
        .unwrap()
}

fn stmt(description: &str, sql: &str) -> SqlStatement {
    SqlStatement {
        description: description.into(),
        sql: sql.into(),
    }
}

fn tx(statements: Vec<SqlStatement>) -> SqlBatch {
    SqlBatch {
        transactional: true,
        statements,
    }
}

fn no_tx(statements: Vec<SqlStatement>) -> SqlBatch {
    SqlBatch {
        transactional: false,
        statements,
    }
}

async fn one(c: &Client, sql: &str) -> String {
    query_text(c, sql).await.unwrap()[0][0]
        .clone()
        .unwrap_or_default()
}

#[test]
fn statements_run_in_order_with_progress() {
    let db = TestDb::create("apply_order");
    let batches = vec![
        tx(vec![
            stmt(
                "create table t",
                "CREATE TABLE t (id int PRIMARY KEY, v text)",
            ),
            stmt("insert first row", "INSERT INTO t VALUES (1, 'a')"),
        ]),
        no_tx(vec![stmt(
            "create index concurrently",
            "CREATE INDEX CONCURRENTLY t_v_idx ON t (v)",
        )]),
        tx(vec![stmt(
            "insert second row",
            "INSERT INTO t VALUES (2, 'b')",
        )]),
    ];
    let mut events: Vec<Progress> = Vec::new();
    let report = rt()
        .block_on(async {
            let mut c = client(&db).await;
            let r = apply(&mut c, &batches, &ApplyOptions::default(), &mut |p| {
                events.push(p)
            })
            .await;
            // Settings are reset and the lock released afterwards.
            assert_eq!(one(&c, "SHOW lock_timeout").await, "0");
            assert_eq!(
                one(
                    &c,
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
                     (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
                .await,
                "0"
            );
            r
        })
        .unwrap();
    assert_eq!(report.statements, 4);
    assert_eq!(report.transactions, 2);
    assert_eq!(report.durations.len(), 4);
    assert_eq!(report.after_commit_error, None);
    let seen: Vec<(usize, usize, &str, Phase)> = events
        .iter()
        .map(|p| (p.step, p.total, p.description.as_str(), p.phase))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, 4, "create table t", Phase::Started),
            (1, 4, "create table t", Phase::Finished),
            (2, 4, "insert first row", Phase::Started),
            (2, 4, "insert first row", Phase::Finished),
            (2, 4, "transaction 1 of 2", Phase::Committed),
            (3, 4, "create index concurrently", Phase::Started),
            (3, 4, "create index concurrently", Phase::Finished),
            (4, 4, "insert second row", Phase::Started),
            (4, 4, "insert second row", Phase::Finished),
            (4, 4, "transaction 2 of 2", Phase::Committed),
        ]
    );
    assert!(
        events
            .iter()
            .filter(|p| p.phase == Phase::Started)
            .all(|p| p.elapsed.is_zero())
    );
    assert_eq!(
        db.rows("SELECT id, v FROM t ORDER BY id"),
        vec![
            vec![Some("1".into()), Some("a".into())],
            vec![Some("2".into()), Some("b".into())]
        ]
    );
    assert_eq!(
        db.rows("SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1"),
        vec![vec![Some("t_pkey".into())], vec![Some("t_v_idx".into())]]
    );
}

#[test]
fn failing_statement_rolls_back_its_batch() {
    let db = TestDb::create("apply_rollback");
    db.execute("CREATE TABLE t (x int PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
    let dump_before = db.schema_dump();
    let rows_before = db.rows("SELECT * FROM t ORDER BY 1");
    let batches = vec![tx(vec![
        stmt(
            "add column y",
            "ALTER TABLE t ADD COLUMN y text DEFAULT 'new'",
        ),
        stmt("insert row 3", "INSERT INTO t VALUES (3, 'c')"),
        stmt("create table u", "CREATE TABLE u (id int)"),
        stmt("add column x again", "ALTER TABLE t ADD COLUMN x int"),
        stmt("never reached", "CREATE TABLE never (id int)"),
    ])];
    let mut steps = Vec::new();
    let err = rt()
        .block_on(async {
            let mut c = client(&db).await;
            apply(&mut c, &batches, &ApplyOptions::default(), &mut |p| {
                steps.push((p.step, p.phase))
            })
            .await
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("statement 4 of 5 (add column x again) failed: "),
        "{text}"
    );
    assert!(text.contains("already exists"), "{text}");
    assert!(text.contains("sqlstate 42701"), "{text}");
    assert!(text.contains("rolled back"), "{text}");
    assert_eq!(err.sqlstate(), Some("42701"));
    assert!(matches!(
        err,
        Error::Statement {
            index: 4,
            rolled_back: true,
            ..
        }
    ));
    assert_eq!(steps.last(), Some(&(4, Phase::Started)));
    assert_eq!(db.schema_dump(), dump_before);
    assert_eq!(db.rows("SELECT * FROM t ORDER BY 1"), rows_before);

    // The session is usable again and the lock was released: a second apply works.
    let ok = vec![tx(vec![stmt("create table v", "CREATE TABLE v (id int)")])];
    rt().block_on(async {
        let mut c = client(&db).await;
        apply(&mut c, &ok, &ApplyOptions::default(), &mut |_| {})
            .await
            .unwrap();
    });
    assert_ne!(db.schema_dump(), dump_before);
}

#[test]
fn concurrent_applies_never_interleave() {
    let db = TestDb::create("apply_lock");
    db.execute("CREATE TABLE log (n serial PRIMARY KEY, who text)");
    let slow = vec![tx(vec![
        stmt("a1", "INSERT INTO log (who) VALUES ('a1')"),
        stmt("sleep", "SELECT pg_sleep(0.6)"),
        stmt("a2", "INSERT INTO log (who) VALUES ('a2')"),
    ])];
    let quick = vec![tx(vec![stmt("b", "INSERT INTO log (who) VALUES ('b')")])];
    rt().block_on(async {
        let mut a = client(&db).await;
        let mut b = client(&db).await;
        let mut b2 = client(&db).await;
        // Both run concurrently in one task (the progress callback need not be Send).
        let defaults = ApplyOptions::default();
        let mut ignore = |_: Progress| {};
        let first = apply(&mut a, &slow, &defaults, &mut ignore);
        let second = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            // Without waiting: refused with a clear error.
            let refused = apply(&mut b, &quick, &ApplyOptions::default(), &mut |_| {})
                .await
                .unwrap_err();
            assert!(matches!(refused, Error::LockHeld { key } if key == ADVISORY_LOCK_KEY));
            assert!(
                refused
                    .to_string()
                    .contains("another schemadiff apply is running")
            );
            // Waiting: runs after the first one.
            let waiting = ApplyOptions {
                wait_for_lock: true,
                ..ApplyOptions::default()
            };
            apply(&mut b2, &quick, &waiting, &mut |_| {}).await.unwrap();
        };
        let (first, ()) = tokio::join!(first, second);
        first.unwrap();
    });
    assert_eq!(
        db.rows("SELECT who FROM log ORDER BY n"),
        vec![
            vec![Some("a1".into())],
            vec![Some("a2".into())],
            vec![Some("b".into())]
        ]
    );
}

#[test]
fn lock_timeout_is_honoured() {
    let db = TestDb::create("apply_lock_timeout");
    db.execute("CREATE TABLE t (x int)");
    let dump_before = db.schema_dump();
    let batches = vec![tx(vec![stmt(
        "add column z",
        "ALTER TABLE t ADD COLUMN z int",
    )])];
    let opts = ApplyOptions {
        lock_timeout: Duration::from_millis(200),
        statement_timeout: Some(Duration::from_secs(30)),
        wait_for_lock: false,
    };
    let (err, took) = rt().block_on(async {
        let holder = client(&db).await;
        holder
            .batch_execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
            .await
            .unwrap();
        let mut c = client(&db).await;
        let start = Instant::now();
        let err = apply(&mut c, &batches, &opts, &mut |_| {})
            .await
            .unwrap_err();
        let took = start.elapsed();
        holder.batch_execute("ROLLBACK").await.unwrap();
        (err, took)
    });
    assert_eq!(err.sqlstate(), Some("55P03"), "{err}");
    assert!(err.to_string().contains("lock timeout"), "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(db.schema_dump(), dump_before);
}

#[test]
fn statement_timeout_is_honoured() {
    let db = TestDb::create("apply_stmt_timeout");
    let batches = vec![no_tx(vec![stmt("sleep", "SELECT pg_sleep(5)")])];
    let opts = ApplyOptions {
        statement_timeout: Some(Duration::from_millis(200)),
        ..ApplyOptions::default()
    };
    let err = rt()
        .block_on(async {
            let mut c = client(&db).await;
            apply(&mut c, &batches, &opts, &mut |_| {}).await
        })
        .unwrap_err();
    assert_eq!(err.sqlstate(), Some("57014"), "{err}");
    assert!(err.to_string().contains("outside a transaction"), "{err}");
}

#[test]
fn verify_before_commit() {
    let db = TestDb::create("apply_verify");
    let dump_before = db.schema_dump();
    let batches = vec![
        tx(vec![stmt("create enum", "CREATE TYPE e AS ENUM ('a')")]),
        tx(vec![stmt(
            "create table t",
            "CREATE TABLE t (id int PRIMARY KEY, v e)",
        )]),
    ];
    let intro = IntrospectOptions::default();
    rt().block_on(async {
        let mut c = client(&db).await;
        // Refused by the check: nothing is committed.
        let err = apply_and_verify(
            &mut c,
            &batches,
            &Default::default(),
            &intro,
            &mut |_| {},
            |s| {
                if s.tables.len() == 1 {
                    Err("table t should not exist".into())
                } else {
                    Ok(())
                }
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "verification failed, nothing was committed: table t should not exist"
        );
    });
    assert_eq!(db.schema_dump(), dump_before);
    rt().block_on(async {
        let mut c = client(&db).await;
        let (report, schema) = apply_and_verify(
            &mut c,
            &batches,
            &Default::default(),
            &intro,
            &mut |_| {},
            |s| {
                if s.tables.len() == 1 && s.enums.len() == 1 {
                    Ok(())
                } else {
                    Err(format!("unexpected schema {s:?}"))
                }
            },
        )
        .await
        .unwrap();
        assert_eq!((report.statements, report.transactions), (2, 1));
        assert_eq!(schema.tables.len(), 1);
        // Work that cannot share one transaction is refused up front.
        let mixed = vec![no_tx(vec![stmt(
            "concurrently",
            "CREATE INDEX CONCURRENTLY i ON t (v)",
        )])];
        let err = apply_and_verify(
            &mut c,
            &mixed,
            &Default::default(),
            &intro,
            &mut |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::NotOneTransaction(_)), "{err}");
    });
    assert_eq!(
        db.rows("SELECT count(*) FROM t"),
        vec![vec![Some("0".into())]]
    );
}
