//! Online mode on a real PostgreSQL server: the seed upgrade (v1.2 → v2.0 with the mapping
//! file) through every phase, interrupted at each phase boundary and inside the backfill and
//! run again, the unmapped-value stop for a value written during the backfill, a long
//! transaction that makes the switch retry, and the same final schema and rows as the offline
//! plan. Row values are checked against `fixtures/bench/seed-expected.tsv`, written from the
//! legacy spellings independently of the planner.

mod common;

use common::{file, runtime};
use schemadiff::{
    LoadOptions, apply_online, batches, load_database, make_online_plan, make_plan,
    online_in_progress, online_steps,
};
use schemadiff_plan::online::OnlineOptions;
use schemadiff_postgres::{Client, ConnectOptions, IntrospectOptions, OnlineRunOptions};
use schemadiff_testkit::{TestDb, workspace_root};
use std::path::PathBuf;
use std::time::Duration;

const ROWS: u32 = 1200;

fn map() -> PathBuf {
    workspace_root().join("schemas/v1.2-to-v2.0.toml")
}

async fn connect(db: &TestDb) -> Client {
    let o = ConnectOptions::resolve(Some(&db.url)).expect("url");
    schemadiff_postgres::connect(&o).await.expect("connect")
}

/// A database at v1.2 (made by the offline plan from empty) holding the benchmark's legacy rows.
fn legacy_db(hint: &str) -> TestDb {
    let db = TestDb::create(hint);
    let empty = runtime()
        .block_on(schemadiff::load("empty", &[], LoadOptions::default()))
        .expect("empty");
    let v12 = file("schemas/v1.2.prisma");
    let plan = make_plan(&empty, &v12, None, None).expect("plan v1.2");
    for b in batches(&plan) {
        let sql: Vec<String> = b.statements.iter().map(|s| format!("{};", s.sql)).collect();
        db.execute(&sql.join("\n"));
    }
    let fill = std::fs::read_to_string(workspace_root().join("fixtures/bench/seed-fill.sql"))
        .expect("seed-fill.sql");
    db.execute(&fill.replace(":n", &ROWS.to_string()));
    db
}

/// Plans online from the database to v2.0, or takes the stored steps of an unfinished run.
fn run(db: &TestDb, opts: &OnlineRunOptions) -> anyhow::Result<schemadiff::OnlineApplied> {
    runtime().block_on(async {
        let mut c = connect(db).await;
        let to = file("schemas/v2.0.prisma");
        let steps = if online_in_progress(&c).await? {
            Vec::new()
        } else {
            let from = load_database(Some(&db.url), &[], None).await?;
            let plan = make_online_plan(
                &from,
                &to,
                Some(&map()),
                None,
                &OnlineOptions {
                    batch_size: 100,
                    keep_old_columns: false,
                },
            )?;
            online_steps(&plan)
        };
        let iopts = IntrospectOptions::for_schemas(vec!["public".into()]);
        apply_online(&mut c, &steps, opts, &iopts, &to.schema, &mut |_| {}).await
    })
}

fn finish(db: &TestDb) -> schemadiff::OnlineApplied {
    let done = run(db, &OnlineRunOptions::default()).expect("online apply");
    assert_eq!(done.check, None, "database matches v2.0");
    done
}

/// Every row holds what seed-expected.tsv says (0 lost, 0 unmapped), and the online mode's
/// state is gone.
fn assert_rows(db: &TestDb) {
    let tsv = std::fs::read_to_string(workspace_root().join("fixtures/bench/seed-expected.tsv"))
        .expect("seed-expected.tsv");
    let mut checked = 0;
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut parts = line.splitn(3, '\t');
        let (t, c, expr) = (
            parts.next().expect("table"),
            parts.next().expect("column"),
            parts.next().expect("expression"),
        );
        let sql = format!(
            "SELECT count(*) FROM (SELECT \"{c}\"::text AS v, substr(id, 2)::bigint AS k FROM \"{t}\") s WHERE v IS DISTINCT FROM ({expr})"
        );
        let bad = &db.rows(&sql)[0][0];
        assert_eq!(
            bad.as_deref(),
            Some("0"),
            "{t}.{c}: rows differing from the expectation"
        );
        checked += 1;
    }
    assert!(checked >= 10, "seed-expected.tsv checked {checked} columns");
    let n = &db.rows("SELECT count(*) FROM \"Campaign\"")[0][0];
    assert_eq!(
        n.as_deref(),
        Some(ROWS.to_string().as_str()),
        "no Campaign row lost"
    );
    let state = &db.rows("SELECT count(*) FROM pg_namespace WHERE nspname = 'schemadiff'")[0][0];
    assert_eq!(state.as_deref(), Some("0"), "state schema dropped");
}

