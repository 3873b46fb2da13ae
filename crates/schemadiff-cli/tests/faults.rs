//! Process faults during `apply`: the apply is stopped for real at every point — after each
//! statement, after the check before `COMMIT`, after each `COMMIT` — and then either the client
//! process is killed (SIGKILL) or its server backend is terminated (`pg_terminate_backend`).
//! Every time, the database is exactly in the state of the last committed transaction (before
//! the apply for a one-transaction plan, or after it when the fault came after `COMMIT`): the
//! catalog (`pg_dump --schema-only`) and every row of every table; no backend and no advisory
//! lock is left behind; and running `apply` again finishes the job, giving exactly the database
//! a clean apply gives.
//!
//! The stop uses the apply's test hook `SCHEMADIFF_TEST_PAUSE_AT` (commands/apply.rs,
//! docs/testing.md). The seed upgrade has one transaction; `tests/faults/enum-added-and-used-*`
//! is a plan that adds enum labels and uses them (a default, a cast from text): PostgreSQL
//! cannot use a label added by `ADD VALUE` in the transaction that adds it, so the plan
//! recreates the enum instead and stays one transaction, and every fault leaves the database
//! as it was before the apply or as the target (never between the two).

mod common;
use common::schemadiff;
use schemadiff_testkit::{TestDb, workspace_root};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A plan to stop at every point: the schemas, the mapping file and the rows to load first.
struct Scenario {
    hint: &'static str,
    from: &'static str,
    to: &'static str,
    map: Option<&'static str>,
    rows: &'static str,
}

const SEED: Scenario = Scenario {
    hint: "seed",
    from: "schemas/v1.2.prisma",
    to: "schemas/v2.0.prisma",
    map: Some("schemas/v1.2-to-v2.0.toml"),
    rows: "fixtures/seed/legacy-rows.sql",
};

const ENUM_ADDED_AND_USED: Scenario = Scenario {
    hint: "enum",
    from: "crates/schemadiff-cli/tests/faults/enum-added-and-used-from.prisma",
    to: "crates/schemadiff-cli/tests/faults/enum-added-and-used-to.prisma",
    map: None,
    rows: "crates/schemadiff-cli/tests/faults/enum-added-and-used-rows.sql",
};

/// The catalog and every row of every table in `public` (clock columns left out, since two
/// databases loaded apart differ there).
type Snapshot = (String, Vec<Vec<Option<String>>>);

fn snapshot(db: &TestDb) -> Snapshot {
    (
        db.schema_dump(),
        rows(db, "- 'createdAt' - 'updatedAt' - 'startedAt'"),
    )
}

/// Every row of every table in `public` (as JSON text after `minus`, sorted), in one query.
fn rows(db: &TestDb, minus: &str) -> Vec<Vec<Option<String>>> {
    db.rows(&format!(
        "SELECT tablename, query_to_xml(format('SELECT r FROM (SELECT (to_jsonb(t) {minus})::text \
         AS r FROM public.%I t) s ORDER BY r COLLATE \"C\"', tablename), false, false, '')::text \
         FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename COLLATE \"C\"",
        minus = minus.replace('\'', "''")
    ))
}

/// Drops everything in `public` (tables, enums, functions), so that one database serves
/// many cases (creating and dropping a database costs more than a whole case).
fn reset(db: &TestDb) {
    db.execute(
        "DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
             EXECUTE format('DROP TABLE public.%I CASCADE', r.tablename);
           END LOOP;
           FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
             EXECUTE format('DROP TYPE public.%I CASCADE', r.typname);
           END LOOP;
           FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' LOOP
             EXECUTE format('DROP ROUTINE %s CASCADE', r.f);
           END LOOP;
         END $$",
    );
    let left = db.rows(
        "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                  WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname = 'public')",
    );
    assert_eq!(
        left,
        vec![vec![Some("0".to_string())]],
        "reset left objects in public"
    );
}

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a scenario's faults are checked against, computed once per test process.
struct Prepared {
    /// SQL creating the `from` schema.
    create: String,
    /// The last statement of each transaction of the plan (1-based, in apply numbering).
    batch_ends: Vec<usize>,
    /// `states[j]`: the database after the first `j` transactions committed (0 = before,
    /// last = after a clean apply).
    states: Vec<Snapshot>,
}

