//! The safety promises of README's "Safety" section, through the real binary (issue 9):
//! commands that only read never write (a role that can only read runs them all), no text from
//! a schema file runs as SQL, no password is printed, usage errors and closed pipes behave as
//! scripts expect, and an interrupted apply leaves the database as it was.

mod common;
use common::{
    advisory_lock_holders, assert_no_backend_left, database_from, interrupt, running_statement,
    schemadiff, schemadiff_env, snapshot,
};
use schemadiff_testkit::{TestDb, workspace_root};
use std::process::{Command, Stdio};

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";
const MAP: &str = "schemas/v1.2-to-v2.0.toml";

/// A scratch directory for schema files, removed at the end.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(hint: &str) -> Scratch {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sd-safety-{hint}-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn count(db: &TestDb, table: &str) -> String {
    db.rows(&format!("SELECT count(*)::text FROM \"{table}\""))[0][0]
        .clone()
        .unwrap()
}

/// Finding 1: the crafted `dbgenerated` expression of the issue once deleted every row of
/// another table and committed, through `drift`, `plan --from postgres://…` and
/// `apply --dry-run`. Now it never runs: the victim keeps its rows and the catalog is unchanged.
#[test]
fn a_crafted_dbgenerated_expression_never_runs() {
    let dir = Scratch::new("crafted");
    let benign = dir.file(
        "benign.prisma",
        "model T {\n  id Int @id\n  v  String? @default(dbgenerated(\"lower('y')\"))\n}\n\nmodel Victim {\n  id Int @id\n}\n",
    );
    let crafted = dir.file(
        "crafted.prisma",
        "model T {\n  id Int @id\n  v  String? @default(dbgenerated(\"'x'); COMMIT; DELETE FROM \\\"Victim\\\"; COMMIT; BEGIN; SAVEPOINT schemadiff_canon; CREATE TEMP TABLE zz (c text DEFAULT 'y'\"))\n}\n\nmodel Victim {\n  id Int @id\n}\n",
    );
    let odd_type = dir.file(
        "odd-type.prisma",
        "model T {\n  id Int @id\n  v  Unsupported(\"text DEFAULT 'y'); DELETE FROM \\\"Victim\\\"; --\")? @default(dbgenerated(\"lower('y')\"))\n}\n\nmodel Victim {\n  id Int @id\n}\n",
    );
    schemadiff(&["validate", &crafted]).expect_code(0);
    let db = database_from("crafted", &benign);
    db.execute("INSERT INTO \"Victim\" VALUES (1), (2), (3); INSERT INTO \"T\" VALUES (1)");
    let before = db.schema_dump();
    for file in [&crafted, &odd_type] {
        let drift = schemadiff(&["drift", "--schema", file, "--db", &db.url]);
        assert_eq!(drift.code, 2, "{}\n{}", drift.stdout, drift.stderr);
        let all = ["--allow-hazard", "all"];
        schemadiff(&[&["plan", "--from", &db.url, "--to", file][..], &all].concat()).expect_code(0);
        schemadiff(&[&["plan", "--from", file, "--to", &db.url][..], &all].concat()).expect_code(0);
        let dry = schemadiff(
            &[
                &["apply", "--db", &db.url, "--to", file, "--dry-run"][..],
                &all,
            ]
            .concat(),
        )
        .expect_code(0);
        assert!(
            dry.stderr.contains("dry run: nothing was changed"),
            "{}",
            dry.stderr
        );
        assert_eq!(count(&db, "Victim"), "3", "the victim table lost rows");
        assert_eq!(db.schema_dump(), before, "the catalog changed");
    }
}

