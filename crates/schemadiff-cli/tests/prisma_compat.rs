//! Prisma itself on migration folders schemadiff wrote and on databases schemadiff deployed:
//! `prisma migrate deploy` applies schemadiff's folders (String → enum with a mapping file
//! included) and schemadiff's `migrate status` agrees; `prisma migrate status` agrees with
//! schemadiff's `migrate deploy` (up to date, pending, failed), and `prisma migrate deploy`
//! refuses a database where schemadiff recorded a failed migration.
//!
//! Prisma runs through `scripts/prisma-migrate.sh` (Prisma 6.19.3 offline, docs/migrations.md).
//! It is used only when already installed (the script's WORKDIR, default
//! `~/.cache/prisma-6.19`, or `SCHEMADIFF_PRISMA_WORKDIR`); this test never installs it. Without
//! it the test says so on stderr and passes, unless `SCHEMADIFF_EXPECT_PRISMA=1` (set it where
//! Prisma is expected, as CI does when it installs Prisma), which makes a missing Prisma a
//! failure.

mod common;
use common::{DATASOURCE, ROLE_ENUM, migrate_dev, schemadiff};
use schemadiff_testkit::{TestDb, workspace_root};
use std::path::PathBuf;
use std::process::Command;

/// The schema at version `v`: 1, `User.role` a String; 2, an enum (legacy spellings mapped by
/// a mapping file); 3, a new optional column.
fn version(v: u8) -> String {
    let user = match v {
        1 => {
            "  id    Int    @id @default(autoincrement())\n  email String @unique\n  role  String @default(\"member\")\n"
        }
        2 => {
            "  id    Int    @id @default(autoincrement())\n  email String @unique\n  role  Role   @default(MEMBER)\n"
        }
        _ => {
            "  id    Int     @id @default(autoincrement())\n  email String  @unique\n  role  Role    @default(MEMBER)\n  name  String?\n"
        }
    };
    let role = if v >= 2 { ROLE_ENUM } else { "" };
    format!("{role}\nmodel User {{\n{user}}}\n")
}

fn workdir() -> PathBuf {
    match std::env::var_os("SCHEMADIFF_PRISMA_WORKDIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from(".cache"));
            cache.join("prisma-6.19")
        }
    }
}

/// `prisma migrate CMD` on `dir` against `db`: (exit code, stdout + stderr).
fn prisma(cmd: &str, dir: &std::path::Path, db: &TestDb) -> (i32, String) {
    let out = Command::new(workspace_root().join("scripts/prisma-migrate.sh"))
        .arg(cmd)
        .arg(dir)
        .env("DATABASE_URL", &db.url)
        .env("WORKDIR", workdir())
        .env("PRISMA_NO_INSTALL", "1")
        .output()
        .expect("run scripts/prisma-migrate.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn prisma_accepts_schemadiff_folders_and_agrees_about_the_history() {
    let installed = workdir().join("node_modules/.bin/prisma").exists()
        && workdir().join("node_modules/@prisma/adapter-pg").exists();
    if !installed {
        assert!(
            std::env::var("SCHEMADIFF_EXPECT_PRISMA").as_deref() != Ok("1"),
            "SCHEMADIFF_EXPECT_PRISMA=1 but Prisma 6.19.3 is not installed in {} (install it with scripts/prisma-migrate.sh or set SCHEMADIFF_PRISMA_WORKDIR)",
            workdir().display()
        );
        eprintln!(
            "SKIPPED: Prisma 6.19.3 is not installed in {}; run scripts/prisma-migrate.sh once to install it, and set SCHEMADIFF_EXPECT_PRISMA=1 to make its absence a failure",
            workdir().display()
        );
        return;
    }
    let root =
        std::env::temp_dir().join(format!("schemadiff-prisma-compat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let dir = root.join("migrations");
    let m = dir.display().to_string();
    let schema = root.join("schema.prisma");
    let s = schema.display().to_string();
    let dev = |name: &str, v: u8, extra: &[&str]| {
        std::fs::write(&schema, format!("{DATASOURCE}{}", version(v))).unwrap();
        migrate_dev(name, &s, &m, extra).expect_code(0);
    };
    // `schemadiff migrate SUB --db DB --migrations DIR`.
    let ours =
        |sub: &str, db: &TestDb| schemadiff(&["migrate", sub, "--db", &db.url, "--migrations", &m]);
    let map = root.join("role.toml");
    std::fs::write(&map, "[values.User.role]\n\"super user\" = \"OWNER\"\n").unwrap();
    let map = map.display().to_string();
    dev("init", 1, &[]);
    dev("role enum", 2, &["--map", &map]);

    // 1. Prisma deploys schemadiff's folders on a database with legacy rows.
    let by_prisma = TestDb::create("prisma_compat_deploy");
    let m1: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    };
    // The first folder alone, then rows, then the enum migration: hide the second one first.
    let hidden = root.join("hidden");
    std::fs::rename(&m1[1], &hidden).unwrap();
    let (code, out) = prisma("deploy", &dir, &by_prisma);
    assert_eq!(code, 0, "{out}");
    by_prisma.execute(
        "INSERT INTO \"User\" (email, role) VALUES ('a@x', 'admin'), ('b@x', 'super user'), ('c@x', 'Member')",
    );
    std::fs::rename(&hidden, &m1[1]).unwrap();
    let (code, out) = prisma("deploy", &dir, &by_prisma);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("All migrations have been successfully applied"),
        "{out}"
    );
    assert_eq!(
        by_prisma.rows("SELECT role::text FROM \"User\" ORDER BY id"),
        vec![
            vec![Some("ADMIN".to_string())],
            vec![Some("OWNER".to_string())],
            vec![Some("MEMBER".to_string())]
        ]
    );
    let st = ours("status", &by_prisma).expect_code(0);
    assert_eq!(st.stdout.matches("applied   ").count(), 2, "{}", st.stdout);
    schemadiff(&["drift", "--schema", &s, "--db", &by_prisma.url]).expect_code(0);

    // 2. schemadiff deploys; Prisma's status agrees, then sees a new pending one.
    let by_schemadiff = TestDb::create("prisma_compat_status");
    ours("deploy", &by_schemadiff).expect_code(0);
    let (code, out) = prisma("status", &dir, &by_schemadiff);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Database schema is up to date"), "{out}");
    dev("add name", 3, &[]);
    let (code, out) = prisma("status", &dir, &by_schemadiff);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not yet been applied") && out.contains("_add_name"),
        "{out}"
    );
    // Prisma applies the third one on top of schemadiff's history; schemadiff agrees.
    let (code, out) = prisma("deploy", &dir, &by_schemadiff);
    assert_eq!(code, 0, "{out}");
    ours("status", &by_schemadiff).expect_code(0);
    schemadiff(&["drift", "--schema", &s, "--db", &by_schemadiff.url]).expect_code(0);

    // 3. A failure schemadiff recorded blocks Prisma's deploy too, and Prisma reports it.
    let broken = dir.join("29990101000000_broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("migration.sql"),
        "INSERT INTO \"User\" (email) VALUES (NULL);\n",
    )
    .unwrap();
    let run = ours("deploy", &by_schemadiff);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (code, out) = prisma("status", &dir, &by_schemadiff);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("29990101000000_broken") && out.contains("failed"),
        "{out}"
    );
    let (code, out) = prisma("deploy", &dir, &by_schemadiff);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("P3009"), "{out}");
    let _ = std::fs::remove_dir_all(&root);
}
