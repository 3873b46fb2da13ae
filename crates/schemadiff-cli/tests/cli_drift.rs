//! `drift` and `inspect` through the binary, against a real PostgreSQL server.

mod common;
use common::{database_from, schemadiff};

const V20: &str = "schemas/v2.0.prisma";

#[test]
fn fresh_database_has_no_drift() {
    let db = database_from("drift_fresh", V20);
    let run = schemadiff(&["drift", "--schema", V20, "--db", &db.url]).expect_code(0);
    assert!(run.stdout.contains("no drift"), "{}", run.stdout);
    let json = schemadiff(&[
        "drift", "--schema", V20, "--db", &db.url, "--format", "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["drifted"], false);
}

/// Each kind of manual change is drift (exit 2), shown as a diff plus the reconciling SQL.
#[test]
fn every_kind_of_manual_change_is_drift() {
    let changes: &[(&str, &str, &str)] = &[
        (
            "added_column",
            r#"ALTER TABLE "User" ADD COLUMN "nickname" text"#,
            "nickname",
        ),
        (
            "changed_type",
            r#"ALTER TABLE "Tenant" ALTER COLUMN "name" TYPE varchar(50)"#,
            "name",
        ),
        (
            "dropped_index",
            r#"DROP INDEX "Campaign_tenantId_createdAt_idx""#,
            "Campaign_tenantId_createdAt_idx",
        ),
        (
            "fk_action",
            r#"ALTER TABLE "Notification" DROP CONSTRAINT "Notification_userId_fkey", ADD CONSTRAINT "Notification_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE"#,
            "Notification_userId_fkey",
        ),
        (
            "enum_value",
            r#"ALTER TYPE "UserRole" ADD VALUE 'AUDITOR'"#,
            "AUDITOR",
        ),
    ];
    for (hint, sql, needle) in changes {
        let db = database_from(&format!("drift_{hint}"), V20);
        db.execute(sql);
        let run = schemadiff(&["drift", "--schema", V20, "--db", &db.url]);
        assert_eq!(
            run.code, 2,
            "{hint}: expected drift\n{}\n{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stdout.contains(needle),
            "{hint}: output should name `{needle}`:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("--- database"),
            "{hint}: unified diff expected:\n{}",
            run.stdout
        );
        let gh = schemadiff(&[
            "drift", "--schema", V20, "--db", &db.url, "--format", "github",
        ]);
        assert_eq!(gh.code, 2);
        assert!(
            gh.stdout.lines().any(|l| l.starts_with("::error ")),
            "{hint}: {}",
            gh.stdout
        );
        let json = schemadiff(&[
            "drift", "--schema", V20, "--db", &db.url, "--format", "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(v["drifted"], true, "{hint}");
    }
}

#[test]
fn unreachable_server_or_bad_credentials_exit_1_without_the_password() {
    let secret = "s3cr3t-Pa55";
    let urls = [
        format!("postgres://postgres:{secret}@127.0.0.1:1/postgres"),
        format!("postgres://no_such_user_sd:{secret}@127.0.0.1:5432/no_such_db_sd"),
    ];
    for url in &urls {
        let run = schemadiff(&["drift", "--schema", V20, "--db", url]);
        assert_eq!(run.code, 1, "{url}: {}", run.stderr);
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "password leaked: {}",
            run.stderr
        );
        assert!(run.stderr.contains("error"), "{}", run.stderr);
    }
}

#[test]
fn database_url_comes_from_the_environment() {
    let db = database_from("drift_env", V20);
    schemadiff_env(&["drift", "--schema", V20], &[("DATABASE_URL", &db.url)]).expect_code(0);
}

/// `--db` takes its default from `DATABASE_URL`; `--help` must not show that value (it holds a
/// password).
#[test]
fn help_never_shows_the_database_url_from_the_environment() {
    for cmd in ["drift", "inspect", "apply"] {
        let run = schemadiff_env(
            &[cmd, "--help"],
            &[("DATABASE_URL", "postgres://u:s3cret-pw@h:1/db")],
        )
        .expect_code(0);
        assert!(run.stdout.contains("DATABASE_URL"), "{}", run.stdout);
        assert!(
            !run.stdout.contains("s3cret-pw") && !run.stderr.contains("s3cret-pw"),
            "{cmd} --help shows the password:\n{}",
            run.stdout
        );
    }
}

#[test]
fn inspect_prints_a_schema_that_round_trips() {
    let db = database_from("inspect_rt", V20);
    db.execute("CREATE VIEW active_users AS SELECT id FROM \"User\" WHERE \"isActive\"");
    let run = schemadiff(&["inspect", "--db", &db.url]).expect_code(0);
    assert!(
        run.stdout.contains("active_users"),
        "not-managed view must be listed:\n{}",
        run.stdout
    );
    let dir = std::env::temp_dir().join(format!("schemadiff-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("inspected.prisma");
    std::fs::write(&file, &run.stdout).unwrap();
    let f = file.to_str().unwrap();
    schemadiff(&["validate", f]).expect_code(0);
    schemadiff(&["fmt", "--check", f]).expect_code(0);
    schemadiff(&["drift", "--schema", f, "--db", &db.url]).expect_code(0);
}

use common::schemadiff_env;