/// A role that has only CONNECT and SELECT, with `default_transaction_read_only = on`, runs every
/// command that only reads on the seed database (v1.2 with its legacy rows).
#[test]
fn read_only_commands_run_as_a_read_only_role() {
    let db = database_from("ro_role", V12);
    let rows =
        std::fs::read_to_string(workspace_root().join("fixtures/seed/legacy-rows.sql")).unwrap();
    db.execute(&rows);
    let role = format!("sd_ro_{}", &db.name[4..]);
    let _guard = Role::create(&db, &role);
    let (_, rest) = db.url.split_once("://").unwrap();
    let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let url = format!("postgres://{role}@{host_and_db}");
    let before = snapshot(&db);

    let read_only = |args: &[&str], code: i32| {
        let run = schemadiff(args);
        assert_eq!(
            run.code, code,
            "{args:?} as a read-only role\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout, run.stderr
        );
        run
    };
    let inspect = read_only(&["inspect", "--db", &url], 0);
    assert!(
        inspect.stdout.contains("model Campaign"),
        "{}",
        inspect.stdout
    );
    read_only(&["drift", "--schema", V12, "--db", &url], 0);
    read_only(&["drift", "--schema", V20, "--db", &url], 2);
    read_only(
        &["drift", "--schema", V20, "--db", &url, "--format", "json"],
        2,
    );
    let plan = read_only(&["plan", "--from", &url, "--to", V20, "--map", MAP], 0);
    assert!(plan.stdout.contains("ALTER TABLE"), "{}", plan.stdout);
    read_only(&["plan", "--from", V12, "--to", &url], 0);
    let dry = read_only(
        &[
            "apply",
            "--db",
            &url,
            "--to",
            V20,
            "--map",
            MAP,
            "--dry-run",
        ],
        0,
    );
    assert!(
        dry.stderr
            .contains("not valid JSON and will be kept as JSON strings"),
        "the JSON pre-flight ran read-only:\n{}",
        dry.stderr
    );
    assert!(dry.stderr.contains("'Google Ads'"), "{}", dry.stderr);
    assert_eq!(snapshot(&db), before);
    // The role really cannot write: applying is refused by the server, nothing changes.
    let apply = schemadiff(&["apply", "--db", &url, "--to", V20, "--map", MAP, "--yes"]);
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert!(
        apply.stderr.contains("nothing was changed"),
        "{}",
        apply.stderr
    );
    assert_eq!(snapshot(&db), before);
}

/// A login role with CONNECT on one database and SELECT on its tables; dropped at the end.
struct Role<'a> {
    db: &'a TestDb,
    name: String,
}

impl<'a> Role<'a> {
    fn create(db: &'a TestDb, name: &str) -> Role<'a> {
        let d = &db.name;
        db.execute(&format!(
            "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN; \
             ALTER ROLE {name} SET default_transaction_read_only = on; \
             REVOKE ALL ON DATABASE \"{d}\" FROM PUBLIC; \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
             GRANT CONNECT ON DATABASE \"{d}\" TO {name}; \
             GRANT USAGE ON SCHEMA public TO {name}; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"
        ));
        Role {
            db,
            name: name.to_string(),
        }
    }
}

impl Drop for Role<'_> {
    fn drop(&mut self) {
        let n = &self.name;
        let _ = self.db.try_execute(&format!(
            "REVOKE ALL ON DATABASE \"{}\" FROM {n}; DROP OWNED BY {n}; DROP ROLE {n}",
            self.db.name
        ));
    }
}

