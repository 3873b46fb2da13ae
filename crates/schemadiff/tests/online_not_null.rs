//! Online mode for a column that keeps its type and becomes required, on a real PostgreSQL
//! server: its NULLs are filled in key-ordered batches (only the rows holding one), the NULLs
//! writers keep writing during the run are filled by the trigger, and NOT NULL comes from a
//! validated check at the switch; with nothing to fill them, the run stops before anything of
//! the column changes and continues once the rows are fixed. A column changed online whose
//! `NOT NULL` check is already validated when the mapping file loses an entry stops on the
//! value that now maps to nothing, by name, and finishes once the entry is back.

mod common;

use common::{dsl, runtime};
use schemadiff::{
    LoadOptions, OnlineOrigin, apply_online, batches, make_online_plan, make_plan,
    online_in_progress, online_steps,
};
use schemadiff_plan::online::OnlineOptions;
use schemadiff_postgres::{ConnectOptions, IntrospectOptions, OnlineRunOptions};
use schemadiff_testkit::TestDb;
use std::path::{Path, PathBuf};

/// A database made by the offline plan from empty to `schema`.
fn database(hint: &str, schema: &str) -> TestDb {
    let db = TestDb::create(hint);
    let empty = runtime()
        .block_on(schemadiff::load("empty", &[], LoadOptions::default()))
        .expect("empty");
    let plan = make_plan(&empty, &dsl("from.prisma", schema), None, None).expect("plan");
    for b in batches(&plan) {
        let sql: Vec<String> = b.statements.iter().map(|s| format!("{};", s.sql)).collect();
        db.execute(&sql.join("\n"));
    }
    db
}

/// A mapping file in a scratch folder (removed on drop).
struct MapFile(PathBuf);

impl MapFile {
    fn new(hint: &str, text: &str) -> MapFile {
        let p =
            std::env::temp_dir().join(format!("sd-online-nn-{hint}-{}.toml", std::process::id()));
        std::fs::write(&p, text).expect("mapping file");
        MapFile(p)
    }
}

impl Drop for MapFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Plans online from the database to `to` (or takes the stored steps of an unfinished run) and
/// runs it with `opts`, batches of 7.
fn run(
    db: &TestDb,
    to: &str,
    map: Option<&Path>,
    opts: &OnlineRunOptions,
) -> anyhow::Result<schemadiff::OnlineApplied> {
    runtime().block_on(async {
        let o = ConnectOptions::resolve(Some(&db.url))?;
        let mut c = schemadiff_postgres::connect(&o).await?;
        let mut to = dsl("to.prisma", to);
        let mut opts = opts.clone();
        let steps = if online_in_progress(&c).await? {
            // As `apply --online` does: the mapping file read again, the stored steps revised.
            if let Some(r) = schemadiff::online_resume(&c, &mut to, map).await? {
                schemadiff_postgres::online_revise(&mut c, &r, &opts).await?;
            }
            Vec::new()
        } else {
            let from = schemadiff::load_database(Some(&db.url), &[], None).await?;
            let online = OnlineOptions {
                batch_size: 7,
                keep_old_columns: false,
            };
            let plan = make_online_plan(&from, &to, map, None, &online)?;
            opts.origin = Some(OnlineOrigin::new(&from, &to, None, &online)?.to_json());
            online_steps(&plan)
        };
        let iopts = IntrospectOptions::for_schemas(vec!["public".into()]);
        apply_online(&mut c, &steps, &opts, &iopts, &to.schema, &mut |_| {}).await
    })
}

fn one(db: &TestDb, sql: &str) -> Option<String> {
    db.rows(sql).remove(0).remove(0)
}

/// `attribute` of `table.column` in `information_schema.columns`.
fn column_info(db: &TestDb, table: &str, column: &str, attribute: &str) -> String {
    one(
        db,
        &format!(
            "SELECT {attribute} FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{column}'"
        ),
    )
    .expect("column")
}

/// `is_nullable` of `table.column`.
fn nullable(db: &TestDb, table: &str, column: &str) -> String {
    column_info(db, table, column, "is_nullable")
}

/// Run options that stop after `phase` (resumably).
fn stop_after(phase: &str) -> OnlineRunOptions {
    OnlineRunOptions {
        stop_after_phase: Some(phase.into()),
        ..Default::default()
    }
}

const JOB_FROM: &str =
    "model Job {\n  id    Int     @id\n  state String?\n  owner String?\n  note  String?\n}\n";
const JOB_TO: &str = "model Job {\n  id    Int     @id\n  state String  @default(\"queued\")\n  owner String\n  note  String?\n}\n";

