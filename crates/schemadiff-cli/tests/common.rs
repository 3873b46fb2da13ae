//! Shared helpers for the CLI tests: run the real `schemadiff` binary.

#![allow(dead_code)]

use schemadiff_testkit::{TestDb, workspace_root};
use std::process::{Command, Output, Stdio};

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