/// Finding 3: no shape of connection string gets its password printed, whatever the command.
#[test]
fn no_connection_string_shape_prints_its_password() {
    const PW: &str = "Pw-7x-leak";
    let shapes = [
        format!("user:{PW}@127.0.0.1:1/db"),
        format!("//user:{PW}@127.0.0.1:1/db"),
        format!("postgres:/user:{PW}@127.0.0.1:1/db"),
        format!("postgres:user:{PW}@127.0.0.1:1/db"),
        format!("host=127.0.0.1 port=1 password = {PW} user=u"),
        format!("host = 127.0.0.1 port=1 password='a\\' {PW}' user=u"),
        format!("host=127.0.0.1 port=1 password='a\\' {PW}"),
        format!("host=127.0.0.1 port=1 password={PW} bogus=1"),
        format!("postgres://u@127.0.0.1:1/db?sslpassword={PW}"),
        format!("postgres://u@127.0.0.1:1/db?pass%77ord={PW}"),
        format!("postgres://u@127.0.0.1:1/db?password={PW}&sslmode=nonsense"),
        format!("postgres://u:{PW}@127.0.0.1:1/db?{PW}=1"),
        format!("postgres://u:{PW}@127.0.0.1:notaport/db"),
        format!("postgresql://u:{PW}@127.0.0.1:1/{PW}"),
        format!("postgres://u:{PW}@127.0.0.1:1/db"),
    ];
    for url in &shapes {
        let runs = [
            schemadiff(&["inspect", "--db", url]),
            schemadiff(&["drift", "--schema", V12, "--db", url]),
            schemadiff(&["apply", "--db", url, "--to", V12, "--dry-run"]),
            schemadiff_env(&["inspect"], &[("DATABASE_URL", url)]),
        ];
        for run in runs {
            assert_eq!(run.code, 1, "{url}\n{}", run.stderr);
            let shown = format!("{}{}", run.stdout, run.stderr);
            assert!(
                !shown.contains("Pw-7x"),
                "{url}: password printed:\n{shown}"
            );
            assert!(!shown.contains("panicked"), "{url}:\n{shown}");
        }
    }
    // `plan --from` takes a URL SOURCE too.
    let run = schemadiff(&[
        "plan",
        "--from",
        &format!("postgres://u@127.0.0.1:1/db?pass%77ord={PW}"),
        "--to",
        V12,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("Pw-7x"), "{}", run.stderr);
}

/// Usage errors exit 1 (2 is `drift`'s "drifted"); help and version exit 0; an unknown hazard
/// code and an unsupported PostgreSQL version are errors that list the valid values.
#[test]
fn usage_errors_exit_1_and_list_valid_values() {
    for args in [
        &["plna", "--from", "empty", "--to", V12][..],
        &["drift", "--schema", V12, "--bogus"],
        &["drift"],
        &[],
        &["plan", "--from", "empty", "--to", V12, "--format", "yaml"],
        &["apply", "--to", V12, "--lock-timeout", "5 parsecs"],
    ] {
        let run = schemadiff(args);
        assert_eq!(run.code, 1, "{args:?}\n{}", run.stderr);
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
    schemadiff(&["--help"]).expect_code(0);
    schemadiff(&["--version"]).expect_code(0);
    schemadiff(&["plan", "--help"]).expect_code(0);
    for v in ["12", "19", "abc"] {
        let run = schemadiff(&["plan", "--from", "empty", "--to", V12, "--pg-version", v]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("valid versions: 13, 14, 15, 16, 17, 18"),
            "{}",
            run.stderr
        );
    }
    schemadiff(&["plan", "--from", "empty", "--to", V12, "--pg-version", "18"]).expect_code(0);
    let run = schemadiff(&[
        "plan",
        "--from",
        V20,
        "--to",
        V12,
        "--allow-hazard",
        "drop-tabel",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown hazard code `drop-tabel`; valid codes: all, drop-table"),
        "{}",
        run.stderr
    );
}

/// Writing to a closed pipe (`schemadiff plan … | head -1`) ends quietly: killed by SIGPIPE
/// (or exit 0), no panic, no backtrace.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    for args in [
        &["plan", "--from", "empty", "--to", V20][..],
        &[
            "plan", "--from", V12, "--to", V20, "--map", MAP, "--format", "json",
        ],
        &["fmt", "--help"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_schemadiff"))
            .current_dir(workspace_root())
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.signal() == Some(13) || out.status.code() == Some(0),
            "{args:?}: {:?}\n{stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("backtrace"), "{args:?}: {stderr}");
    }
}

/// SIGINT (then SIGTERM) during a long table rewrite: PostgreSQL gets a cancel request, the
/// transaction is rolled back, the message says nothing was changed, the exit code is 130
/// (143), and neither a backend nor the advisory lock is left.
#[test]
fn an_interrupted_apply_cancels_and_rolls_back() {
    let dir = Scratch::new("interrupt");
    let from = dir.file(
        "from.prisma",
        "model Slow {\n  id Int @id\n  name String\n}\n",
    );
    // A volatile default rewrites the table and runs once per row: 60 s for one row.
    let to = dir.file(
        "to.prisma",
        "model Slow {\n  id   Int     @id\n  name String\n  late String? @default(dbgenerated(\"(pg_sleep(60))::text\"))\n}\n",
    );
    for signal in ["INT", "TERM"] {
        let db = database_from(&format!("interrupt_{}", signal.to_lowercase()), &from);
        db.execute("INSERT INTO \"Slow\" VALUES (1, 'a'), (2, 'b')");
        let before = db.schema_dump();
        let rows_before = db.rows("SELECT id, name FROM \"Slow\" ORDER BY id");
        let run = interrupt(
            &["apply", "--db", &db.url, "--to", &to, "--yes"],
            signal,
            || running_statement(&db, "pg_sleep"),
        );
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
        assert_eq!(db.schema_dump(), before);
        assert_eq!(
            db.rows("SELECT id, name FROM \"Slow\" ORDER BY id"),
            rows_before
        );
        // The advisory lock was released before the exit; no backend is left behind.
        assert_eq!(advisory_lock_holders(&db), "0");
        assert_no_backend_left(&db);
        // Applying again (without interruption) would work: the plan is unchanged.
        schemadiff(&["apply", "--db", &db.url, "--to", &to, "--dry-run"]).expect_code(0);
    }
}
