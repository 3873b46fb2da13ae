//! Table sizes from `pg_class` and the progress PostgreSQL reports for another session's
//! index build, on the real server.

use schemadiff_model::QualifiedName;
use schemadiff_postgres::progress::{backend_pid, statement_progress, table_sizes};
use schemadiff_postgres::{Client, ConnectOptions, connect};
use schemadiff_testkit::TestDb;
use std::time::{Duration, Instant};

async fn client(db: &TestDb) -> Client {
    connect(&ConnectOptions::from_url(&db.url).unwrap())
        .await
        .unwrap()
}

#[test]
fn table_sizes_come_from_the_catalog() {
    let db = TestDb::create("progress_sizes");
    db.execute(
        r#"CREATE TABLE "Big" (id int PRIMARY KEY, note text);
           INSERT INTO "Big" SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;
           ANALYZE "Big";
           CREATE TABLE "Fresh" (id int)"#,
    );
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = client(&db).await;
        let sizes = table_sizes(
            &c,
            &[
                QualifiedName::public("Big"),
                QualifiedName::public("Fresh"),
                QualifiedName::public("Missing"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(sizes.len(), 2, "a missing table is left out");
        assert_eq!(sizes[0].table.name, "Big");
        assert_eq!(sizes[0].rows_estimate, Some(5000));
        // 5000 rows of ~130 bytes plus the primary key: more than 600 kB.
        assert!(sizes[0].bytes > 600_000, "{:?}", sizes[0]);
        assert_eq!(sizes[1].table.name, "Fresh");
        assert!(sizes[1].rows_estimate.is_none() || sizes[1].rows_estimate == Some(0));
    });
}

#[test]
fn an_index_build_of_another_session_reports_its_phase() {
    let db = TestDb::create("progress_index");
    db.execute(r#"CREATE TABLE "T" (id int); INSERT INTO "T" SELECT generate_series(1, 1000)"#);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let writer = client(&db).await;
        let builder = client(&db).await;
        let watcher = client(&db).await;
        // An open write transaction makes CREATE INDEX CONCURRENTLY wait in a reported phase.
        writer
            .batch_execute(r#"BEGIN; INSERT INTO "T" VALUES (0)"#)
            .await
            .unwrap();
        let pid = backend_pid(&builder).await.unwrap();
        assert_eq!(statement_progress(&watcher, pid).await.unwrap(), None);
        let build = tokio::spawn(async move {
            builder
                .batch_execute(r#"CREATE INDEX CONCURRENTLY "T_id_idx" ON "T" (id)"#)
                .await
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        // The build reports "initializing" first, then waits for the writer: poll until the
        // waiting phase shows (or the deadline passes, naming the last phase seen).
        let mut last = None;
        let seen = loop {
            if let Some(p) = statement_progress(&watcher, pid).await.unwrap() {
                assert_eq!(p.command, "CREATE INDEX CONCURRENTLY");
                if p.phase.contains("waiting") {
                    break p;
                }
                last = Some(p);
            }
            assert!(
                Instant::now() < deadline,
                "no waiting phase reported; last seen: {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(seen.phase.contains("waiting"), "{seen:?}");
        writer.batch_execute("COMMIT").await.unwrap();
        build.await.unwrap().unwrap();
        assert_eq!(statement_progress(&watcher, pid).await.unwrap(), None);
    });
}