#[test]
fn a_column_becoming_required_is_filled_online_and_so_are_nulls_written_during_the_run() {
    let db = database("online_nn_fill", JOB_FROM);
    // 300 rows, ids not contiguous; state NULL every 3rd row, owner NULL every 5th.
    db.execute(
        "INSERT INTO \"Job\" (id, state, owner, note) \
         SELECT i * 3 + 1, CASE WHEN i % 3 = 0 THEN NULL ELSE 's' || i END, \
                CASE WHEN i % 5 = 0 THEN NULL ELSE 'o' || i END, 'n' || i \
           FROM generate_series(0, 299) AS i",
    );
    let nulls = one(
        &db,
        "SELECT count(*) FROM \"Job\" WHERE state IS NULL OR owner IS NULL",
    )
    .expect("count");
    let map = MapFile::new("fill", "[fill.Job]\nowner = \"nobody\"\n");
    let expanded = run(&db, JOB_TO, Some(&map.0), &stop_after("expand")).expect("expand");
    assert_eq!(expanded.report.stopped.as_deref(), Some("expand"));
    assert_eq!(nullable(&db, "Job", "owner"), "YES", "nothing switched yet");
    // Writers of the old version keep writing NULLs: the trigger fills them.
    db.execute(
        "INSERT INTO \"Job\" (id, state, owner, note) VALUES (2, NULL, NULL, 'late'), (5, 'mine', NULL, 'late2'); \
         UPDATE \"Job\" SET owner = NULL WHERE id = 4",
    );
    let part = run(
        &db,
        JOB_TO,
        Some(&map.0),
        &OnlineRunOptions {
            stop_after_batches: Some(2),
            ..Default::default()
        },
    )
    .expect("two batches");
    assert_eq!(part.report.batches, 2);
    assert_eq!(part.report.rows, 14, "two batches of 7 NULL rows");
    let done = run(&db, JOB_TO, Some(&map.0), &OnlineRunOptions::default()).expect("finish");
    assert_eq!(done.check, None, "the database matches the target");
    assert!(done.report.resumed);
    // Only the rows that held a NULL before the run were backfilled: the NULLs written since
    // (ids 2, 5, and 4's update) were filled by the trigger as they were written.
    let backfilled = part.report.rows + done.report.rows;
    let want: u64 = nulls.parse().expect("number");
    assert_eq!(backfilled, want, "rows backfilled");
    for c in ["state", "owner"] {
        assert_eq!(nullable(&db, "Job", c), "NO", "{c} NOT NULL");
    }
    assert_eq!(nullable(&db, "Job", "note"), "YES");
    // Every row holds its own value, or the fill where it was NULL.
    let bad = one(
        &db,
        "SELECT count(*) FROM \"Job\" j, LATERAL (SELECT (j.id - 1) / 3 AS i) s \
          WHERE j.id % 3 = 1 AND ( \
                j.state IS DISTINCT FROM CASE WHEN s.i % 3 = 0 THEN 'queued' ELSE 's' || s.i END \
             OR j.owner IS DISTINCT FROM CASE WHEN s.i % 5 = 0 OR j.id = 4 THEN 'nobody' ELSE 'o' || s.i END \
             OR j.note IS DISTINCT FROM 'n' || s.i)",
    );
    assert_eq!(bad.as_deref(), Some("0"));
    let late = db.rows("SELECT id::text, state, owner FROM \"Job\" WHERE id IN (2, 5) ORDER BY id");
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        late,
        vec![
            vec![s("2"), s("queued"), s("nobody")],
            vec![s("5"), s("mine"), s("nobody")]
        ]
    );
    assert_eq!(
        one(&db, "SELECT count(*) FROM \"Job\"").as_deref(),
        Some("302")
    );
    let left = one(
        &db,
        "SELECT count(*) FROM pg_constraint WHERE conname LIKE '\\_sd\\_%' \
         UNION ALL SELECT count(*) FROM pg_trigger WHERE tgname LIKE '\\_sd\\_%' \
         UNION ALL SELECT count(*) FROM pg_namespace WHERE nspname = 'schemadiff' ORDER BY 1 DESC LIMIT 1",
    );
    assert_eq!(
        left.as_deref(),
        Some("0"),
        "no check, trigger or state left"
    );
    // The default is the target's: a new row without a state gets it.
    db.execute("INSERT INTO \"Job\" (id, owner) VALUES (1000, 'x')");
    assert_eq!(
        one(&db, "SELECT state FROM \"Job\" WHERE id = 1000").as_deref(),
        Some("queued")
    );
}

const TAG_FROM: &str = "model Tag {\n  id    Int     @id\n  label String?\n}\n";
const TAG_TO: &str = "model Tag {\n  id    Int    @id\n  label String\n}\n";