impl Prepared {
    fn total(&self) -> usize {
        *self.batch_ends.last().unwrap()
    }

    /// Every point the apply can be stopped at, with the state the database must be in then.
    fn points(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for step in 1..=self.total() {
            let done = self.batch_ends.iter().filter(|&&e| e < step).count();
            out.push((format!("step:{step}"), done));
        }
        let n = self.batch_ends.len();
        // One transaction: checked before COMMIT. Several: checked after the last COMMIT.
        out.push(("verified".into(), if n == 1 { 0 } else { n }));
        for j in 1..=n {
            out.push((format!("commit:{j}"), j));
        }
        out
    }
}

fn apply_args<'a>(s: &'a Scenario, url: &'a str) -> Vec<&'a str> {
    let mut args = vec!["apply", "--db", url, "--to", s.to, "--yes"];
    if let Some(m) = s.map {
        args.extend(["--map", m]);
    }
    args
}

fn loaded(s: &Scenario, p: &Prepared, hint: &str) -> TestDb {
    let db = TestDb::create(&format!("fault_{}_{hint}", s.hint));
    load(s, p, &db);
    db
}

fn load(s: &Scenario, p: &Prepared, db: &TestDb) {
    db.execute(&p.create);
    db.execute(&read(s.rows));
}

fn prepare(s: &Scenario) -> Prepared {
    let create = schemadiff(&["plan", "--from", "empty", "--to", s.from])
        .expect_code(0)
        .stdout;
    // The plan as apply will run it, to know its transactions and statements.
    let from = schemadiff_dsl::load(s.from, &read(s.from));
    let to = schemadiff_dsl::load(s.to, &read(s.to));
    let mapping = match s.map {
        None => schemadiff_plan::Mapping::empty(),
        Some(m) => {
            let resolver = schemadiff::Resolver {
                maps: vec![&to.names, &from.names],
            };
            schemadiff_plan::Mapping::parse(&read(m), &resolver).unwrap()
        }
    };
    // Planned for the test server's major version, as apply plans it (16+ needs no JSON helper,
    // so the seed plan has one statement less there).
    let probe = TestDb::create("fault_version");
    let version_num: u32 = probe.rows("SHOW server_version_num")[0][0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("server_version_num");
    drop(probe);
    let opts = schemadiff_plan::PlanOptions {
        pg_version: version_num / 10_000,
    };
    let plan = schemadiff_plan::plan_with(&from.schema, &to.schema, &mapping, &opts).unwrap();
    let batches = plan.batches();
    let mut batch_ends = Vec::new();
    let mut end = 0;
    for b in &batches {
        end += b.statements.len();
        batch_ends.push(end);
    }
    let mut p = Prepared {
        create,
        batch_ends,
        states: Vec::new(),
    };
    let before = loaded(s, &p, "before");
    p.states.push(snapshot(&before));
    // Between transactions: the first j batches of the plan, run as they are.
    for j in 1..batches.len() {
        let db = loaded(s, &p, "between");
        for b in &batches[..j] {
            let mut sql = String::from("BEGIN;\n");
            for st in &b.statements {
                sql.push_str(&st.sql);
                sql.push_str(";\n");
            }
            sql.push_str("COMMIT;\n");
            db.execute(&sql);
        }
        p.states.push(snapshot(&db));
    }
    let after = loaded(s, &p, "after");
    schemadiff(&apply_args(s, &after.url)).expect_code(0);
    schemadiff(&["drift", "--schema", s.to, "--db", &after.url]).expect_code(0);
    p.states.push(snapshot(&after));
    for w in p.states.windows(2) {
        assert_ne!(w[0], w[1], "{}: two states are the same", s.hint);
    }
    p
}

fn prepared(s: &'static Scenario) -> &'static Prepared {
    static SEED_P: OnceLock<Prepared> = OnceLock::new();
    static ENUM_P: OnceLock<Prepared> = OnceLock::new();
    let cell = if s.hint == SEED.hint {
        &SEED_P
    } else {
        &ENUM_P
    };
    cell.get_or_init(|| prepare(s))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL the `schemadiff` process.
    KillClient,
    /// `pg_terminate_backend` on the apply's connection, then let the client go on.
    TerminateBackend,
}

/// A `schemadiff apply` stopped by the test hook at `point`.
struct Paused {
    child: Child,
    pid: i32,
    stderr: mpsc::Receiver<String>,
    seen: String,
}

fn start_paused(s: &Scenario, db: &TestDb, point: &str, total: usize) -> Paused {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemadiff"))
        .current_dir(workspace_root())
        .args(apply_args(s, &db.url))
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env("SCHEMADIFF_TEST_PAUSE_AT", point)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run schemadiff");
    let (tx, rx) = mpsc::channel();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            if tx.send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
    });
    let marker = format!("schemadiff test hook: paused at {point}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                if let Some(rest) = line.strip_prefix(&marker) {
                    if point.starts_with("step:") {
                        assert!(
                            rest.starts_with(&format!(" of {total} ")),
                            "the apply has another number of statements than the plan: {line}"
                        );
                    }
                    let pid = rest
                        .rsplit_once("(backend pid ")
                        .and_then(|(_, p)| p.trim_end().strip_suffix(')'))
                        .and_then(|p| p.parse().ok())
                        .unwrap_or_else(|| panic!("no backend pid in {line}"));
                    return Paused {
                        child,
                        pid,
                        stderr: rx,
                        seen,
                    };
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the apply never paused at {point}:\n{seen}");
            }
        }
    }
}

