//! `plan --online` and `apply --online` through the binary on a real PostgreSQL server: the
//! script in phases, the seed upgrade applied online with drift 0 and the same rows as the
//! offline apply, and a re-run that finds nothing to do.

mod common;
use common::{
    advisory_lock_holders, assert_no_backend_left, database_from, interrupt, schemadiff, snapshot,
};
use schemadiff_testkit::{TestDb, workspace_root};

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";
const MAP: &str = "schemas/v1.2-to-v2.0.toml";

type Rows = Vec<Vec<Vec<Option<String>>>>;
type Snapshot = (String, Rows);

/// The catalog lines sorted (the online apply adds columns in another order) and the rows.
fn strip((catalog, rows): Snapshot) -> (Vec<String>, Rows) {
    let mut c: Vec<String> = catalog
        .lines()
        .map(|l| l.trim_end_matches(',').to_string())
        .collect();
    c.sort();
    (c, rows)
}

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

/// `apply --db DB --to v2.0 --map MAP --yes`, then `extra`.
/// `apply --online --db DB --to TO --map MAP --yes --batch-size 2`.
fn online_small_batches(db: &TestDb, to: &str, map: &str) -> Vec<String> {
    let args = [
        "apply",
        "--online",
        "--db",
        &db.url,
        "--to",
        to,
        "--map",
        map,
        "--yes",
        "--batch-size",
        "2",
    ];
    args.iter().map(|s| s.to_string()).collect()
}