#[test]
fn a_required_column_with_nothing_to_fill_it_stops_before_its_switch_then_continues() {
    let db = database("online_nn_stop", TAG_FROM);
    db.execute("INSERT INTO \"Tag\" VALUES (1, 'a'), (2, NULL), (3, 'c'), (4, NULL)");
    let err = run(&db, TAG_TO, None, &OnlineRunOptions::default()).expect_err("stopped");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("Tag.label becomes NOT NULL and holds 2 NULL(s)"),
        "{msg}"
    );
    assert!(msg.contains("nothing of it was changed"), "{msg}");
    // Nothing of the column changed: still nullable, no check that would refuse a writer's NULL.
    assert_eq!(nullable(&db, "Tag", "label"), "YES");
    db.execute("INSERT INTO \"Tag\" VALUES (5, NULL)");
    // Fixed by hand, the same run continues and finishes.
    db.execute("UPDATE \"Tag\" SET label = 'none' WHERE label IS NULL");
    let done = run(&db, TAG_TO, None, &OnlineRunOptions::default()).expect("finish");
    assert!(done.report.resumed);
    assert_eq!(done.check, None, "the database matches the target");
    assert_eq!(nullable(&db, "Tag", "label"), "NO");
    let rows = db.rows("SELECT string_agg(id || '=' || label, ',' ORDER BY id) FROM \"Tag\"");
    assert_eq!(rows[0][0].as_deref(), Some("1=a,2=none,3=c,4=none,5=none"));
}

const AD_FROM: &str = "model Ad {\n  id       Int    @id\n  platform String\n}\n";
const AD_TO: &str = "enum Platform {\n  GOOGLE_ADS\n  FACEBOOK\n}\n\nmodel Ad {\n  id       Int      @id\n  platform Platform\n}\n";

/// The run stops after the backfill phase: every check of `Ad.platform` is validated,
/// `CHECK ("_sd_new_platform" IS NOT NULL)` included. The mapping file then loses `fb` and the
/// same apply runs again: the backfill starts again from its first row and must record `fb` as
/// unmapped, which the validated check would refuse (a batch failing on a check violation
/// instead of the stop that names the value). The revision drops the check with the restart
/// (it is added and validated again after the backfill), so the run stops on `'fb'` by name,
/// switching nothing; with `fb` back in the file the same apply finishes.
#[test]
fn a_mapping_entry_removed_after_the_not_null_check_is_validated_stops_on_the_value() {
    let db = database("online_nn_remap", AD_FROM);
    db.execute(
        "INSERT INTO \"Ad\" SELECT g, CASE WHEN g % 3 = 0 THEN 'fb' ELSE 'google' END FROM generate_series(1, 50) AS g",
    );
    let full = "[values.Ad.platform]\n\"google\" = \"GOOGLE_ADS\"\n\"fb\" = \"FACEBOOK\"\n";
    let map = MapFile::new("remap", full);
    let backfilled = run(&db, AD_TO, Some(&map.0), &stop_after("backfill")).expect("backfill");
    assert_eq!(backfilled.report.stopped.as_deref(), Some("backfill"));
    let validated = || {
        one(
            &db,
            "SELECT string_agg(conname || ' ' || convalidated, ', ') FROM pg_constraint WHERE conrelid = '\"Ad\"'::regclass AND contype = 'c'",
        )
    };
    assert_eq!(validated().as_deref(), Some("_sd_not_null true"));
    std::fs::write(
        &map.0,
        "[values.Ad.platform]\n\"google\" = \"GOOGLE_ADS\"\n",
    )
    .expect("mapping file");
    let err = run(&db, AD_TO, Some(&map.0), &OnlineRunOptions::default())
        .expect_err("stops on the value now unmapped");
    let text = format!("{err:#}");
    assert!(
        text.contains("holds values that map to no value of enum Platform")
            && text.contains("'fb'"),
        "{text}"
    );
    assert!(!text.contains("violates check constraint"), "{text}");
    assert_eq!(
        column_info(&db, "Ad", "platform", "data_type"),
        "text",
        "nothing switched"
    );
    std::fs::write(&map.0, full).expect("mapping file");
    let done = run(&db, AD_TO, Some(&map.0), &OnlineRunOptions::default()).expect("finishes");
    assert_eq!(done.check, None, "database matches the target");
    let counts = one(
        &db,
        "SELECT string_agg(platform::text || ' ' || n, ', ' ORDER BY platform::text) FROM (SELECT platform, count(*) AS n FROM \"Ad\" GROUP BY platform) s",
    );
    assert_eq!(counts.as_deref(), Some("FACEBOOK 16, GOOGLE_ADS 34"));
}