impl Paused {
    /// Everything the process wrote to stderr, once it has exited.
    fn rest_of_stderr(&mut self) -> String {
        let mut all = std::mem::take(&mut self.seen);
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(30)) {
            all.push_str(&line);
        }
        all
    }
}

/// Waits until the server has ended the backend `pid` (its transaction is rolled back and its
/// session lock released when it is gone).
fn wait_for_backend_gone(db: &TestDb, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.rows(&format!("SELECT 1 FROM pg_stat_activity WHERE pid = {pid}"))
        != Vec::<Vec<_>>::new()
    {
        assert!(
            Instant::now() < deadline,
            "backend {pid} is still there after 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops the apply at `point` with `fault`, checks the database is in `states[expected]`, then
/// applies again and checks it is in the final state.
fn fault_at(s: &'static Scenario, db: &TestDb, point: &str, expected: usize, fault: Fault) {
    let p = prepared(s);
    let last = p.states.len() - 1;
    reset(db);
    load(s, p, db);
    // Every column, clocks included: nothing may touch a row of this very database.
    let own_rows = rows(db, "");
    let mut paused = start_paused(s, db, point, p.total());
    let status = match fault {
        Fault::KillClient => {
            paused.child.kill().expect("kill schemadiff");
            paused.child.wait().unwrap()
        }
        Fault::TerminateBackend => {
            let done = db.rows(&format!("SELECT pg_terminate_backend({})", paused.pid));
            assert_eq!(done, vec![vec![Some("t".to_string())]], "{point}");
            wait_for_backend_gone(db, paused.pid);
            drop(paused.child.stdin.take()); // resume: end of input
            paused.child.wait().unwrap()
        }
    };
    let stderr = paused.rest_of_stderr();
    let ctx = format!("{} {point} {fault:?}", s.hint);
    let n = p.batch_ends.len();
    match fault {
        Fault::KillClient => assert_eq!(status.code(), None, "{ctx}: not killed by a signal"),
        // Several transactions: the check after the last COMMIT had passed; nothing else needs
        // the connection.
        Fault::TerminateBackend if point == "verified" && n > 1 => {
            assert_eq!(status.code(), Some(0), "{ctx}:\n{stderr}");
            assert!(stderr.contains("now matches"), "{ctx}:\n{stderr}");
        }
        // One transaction, committed before the backend went away: the apply succeeded, and
        // says that the connection failed afterwards.
        Fault::TerminateBackend if point.starts_with("commit:") && n == 1 => {
            assert_eq!(status.code(), Some(0), "{ctx}:\n{stderr}");
            assert!(
                stderr.contains("the changes are committed"),
                "{ctx}:\n{stderr}"
            );
        }
        Fault::TerminateBackend => {
            assert_eq!(status.code(), Some(1), "{ctx}:\n{stderr}");
            let says = if expected == 0 {
                "nothing was changed".to_string()
            } else if expected < last {
                format!("after {expected} of {n} transaction(s) committed")
            } else {
                "every transaction was committed".to_string()
            };
            assert!(
                stderr.contains(&says),
                "{ctx}: expected {says:?} in\n{stderr}"
            );
        }
    }
    assert!(!stderr.contains("panicked"), "{ctx}:\n{stderr}");
    wait_for_backend_gone(db, paused.pid);
    let locks = db.rows(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
         (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert_eq!(
        locks,
        vec![vec![Some("0".to_string())]],
        "{ctx}: an advisory lock is left"
    );

    let state = snapshot(db);
    if state != p.states[expected] {
        let found = p.states.iter().position(|x| *x == state);
        panic!(
            "{ctx}: the database is not in state {expected} (0 = before, {last} = after) but in {}",
            found.map_or("no known state".to_string(), |f| format!("state {f}"))
        );
    }
    if expected == 0 {
        assert_eq!(rows(db, ""), own_rows, "{ctx}: a row changed");
    }

    // Running apply again finishes the job.
    let again = schemadiff(&apply_args(s, &db.url)).expect_code(0);
    if expected == last {
        assert!(
            again.stderr.contains("nothing to do"),
            "{ctx}:\n{}",
            again.stderr
        );
    } else {
        assert!(
            again.stderr.contains("now matches"),
            "{ctx}:\n{}",
            again.stderr
        );
    }
    assert!(
        snapshot(db) == p.states[last],
        "{ctx}: the second apply did not give the target"
    );
}

/// Runs every `share`-th point of the scenario (starting at `part`) with `fault`, so that the
/// points spread over several test processes.
fn run_points(s: &'static Scenario, fault: Fault, part: usize, share: usize) {
    let p = prepared(s);
    let points = p.points();
    assert!(points.len() > share);
    let db = TestDb::create(&format!("fault_{}_{part}", s.hint));
    for (point, expected) in points.iter().skip(part).step_by(share) {
        let t = Instant::now();
        fault_at(s, &db, point, *expected, fault);
        eprintln!(
            "{} {point} {fault:?}: {:.1} s",
            s.hint,
            t.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn seed_plan_is_one_transaction_of_every_statement() {
    let p = prepared(&SEED);
    assert_eq!(p.batch_ends.len(), 1);
    assert!(
        p.total() > 30,
        "expected the full seed plan, got {}",
        p.total()
    );
    assert_eq!(p.points().len(), p.total() + 2);
}

/// Adding enum labels and using them in the same plan: one transaction, in which the enum is
/// recreated (no `ADD VALUE`, whose label could only be used after a `COMMIT`).
#[test]
fn enum_added_and_used_plan_is_one_transaction() {
    let p = prepared(&ENUM_ADDED_AND_USED);
    assert_eq!(p.batch_ends.len(), 1, "the plan must be one transaction");
    let plan = schemadiff(&[
        "plan",
        "--from",
        ENUM_ADDED_AND_USED.from,
        "--to",
        ENUM_ADDED_AND_USED.to,
        "--format",
        "json",
    ])
    .expect_code(0);
    assert!(plan.stdout.contains("\"recreate-enum\""), "{}", plan.stdout);
    assert!(!plan.stdout.contains("ADD VALUE"), "{}", plan.stdout);
    assert_eq!(p.points().len(), p.total() + 2);
}

macro_rules! fault_tests {
    ($($name:ident: $scenario:expr, $fault:expr, $part:expr, $share:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run_points(&$scenario, $fault, $part, $share);
            }
        )*
    };
}

fault_tests! {
    seed_kill_client_part_1: SEED, Fault::KillClient, 0, 3;
    seed_kill_client_part_2: SEED, Fault::KillClient, 1, 3;
    seed_kill_client_part_3: SEED, Fault::KillClient, 2, 3;
    seed_terminate_backend_part_1: SEED, Fault::TerminateBackend, 0, 3;
    seed_terminate_backend_part_2: SEED, Fault::TerminateBackend, 1, 3;
    seed_terminate_backend_part_3: SEED, Fault::TerminateBackend, 2, 3;
    enum_added_and_used_kill_client: ENUM_ADDED_AND_USED, Fault::KillClient, 0, 1;
    enum_added_and_used_terminate_backend: ENUM_ADDED_AND_USED, Fault::TerminateBackend, 0, 1;
}