#[test]
fn seed_upgrade_online_gives_the_offline_schema_and_rows() {
    let online = legacy_db("online_seed");
    let done = finish(&online);
    assert!(!done.report.resumed);
    assert!(
        done.report.batches >= u64::from(ROWS) / 100,
        "{:?}",
        done.report
    );
    assert_rows(&online);
    // The same upgrade offline: the same schema (pg_dump) as online.
    let offline = legacy_db("offline_seed");
    let from = runtime()
        .block_on(load_database(Some(&offline.url), &[], None))
        .expect("load");
    let plan = make_plan(&from, &file("schemas/v2.0.prisma"), Some(&map()), None).expect("plan");
    for b in batches(&plan) {
        let sql: Vec<String> = b.statements.iter().map(|s| format!("{};", s.sql)).collect();
        offline.execute(&format!("BEGIN;\n{}\nCOMMIT;", sql.join("\n")));
    }
    assert_rows(&offline);
    let ordered = |d: &TestDb| {
        // Online columns come last in their table: compare lines without the trailing comma
        // a column's position decides.
        let mut l: Vec<String> = d
            .schema_dump()
            .lines()
            .map(|l| l.trim_end_matches(',').to_string())
            .collect();
        l.sort();
        l
    };
    let (a, b) = (ordered(&online), ordered(&offline));
    let only_online: Vec<&String> = a.iter().filter(|l| !b.contains(l)).collect();
    let only_offline: Vec<&String> = b.iter().filter(|l| !a.contains(l)).collect();
    assert!(
        a == b,
        "catalogs differ: online only {only_online:?}, offline only {only_offline:?}"
    );
}

#[test]
fn an_interruption_at_each_phase_boundary_resumes() {
    for phase in ["expand", "backfill", "switch"] {
        let db = legacy_db(&format!("online_stop_{phase}"));
        let stopped = run(
            &db,
            &OnlineRunOptions {
                stop_after_phase: Some(phase.into()),
                ..Default::default()
            },
        )
        .expect("first run");
        assert_eq!(stopped.report.stopped.as_deref(), Some(phase));
        let again = finish(&db);
        assert!(again.report.resumed, "{phase}: resumed");
        assert!(
            again.report.steps_skipped > 0,
            "{phase}: earlier steps skipped"
        );
        assert_rows(&db);
    }
}

#[test]
fn an_interrupted_backfill_continues_after_its_last_batch() {
    let db = legacy_db("online_stop_batches");
    let first = run(
        &db,
        &OnlineRunOptions {
            stop_after_batches: Some(3),
            ..Default::default()
        },
    )
    .expect("first run");
    assert_eq!(first.report.batches, 3);
    let done_rows = &db.rows("SELECT sum(rows_done) FROM schemadiff.online_progress")[0][0];
    assert_eq!(
        done_rows.as_deref(),
        Some(first.report.rows.to_string().as_str()),
        "the progress rows hold what the committed batches did"
    );
    let again = finish(&db);
    assert!(again.report.resumed);
    // Campaign has ROWS rows; its first 100 were done before: it is not redone from the start.
    assert!(again.report.rows > 0);
    assert_rows(&db);
}

#[test]
fn an_unmapped_value_written_during_the_backfill_stops_the_switch() {
    let db = legacy_db("online_unmapped");
    run(
        &db,
        &OnlineRunOptions {
            stop_after_batches: Some(2),
            ..Default::default()
        },
    )
    .expect("first run");
    // A writer inserts a legacy spelling no mapping covers, mid-backfill: the write succeeds.
    db.execute(
        "INSERT INTO \"Campaign\" (id, name, platform, status, budget, \"externalId\", \"tenantId\", \"updatedAt\") VALUES ('x1', 'late', 'myspace', 'active', 1, 'ext-x1', 't1', now())",
    );
    let err = run(&db, &OnlineRunOptions::default()).expect_err("the switch is refused");
    let msg = format!("{err:#}");
    assert!(msg.contains("Campaign.platform"), "{msg}");
    assert!(msg.contains("'myspace'"), "{msg}");
    assert!(msg.contains("nothing was switched"), "{msg}");
    let ty = &db.rows(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'Campaign' AND column_name = 'platform'",
    )[0][0];
    assert_eq!(ty.as_deref(), Some("text"), "nothing switched");
    // Fixed, the next run finishes.
    db.execute("UPDATE \"Campaign\" SET platform = 'facebook' WHERE id = 'x1'");
    finish(&db);
    let v = &db.rows("SELECT platform::text FROM \"Campaign\" WHERE id = 'x1'")[0][0];
    assert_eq!(v.as_deref(), Some("FACEBOOK"));
    db.execute("DELETE FROM \"Campaign\" WHERE id = 'x1'");
    assert_rows(&db);
}