fn to_refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn apply_args<'a>(db: &'a TestDb, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["apply", "--db", &db.url, "--to", V20, "--map", MAP, "--yes"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn apply_online_gives_the_offline_database_then_nothing_to_do() {
    let online = legacy_database("cli_online");
    let offline = legacy_database("cli_offline");
    let run = schemadiff(&apply_args(
        &online,
        &["--online", "--batch-size", "3", "--throttle", "1ms"],
    ))
    .expect_code(0);
    assert!(run.stderr.contains("applied online"), "{}", run.stderr);
    assert!(run.stderr.contains("now matches"), "{}", run.stderr);
    schemadiff(&["drift", "--schema", V20, "--db", &online.url]).expect_code(0);
    schemadiff(&apply_args(&offline, &[])).expect_code(0);
    assert_eq!(strip(snapshot(&online)), strip(snapshot(&offline)));
    let again = schemadiff(&apply_args(&online, &["--online"])).expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
}

/// SIGINT (then SIGTERM) in the middle of the backfill: the runner gets a cancel request and
/// stops before its next batch, exits 130 (143) saying how to resume, and leaves the stored
/// progress consistent (the steps and the batches committed so far); the same command run
/// again finishes, with drift 0 and the rows of the offline apply.
#[test]
fn an_interrupted_online_apply_exits_130_and_the_same_command_finishes() {
    let offline = legacy_database("cli_online_sig_offline");
    schemadiff(&apply_args(&offline, &[])).expect_code(0);
    for signal in ["INT", "TERM"] {
        let db = legacy_database(&format!("cli_online_sig_{}", signal.to_lowercase()));
        let args = apply_args(
            &db,
            &["--online", "--batch-size", "1", "--throttle", "300ms"],
        );
        // Signalled once a backfill has committed a batch and is not finished.
        let backfilling = || {
            let mid = db.rows(
                "SELECT (to_regclass('\"schemadiff\".\"online_progress\"') IS NOT NULL)::text",
            );
            mid[0][0].as_deref() == Some("true")
                && db.rows(
                    "SELECT count(*)::text FROM \"schemadiff\".\"online_progress\" WHERE rows_done > 0 AND NOT done",
                )[0][0]
                    .as_deref()
                    != Some("0")
        };
        let run = interrupt(&args, signal, backfilling);
        assert!(
            run.stderr.contains("run the same command again"),
            "{}",
            run.stderr
        );
        // The stored state says where to continue: some steps done, some not, and a backfill
        // that has rows done but is not finished.
        let state = db.rows(
            "SELECT (SELECT count(*) FROM \"schemadiff\".\"online_step\" WHERE done)::text, \
             (SELECT count(*) FROM \"schemadiff\".\"online_step\" WHERE NOT done)::text, \
             (SELECT count(*) FROM \"schemadiff\".\"online_progress\" WHERE rows_done > 0 AND NOT done)::text",
        );
        let n = |i: usize| -> u64 { state[0][i].as_deref().unwrap().parse().unwrap() };
        assert!(n(0) > 0 && n(1) > 0 && n(2) > 0, "{state:?}");
        // The advisory lock was released before the exit; the backend is gone (its
        // transaction ended with it).
        assert_eq!(advisory_lock_holders(&db), "0");
        assert_no_backend_left(&db);
        let again = schemadiff(&apply_args(&db, &["--online"])).expect_code(0);
        assert!(
            again.stderr.contains("continuing it where it stopped"),
            "{}",
            again.stderr
        );
        assert!(again.stderr.contains("now matches"), "{}", again.stderr);
        schemadiff(&["drift", "--schema", V20, "--db", &db.url]).expect_code(0);
        assert_eq!(strip(snapshot(&db)), strip(snapshot(&offline)));
    }
}

/// A table whose key is two columns (`@@id([tenantId, code])`): its text column becomes an enum
/// through a mapping, online, in batches of 2 walked by row value `(tenantId, code) > (…)`;
/// every row gets its mapped value (checked row by row), the key stays, drift is 0. (The
/// refusals, no key at all or a key column that changes type, are unit tests of the plan
/// crate: the DSL cannot describe a table without a key.)
#[test]
fn a_two_column_key_is_backfilled_online_by_row_value() {
    let dir = std::env::temp_dir().join(format!("sd-online-composite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let from = write(
        "from.prisma",
        "model Seat {\n  tenantId String\n  code     Int\n  platform String\n  note     String?\n\n  @@id([tenantId, code])\n}\n",
    );
    let to = write(
        "to.prisma",
        "enum Platform {\n  GOOGLE_ADS\n  FACEBOOK\n}\n\nmodel Seat {\n  tenantId String\n  code     Int\n  platform Platform\n  note     String?\n\n  @@id([tenantId, code])\n}\n",
    );
    let map = write(
        "map.toml",
        "[values.Seat.platform]\n\"google\" = \"GOOGLE_ADS\"\n\"Google Ads\" = \"GOOGLE_ADS\"\n\"fb\" = \"FACEBOOK\"\n",
    );
    let db = database_from("cli_online_composite", &from);
    // Keys that sort differently by the first column alone and by the pair; 11 rows, so the
    // last batch of 2 is short.
    db.execute(
        "INSERT INTO \"Seat\" VALUES ('t1', 2, 'google', 'a'), ('t1', 10, 'fb', NULL), ('t1', 1, 'Google Ads', 'b'), \
         ('t2', 1, 'fb', NULL), ('t2', 3, 'google', 'c'), ('t10', 1, 'Google Ads', NULL), ('t10', 2, 'fb', 'd'), \
         ('a', 5, 'google', NULL), ('a', 4, 'fb', NULL), ('z', 7, 'fb', 'e'), ('z', 8, 'google', NULL)",
    );
    let plan = schemadiff(&[
        "plan",
        "--online",
        "--from",
        &from,
        "--to",
        &to,
        "--map",
        &map,
        "--batch-size",
        "2",
    ])
    .expect_code(0)
    .stdout;
    assert!(
        plan.contains("WHERE (\"tenantId\", \"code\") > (SELECT (\"last_key\"::text[])[1]::TEXT, (\"last_key\"::text[])[2]::INTEGER"),
        "{plan}"
    );
    let run = schemadiff(&to_refs(&online_small_batches(&db, &to, &map))).expect_code(0);
    assert!(
        run.stderr.contains("11 row(s) backfilled in 6 batch(es)"),
        "{}",
        run.stderr
    );
    schemadiff(&["drift", "--schema", &to, "--db", &db.url]).expect_code(0);
    let rows = db.rows(
        "SELECT \"tenantId\", \"code\"::text, \"platform\"::text, \"note\" FROM \"Seat\" ORDER BY \"Seat\".\"tenantId\", \"Seat\".\"code\"",
    );
    let s = |v: &str| Some(v.to_string());
    let want = vec![
        vec![s("a"), s("4"), s("FACEBOOK"), None],
        vec![s("a"), s("5"), s("GOOGLE_ADS"), None],
        vec![s("t1"), s("1"), s("GOOGLE_ADS"), s("b")],
        vec![s("t1"), s("2"), s("GOOGLE_ADS"), s("a")],
        vec![s("t1"), s("10"), s("FACEBOOK"), None],
        vec![s("t10"), s("1"), s("GOOGLE_ADS"), None],
        vec![s("t10"), s("2"), s("FACEBOOK"), s("d")],
        vec![s("t2"), s("1"), s("FACEBOOK"), None],
        vec![s("t2"), s("3"), s("GOOGLE_ADS"), s("c")],
        vec![s("z"), s("7"), s("FACEBOOK"), s("e")],
        vec![s("z"), s("8"), s("GOOGLE_ADS"), None],
    ];
    assert_eq!(rows, want);
    let pk = db.rows(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '\"Seat\"'::regclass AND contype = 'p'",
    );
    assert_eq!(pk, vec![vec![s("PRIMARY KEY (\"tenantId\", code)")]]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A scratch folder with the `from`/`to` schemas and a mapping file of the mapping tests.
struct Files {
    dir: std::path::PathBuf,
}

impl Files {
    fn new(hint: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("sd-online-{hint}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const AD_FROM: &str = "model Ad {\n  id       Int    @id\n  platform String\n}\n";
const AD_TO: &str = "enum Platform {\n  GOOGLE_ADS\n  FACEBOOK\n}\n\nmodel Ad {\n  id       Int      @id\n  platform Platform\n}\n";
const AD_MAP: &str = "[values.Ad.platform]\n\"google\" = \"GOOGLE_ADS\"\n\"fb\" = \"FACEBOOK\"\n";

/// A database at `AD_FROM` with 7 rows, one of them a value (`myspace`) `AD_MAP` does not map,
/// and the first online apply, which stops on it before the switch.
fn stopped_on_unmapped(f: &Files, hint: &str) -> (TestDb, String, String, Vec<String>) {
    let from = f.write("from.prisma", AD_FROM);
    let to = f.write("to.prisma", AD_TO);
    let map = f.write("map.toml", AD_MAP);
    let db = database_from(hint, &from);
    db.execute(
        "INSERT INTO \"Ad\" VALUES (1, 'google'), (2, 'fb'), (3, 'myspace'), (4, 'google'), \
         (5, 'myspace'), (6, 'fb'), (7, 'google')",
    );
    let args = online_small_batches(&db, &to, &map);
    let first = schemadiff(&to_refs(&args)).expect_code(1);
    assert!(
        first
            .stderr
            .contains("holds values that map to no value of enum Platform"),
        "{}",
        first.stderr
    );
    assert!(first.stderr.contains("'myspace'"), "{}", first.stderr);
    (db, to, map, args)
}

/// Everything a re-run could change: the table's rows (shadow columns included), its columns,
/// the trigger functions, and the stored steps and progress.
fn online_state(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.rows(
        "SELECT (SELECT string_agg(to_jsonb(a)::text, ';' ORDER BY a.id) FROM \"Ad\" a), \
         (SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'Ad'), \
         (SELECT string_agg(prosrc, ';' ORDER BY proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'schemadiff'), \
         (SELECT string_agg(n || ' ' || done || ' ' || array_to_string(statements, '|'), ';' ORDER BY n) FROM \"schemadiff\".\"online_step\"), \
         (SELECT string_agg(table_name || ' ' || coalesce(last_key, '-') || ' ' || rows_done || ' ' || done, ';') FROM \"schemadiff\".\"online_progress\")",
    )
}

/// The switch stops on a value the mapping file does not map; the user adds it to the mapping
/// file and runs the same command again: the re-run reads the mapping, replaces the trigger
/// function and the stored statements, backfills the table again from its first row, and
/// finishes; every row holds its mapped value and drift is clean.
#[test]
fn a_mapping_edited_after_an_unmapped_stop_is_picked_up_by_the_same_command() {
    let f = Files::new("remap");
    let (db, to, map, args) = stopped_on_unmapped(&f, "cli_online_remap");
    f.write("map.toml", &format!("{AD_MAP}\"myspace\" = \"FACEBOOK\"\n"));
    let again = schemadiff(&to_refs(&args)).expect_code(0);
    assert!(
        again
            .stderr
            .contains("the mapping file changed the conversions since the first run"),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("the backfill of Ad starts again from its first row"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("now matches"), "{}", again.stderr);
    let rows = db.rows("SELECT id::text, platform::text FROM \"Ad\" ORDER BY id");
    let want: Vec<Vec<Option<String>>> = [
        ("1", "GOOGLE_ADS"),
        ("2", "FACEBOOK"),
        ("3", "FACEBOOK"),
        ("4", "GOOGLE_ADS"),
        ("5", "FACEBOOK"),
        ("6", "FACEBOOK"),
        ("7", "GOOGLE_ADS"),
    ]
    .iter()
    .map(|(i, p)| vec![Some(i.to_string()), Some(p.to_string())])
    .collect();
    assert_eq!(rows, want);
    schemadiff(&["drift", "--schema", &to, "--db", &db.url]).expect_code(0);
    let _ = map;
}

/// After the same stop, a re-run with another target (a new column) is refused, naming the
/// difference and how to go on, and changes nothing; the first target (with the mapping
/// fixed) then finishes.
#[test]
fn a_changed_target_is_refused_and_changes_nothing() {
    let f = Files::new("retarget");
    let (db, to, map, args) = stopped_on_unmapped(&f, "cli_online_retarget");
    let before = online_state(&db);
    let other = f.write(
        "other.prisma",
        "enum Platform {\n  GOOGLE_ADS\n  FACEBOOK\n}\n\nmodel Ad {\n  id       Int      @id\n  platform Platform\n  note     String?\n}\n",
    );
    f.write("map.toml", &format!("{AD_MAP}\"myspace\" = \"FACEBOOK\"\n"));
    let refused = schemadiff(&[
        "apply", "--online", "--db", &db.url, "--to", &other, "--map", &map, "--yes",
    ])
    .expect_code(1);
    assert!(
        refused
            .stderr
            .contains("is not the target the unfinished online apply started with"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("note"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("Nothing was changed"),
        "{}",
        refused.stderr
    );
    assert_eq!(online_state(&db), before, "the refused run changed nothing");
    schemadiff(&to_refs(&args)).expect_code(0);
    schemadiff(&["drift", "--schema", &to, "--db", &db.url]).expect_code(0);
}

/// A column that keeps its type and becomes required, through the binary: `plan --online`
/// lists it with its fill (and warns when nothing fills it), `apply --online` fills its NULLs
/// and makes it NOT NULL, and drift is clean.
#[test]
fn a_column_becoming_required_is_applied_online_with_its_fill() {
    let f = Files::new("required");
    let from = f.write(
        "from.prisma",
        "model Ad {\n  id    Int     @id\n  owner String?\n}\n",
    );
    let to = f.write(
        "to.prisma",
        "model Ad {\n  id    Int    @id\n  owner String\n}\n",
    );
    let map = f.write("map.toml", "[fill.Ad]\nowner = \"nobody\"\n");
    let plan = schemadiff(&[
        "plan", "--online", "--from", &from, "--to", &to, "--map", &map,
    ])
    .expect_code(0);
    assert!(
        plan.stdout.contains("columns made NOT NULL online (1)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Ad.owner: NULL → 'nobody'::TEXT"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("NOT online"),
        "nothing scans under a lock: {}",
        plan.stdout
    );
    let bare = schemadiff(&["plan", "--online", "--from", &from, "--to", &to]).expect_code(0);
    assert!(
        bare.stderr
            .contains("Ad.owner becomes NOT NULL with no default and no [fill] value"),
        "{}",
        bare.stderr
    );
    let db = database_from("cli_online_required", &from);
    db.execute("INSERT INTO \"Ad\" VALUES (1, 'a'), (2, NULL), (3, 'c'), (4, NULL), (5, NULL)");
    let run = schemadiff(&to_refs(&online_small_batches(&db, &to, &map))).expect_code(0);
    assert!(run.stderr.contains("now matches"), "{}", run.stderr);
    schemadiff(&["drift", "--schema", &to, "--db", &db.url]).expect_code(0);
    let rows = db.rows("SELECT string_agg(id || '=' || owner, ',' ORDER BY id) FROM \"Ad\"");
    assert_eq!(
        rows[0][0].as_deref(),
        Some("1=a,2=nobody,3=c,4=nobody,5=nobody")
    );
}
