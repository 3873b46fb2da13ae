//! Shared helpers for the CLI tests: run the real `schemadiff` binary.

#![allow(dead_code)]

use schemadiff_testkit::{TestDb, workspace_root};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The datasource block that opens the schema files the tests write.
pub const DATASOURCE: &str =
    "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\n";

/// The `Role` enum of the migration tests' schemas.
pub const ROLE_ENUM: &str = "enum Role {\n  MEMBER\n  ADMIN\n  OWNER\n}\n";

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `schemadiff ARGS` from the workspace root with no terminal and no colour.
pub fn schemadiff(args: &[&str]) -> Run {
    schemadiff_env(args, &[])
}

/// Runs `schemadiff ARGS` with extra environment variables.
pub fn schemadiff_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemadiff"));
    cmd.current_dir(workspace_root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().expect("run schemadiff");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `schemadiff migrate dev --name NAME --schema SCHEMA --migrations DIR`, then `extra`.
pub fn migrate_dev(name: &str, schema: &str, migrations: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "migrate",
        "dev",
        "--name",
        name,
        "--schema",
        schema,
        "--migrations",
        migrations,
    ];
    args.extend_from_slice(extra);
    schemadiff(&args)
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A database brought to `schema` (a path relative to the workspace root) by schemadiff's own
/// `plan --from empty` script.
pub fn database_from(hint: &str, schema: &str) -> TestDb {
    let db = TestDb::create(hint);
    let sql = schemadiff(&["plan", "--from", "empty", "--to", schema])
        .expect_code(0)
        .stdout;
    db.execute(&sql);
    db
}

/// Everything a test needs to prove "nothing changed", or "the same thing happened": the
/// catalog (`pg_dump --schema-only`) and every row of the seed tables, all columns but the clock
/// ones (`now()` differs between two databases loaded apart).
pub fn snapshot(db: &TestDb) -> (String, Vec<Vec<Vec<Option<String>>>>) {
    let tables = [
        "Tenant",
        "User",
        "Campaign",
        "AlertRule",
        "Alert",
        "SyncLog",
    ];
    let rows = tables
        .iter()
        .map(|t| {
            db.rows(&format!(
                "SELECT (to_jsonb(t) - 'createdAt' - 'updatedAt' - 'startedAt')::text FROM \"{t}\" t ORDER BY id"
            ))
        })
        .collect();
    (db.schema_dump(), rows)
}

/// Starts `schemadiff ARGS` (stdout discarded: a long script not read would block it, stderr
/// kept), polls `started` until the work it should interrupt is under way (the run must not end
/// before), sends `kill -SIGNAL` (`INT` or `TERM`) and waits for it to exit. Checks what every
/// interrupted command does: exit 130 (SIGINT) or 143 (SIGTERM), a message naming the signal,
/// no panic. Returns the run.
#[track_caller]
pub fn interrupt(args: &[&str], signal: &str, started: impl Fn() -> bool) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemadiff"))
        .current_dir(workspace_root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start schemadiff");
    let polling = Instant::now();
    while !started() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("{args:?} ended before the signal ({status}): {err}");
        }
        assert!(
            polling.elapsed() < Duration::from_secs(60),
            "{args:?}: the work to interrupt never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("wait for schemadiff");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "{args:?} did not stop after SIG{signal}: {}",
        run.stderr
    );
    let code = match signal {
        "INT" => 130,
        "TERM" => 143,
        other => panic!("no exit code known for SIG{other}"),
    };
    assert_eq!(run.code, code, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("interrupted by SIG{signal}")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Whether `db` has a backend of the `schemadiff` binary running a statement that contains
/// `text`.
pub fn running_statement(db: &TestDb, text: &str) -> bool {
    let running = db.rows(&format!(
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = '{}' \
         AND application_name = 'schemadiff' AND state = 'active' AND query LIKE '%{text}%'",
        db.name
    ));
    running[0][0].as_deref() != Some("0")
}

/// The query counting the sessions that hold schemadiff's advisory lock on the database it
/// runs in: PostgreSQL shows the 64-bit key ([`schemadiff_postgres::ADVISORY_LOCK_KEY`]) in
/// `pg_locks` as `classid` (high 32 bits) and `objid` (low 32 bits), with `objsubid` 1.
pub fn advisory_lock_holders_sql() -> String {
    let key = schemadiff_postgres::ADVISORY_LOCK_KEY as u64;
    format!(
        "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = {} AND objid = {} AND objsubid = 1",
        key >> 32,
        key & 0xffff_ffff
    )
}

/// How many sessions hold schemadiff's advisory lock on `db` (as text: `"0"` when none).
pub fn advisory_lock_holders(db: &TestDb) -> String {
    db.rows(&advisory_lock_holders_sql())[0][0]
        .clone()
        .unwrap_or_default()
}

/// Waits until no backend of the `schemadiff` binary is left on `db` (the server may take a
/// moment to notice a closed connection); fails after 10 s.
#[track_caller]
pub fn assert_no_backend_left(db: &TestDb) {
    let started = Instant::now();
    loop {
        let left = db.rows(&format!(
            "SELECT count(*)::text FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'schemadiff'",
            db.name
        ));
        if left[0][0].as_deref() == Some("0") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a backend was left behind"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