#[test]
fn a_long_transaction_makes_the_switch_retry_then_succeed() {
    let db = legacy_db("online_long_tx");
    run(
        &db,
        &OnlineRunOptions {
            stop_after_phase: Some("backfill".into()),
            ..Default::default()
        },
    )
    .expect("first run");
    let url = db.url.clone();
    let switch = std::thread::spawn(move || TestDbRef(url).run());
    runtime().block_on(async {
        let mut holder = connect(&db).await;
        let tx = holder.transaction().await.expect("begin");
        tx.batch_execute("SELECT count(*) FROM \"Campaign\"")
            .await
            .expect("ACCESS SHARE held");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // Meanwhile a writer is never queued behind the waiting switch: its UPDATE finishes
        // while the long transaction still holds its lock. Were it queued behind the switch's
        // ACCESS EXCLUSIVE request (which waits for this transaction), it could only finish
        // after the COMMIT below, which runs after it: the bound only turns that wait into a
        // failure instead of a hang.
        let writer = connect(&db).await;
        let update = writer.batch_execute("UPDATE \"Campaign\" SET name = 'w' WHERE id = 'c1'");
        tokio::time::timeout(Duration::from_secs(60), update)
            .await
            .expect("the writer was queued behind the switch while the long transaction was open")
            .expect("writer");
        tx.commit().await.expect("end of the long transaction");
    });
    let done = switch.join().expect("join");
    let done = done.expect("online apply");
    assert_eq!(done.check, None);
    assert!(done.report.retries > 0, "{:?}", done.report);
    db.execute("UPDATE \"Campaign\" SET name = 'Campaign 1' WHERE id = 'c1'");
    assert_rows(&db);
}

/// Runs the rest of an online apply from another thread (the URL of a [`TestDb`]).
struct TestDbRef(String);

impl TestDbRef {
    fn run(&self) -> anyhow::Result<schemadiff::OnlineApplied> {
        runtime().block_on(async {
            let o = ConnectOptions::resolve(Some(&self.0)).expect("url");
            let mut c = schemadiff_postgres::connect(&o).await.expect("connect");
            assert!(online_in_progress(&c).await?);
            let to = file("schemas/v2.0.prisma");
            let iopts = IntrospectOptions::for_schemas(vec!["public".into()]);
            apply_online(
                &mut c,
                &[],
                &OnlineRunOptions::default(),
                &iopts,
                &to.schema,
                &mut |_| {},
            )
            .await
        })
    }
}

#[test]
fn an_index_left_invalid_by_a_failed_build_is_dropped_and_built_again() {
    let db = legacy_db("online_invalid_index");
    // A failed concurrent build leaves an invalid index under the name the plan builds.
    let failed = db.try_execute(
        "CREATE UNIQUE INDEX CONCURRENTLY \"Campaign_tenantId_createdAt_idx\" ON \"Campaign\" (\"tenantId\")",
    );
    assert!(failed.is_err(), "duplicates make the unique build fail");
    let invalid = &db.rows(
        "SELECT count(*) FROM pg_index WHERE indexrelid = '\"Campaign_tenantId_createdAt_idx\"'::regclass AND NOT indisvalid",
    )[0][0];
    assert_eq!(invalid.as_deref(), Some("1"));
    let done = finish(&db);
    assert_eq!(
        done.report.rebuilt_indexes,
        vec!["public.Campaign_tenantId_createdAt_idx".to_string()]
    );
    let def = &db.rows(
        "SELECT indisvalid::text || ' ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid = '\"Campaign_tenantId_createdAt_idx\"'::regclass",
    )[0][0];
    assert_eq!(
        def.as_deref(),
        Some(
            "true CREATE INDEX \"Campaign_tenantId_createdAt_idx\" ON public.\"Campaign\" USING btree (\"tenantId\", \"createdAt\")"
        )
    );
    assert_rows(&db);
}

#[test]
fn a_schema_named_schemadiff_that_is_not_ours_is_never_used_or_dropped() {
    let db = legacy_db("online_schema_taken");
    db.execute("CREATE SCHEMA schemadiff; CREATE TABLE schemadiff.mine (x int); INSERT INTO schemadiff.mine VALUES (1)");
    let err = run(&db, &OnlineRunOptions::default()).expect_err("refused");
    assert!(
        format!("{err:#}").contains("rename that schema first"),
        "{err:#}"
    );
    let kept = &db.rows("SELECT count(*) FROM schemadiff.mine")[0][0];
    assert_eq!(kept.as_deref(), Some("1"));
    let ty = &db.rows(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'Campaign' AND column_name = 'platform'",
    )[0][0];
    assert_eq!(ty.as_deref(), Some("text"), "nothing changed");
}