/// A value written unmapped after the unmapped-value check ran and before the `NOT NULL` check
/// is added (simulated: that check's step marked done before the value arrives) stops the run
/// at the validation by name, not as a violated check, and nothing is switched.
#[test]
fn a_value_unmapped_between_the_check_and_the_validation_stops_by_name() {
    let db = database("online_nn_race", AD_FROM);
    db.execute("INSERT INTO \"Ad\" SELECT g, 'google' FROM generate_series(1, 20) AS g");
    let map = MapFile::new(
        "race",
        "[values.Ad.platform]\n\"google\" = \"GOOGLE_ADS\"\n\"fb\" = \"FACEBOOK\"\n",
    );
    run(&db, AD_TO, Some(&map.0), &stop_after("expand")).expect("expand");
    let marked = db.rows(
        "UPDATE \"schemadiff\".\"online_step\" SET done = true WHERE description LIKE 'stop when a value of %' RETURNING n",
    );
    assert_eq!(marked.len(), 1, "one unmapped-value check step");
    db.execute("INSERT INTO \"Ad\" VALUES (21, 'myspace')");
    let err = run(&db, AD_TO, Some(&map.0), &OnlineRunOptions::default())
        .expect_err("stops on the unmapped value");
    let text = format!("{err:#}");
    assert!(
        text.contains("validate the NOT NULL check of Ad (platform)")
            && text.contains("holds values that map to no value of enum Platform")
            && text.contains("'myspace'"),
        "{text}"
    );
    assert!(!text.contains("violated"), "{text}");
    assert_eq!(
        column_info(&db, "Ad", "platform", "data_type"),
        "text",
        "nothing switched"
    );
}

/// The pages a sequential scan of `table` makes dirty (after a checkpoint, so that only what
/// the scan itself changes counts), and the table's size in pages.
fn pages_a_scan_dirties(db: &TestDb, table: &str) -> (u64, u64) {
    db.execute("CHECKPOINT");
    let plan: Vec<String> = db
        .rows(&format!(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT count(*) FROM \"{table}\""
        ))
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let buffers = plan
        .iter()
        .find(|l| l.trim_start().starts_with("Buffers:"))
        .unwrap_or_else(|| panic!("no Buffers line in {plan:?}"));
    let dirtied = buffers
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dirtied="))
        .map_or(0, |n| n.trim_end_matches(',').parse().expect("dirtied"));
    let pages = one(
        db,
        &format!("SELECT pg_relation_size('\"{table}\"') / current_setting('block_size')::bigint"),
    )
    .expect("size")
    .parse()
    .expect("pages");
    (dirtied, pages)
}

/// Backfills `Doc.body` (`String?` → `Json?`) of 2,000 rows online, stops after the backfill
/// and measures what the first scan of the table dirties.
fn read_back_case(hint: &str, key: &str, key_columns: &str) {
    let from = format!("model Doc {{\n{key}  pad  String\n  body String?\n}}\n");
    let to = from.replace("body String?", "body Json?");
    let db = database(hint, &from);
    // Autovacuum would set the hint bits itself and hide a missing read-back.
    db.execute("ALTER TABLE \"Doc\" SET (autovacuum_enabled = false)");
    db.execute(&format!(
        "INSERT INTO \"Doc\" ({key_columns}, pad, body) SELECT {}, repeat('x', 200), '{{\"n\": ' || g || '}}' FROM generate_series(1, 2000) g",
        if key_columns.contains(',') { "g % 7, g" } else { "g" }
    ));
    // A pause between batches makes the backfill outlast the read-back's wait for the WAL
    // writer (3 × wal_writer_delay), so batches are read back during it as well as at its end.
    let opts = OnlineRunOptions {
        throttle: std::time::Duration::from_millis(4),
        ..stop_after("backfill")
    };
    let a = run(&db, &to, None, &opts).expect("expand and backfill");
    assert_eq!(a.report.stopped.as_deref(), Some("backfill"));
    // Every row was updated, so every page holds new row versions or old ones: a scan that
    // found their commits unhinted would dirty all of them. Only the first batch (no lower
    // key) is not read back.
    let (dirtied, pages) = pages_a_scan_dirties(&db, "Doc");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM \"Doc\" WHERE \"_sd_new_body\" IS NULL"
        )
        .as_deref(),
        Some("0"),
        "every row backfilled"
    );
    assert!(pages > 20, "the table spans {pages} pages");
    assert!(
        dirtied * 10 < pages,
        "the first scan after the backfill dirtied {dirtied} of {pages} pages"
    );
    let b = run(&db, &to, None, &OnlineRunOptions::default()).expect("finish");
    assert_eq!(b.check, None);
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM \"Doc\" WHERE body = jsonb_build_object('n', \"id\")"
        )
        .as_deref(),
        Some("2000")
    );
}

#[test]
fn the_backfill_reads_its_batches_back_so_the_first_scan_after_it_dirties_no_page() {
    read_back_case("online-read-back", "  id   Int     @id\n", "id");
}

#[test]
fn a_composite_key_backfill_reads_its_batches_back_too() {
    read_back_case(
        "online-read-back-2",
        "  kind Int\n  id   Int\n  @@id([kind, id])\n",
        "kind, id",
    );
}
