//! `schemadiff migrate …` through the binary on the real server: a project's whole life
//! (baseline an existing database, three changes through `migrate dev` — one a String → enum
//! with legacy rows and a mapping file — `migrate deploy` to a second database, `migrate status`
//! clean, a rollback through `down.sql`), and the failure paths (a failed migration blocks
//! deploy until resolved and leaves the database as it was, a modified migration is reported
//! and never re-run, a data-losing `down.sql` stops before changing anything).
//!
//! The `_prisma_migrations` rows are checked against Prisma's format: its DDL, a UUID id, the
//! SHA-256 of `migration.sql` computed by the server from the file's bytes, `finished_at`,
//! `applied_steps_count`, `logs`.

mod common;
use common::{
    DATASOURCE, ROLE_ENUM, Run, advisory_lock_holders, interrupt, migrate_dev, running_statement,
    schemadiff,
};
use schemadiff_testkit::TestDb;
use std::path::{Path, PathBuf};

/// The project's schema at version `v`: 0, what the existing database holds; 1, a new table
/// (`Comment`); 2, `User.role` String → enum, legacy spellings mapped by the mapping file; 3,
/// an index (its reverse loses nothing).
fn version(v: u8) -> String {
    let role = if v >= 2 {
        "  role  Role   @default(MEMBER)"
    } else {
        "  role  String @default(\"member\")"
    };
    let mut s = String::new();
    if v >= 2 {
        s.push_str(ROLE_ENUM);
    }
    s.push_str(&format!(
        "\nmodel User {{\n  id    Int    @id @default(autoincrement())\n  email String @unique\n{role}\n  posts Post[]\n}}\n"
    ));
    s.push_str(
        "\nmodel Post {\n  id       Int       @id @default(autoincrement())\n  title    String\n  authorId Int\n  author   User      @relation(fields: [authorId], references: [id])\n",
    );
    if v >= 1 {
        s.push_str("  comments Comment[]\n");
    }
    if v >= 3 {
        s.push_str("\n  @@index([title])\n");
    }
    s.push_str("}\n");
    if v >= 1 {
        s.push_str(
            "\nmodel Comment {\n  id     Int    @id @default(autoincrement())\n  body   String\n  postId Int\n  post   Post   @relation(fields: [postId], references: [id])\n}\n",
        );
    }
    s
}

const MAPPING: &str = "[values.User.role]\n\"super user\" = \"OWNER\"\n\"boss\" = \"OWNER\"\n";

const LEGACY_ROWS: &str = "INSERT INTO \"User\" (email, role) VALUES \
    ('a@x', 'admin'), ('b@x', 'Member'), ('c@x', 'super user'), ('d@x', 'boss'), ('e@x', 'member');\
    INSERT INTO \"Post\" (title, \"authorId\") VALUES ('hello', 1), ('again', 3);";

/// A project folder of its own under the system temporary directory, removed at the end.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new(hint: &str) -> Project {
        let root = std::env::temp_dir().join(format!(
            "schemadiff-cli-migrate-{hint}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("prisma")).unwrap();
        Project { root }
    }

    fn migrations(&self) -> PathBuf {
        self.root.join("prisma/migrations")
    }

    fn migrations_arg(&self) -> String {
        self.migrations().display().to_string()
    }

    /// Writes the schema file (`prisma/schema.prisma`) and returns its path.
    fn schema(&self, body: &str) -> String {
        let p = self.root.join("prisma/schema.prisma");
        std::fs::write(&p, format!("{DATASOURCE}{body}")).unwrap();
        p.display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.root.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// The migration folder names, in order.
    fn folders(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.migrations())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn read(&self, folder: &str, file: &str) -> String {
        std::fs::read_to_string(self.migrations().join(folder).join(file)).unwrap()
    }

    fn dev(&self, name: &str, schema: &str, extra: &[&str]) -> Run {
        migrate_dev(name, schema, &self.migrations_arg(), extra)
    }

    fn on_db(&self, sub: &str, db: &TestDb, extra: &[&str]) -> Run {
        let m = self.migrations_arg();
        let mut args = vec!["migrate", sub, "--db", &db.url, "--migrations", &m];
        args.extend_from_slice(extra);
        schemadiff(&args)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// `(migration_name, checksum, finished?, rolled back?, applied_steps_count, logs)` of every
/// row, in Prisma's order.
fn history(db: &TestDb) -> Vec<(String, String, bool, bool, String, Option<String>)> {
    db.rows(
        "SELECT migration_name, checksum, (finished_at IS NOT NULL)::text, \
         (rolled_back_at IS NOT NULL)::text, applied_steps_count::text, logs \
         FROM _prisma_migrations ORDER BY started_at, migration_name",
    )
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap(),
            r[1].clone().unwrap(),
            r[2].as_deref() == Some("true"),
            r[3].as_deref() == Some("true"),
            r[4].clone().unwrap(),
            r[5].clone(),
        )
    })
    .collect()
}

/// The SHA-256 of a file's bytes as the server computes it (independent of schemadiff's code).
fn server_sha256(db: &TestDb, path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    db.rows(&format!(
        "SELECT encode(sha256(decode('{hex}', 'hex')), 'hex')"
    ))[0][0]
        .clone()
        .unwrap()
}

/// The columns of `_prisma_migrations` as the catalog describes them.
fn history_columns(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.rows(
        "SELECT column_name::text, data_type::text, character_maximum_length::text, is_nullable::text, column_default::text \
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
    )
}

fn roles(db: &TestDb) -> Vec<String> {
    db.rows("SELECT email || '=' || role::text FROM \"User\" ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

#[test]
fn a_projects_whole_life_baseline_dev_deploy_status_rollback() {
    let p = Project::new("life");
    // An existing database, made without any migration history, holding legacy rows.
    let existing = TestDb::create("migrate_life_existing");
    let s0 = p.schema(&version(0));
    let create = schemadiff(&["plan", "--from", "empty", "--to", &s0]).expect_code(0);
    existing.execute(&create.stdout);
    existing.execute(LEGACY_ROWS);

    // No folder yet: nothing to deploy.
    let nothing = p.on_db("deploy", &existing, &[]).expect_code(0);
    assert!(
        nothing.stderr.contains("no migration found"),
        "{}",
        nothing.stderr
    );

    // Baseline: 0_init from empty to the current schema, recorded as applied without running.
    let m = p.migrations_arg();
    schemadiff(&[
        "migrate",
        "diff",
        "--from",
        "empty",
        "--to",
        &s0,
        "--name",
        "0_init",
        "--migrations",
        &m,
    ])
    .expect_code(0);
    assert_eq!(p.folders(), ["0_init"]);
    assert_eq!(
        std::fs::read_to_string(p.migrations().join("migration_lock.toml")).unwrap(),
        "# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = \"postgresql\"\n"
    );
    let init = p.read("0_init", "migration.sql");
    assert!(init.contains("CREATE TABLE \"public\".\"User\""), "{init}");
    // Deploy refuses a non-empty database without history: it must be baselined first.
    let refused = p.on_db("deploy", &existing, &[]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("baseline it first"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        existing.rows("SELECT to_regclass('_prisma_migrations')::text"),
        vec![vec![None]]
    );
    let before = p.on_db("status", &existing, &[]).expect_code(3);
    assert!(
        before.stdout.contains("pending   0_init"),
        "{}",
        before.stdout
    );
    p.on_db("resolve", &existing, &["--applied", "0_init"])
        .expect_code(0);
    // Resolving it twice is an error.
    assert_eq!(
        p.on_db("resolve", &existing, &["--applied", "0_init"]).code,
        1
    );
    let clean = p.on_db("status", &existing, &[]).expect_code(0);
    assert!(
        clean.stdout.contains("applied   0_init"),
        "{}",
        clean.stdout
    );
    // The table is Prisma's, column for column.
    let cols = history_columns(&existing);
    let expect: Vec<Vec<Option<String>>> = [
        ("id", "character varying", Some("36"), "NO", None),
        ("checksum", "character varying", Some("64"), "NO", None),
        ("finished_at", "timestamp with time zone", None, "YES", None),
        (
            "migration_name",
            "character varying",
            Some("255"),
            "NO",
            None,
        ),
        ("logs", "text", None, "YES", None),
        (
            "rolled_back_at",
            "timestamp with time zone",
            None,
            "YES",
            None,
        ),
        (
            "started_at",
            "timestamp with time zone",
            None,
            "NO",
            Some("now()"),
        ),
        ("applied_steps_count", "integer", None, "NO", Some("0")),
    ]
    .iter()
    .map(|(n, t, l, null, d)| {
        vec![
            Some(n.to_string()),
            Some(t.to_string()),
            l.map(str::to_string),
            Some(null.to_string()),
            d.map(str::to_string),
        ]
    })
    .collect();
    assert_eq!(cols, expect);
    let pk = existing.rows(
        "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = '\"_prisma_migrations\"'::regclass AND i.indisprimary",
    );
    assert_eq!(pk, vec![vec![Some("id".to_string())]]);

    // Three changes through `migrate dev`.
    let s1 = p.schema(&version(1));
    let dev1 = p.dev("add comments", &s1, &[]).expect_code(0);
    assert!(dev1.stderr.contains("wrote"), "{}", dev1.stderr);
    let s2 = p.schema(&version(2));
    let map = p.write("role.toml", MAPPING);
    p.dev("role enum", &s2, &["--map", &map]).expect_code(0);
    let s3 = p.schema(&version(3));
    p.dev("title index", &s3, &[]).expect_code(0);
    // Nothing left to do: no folder, exit 0.
    let none = p.dev("nothing", &s3, &[]).expect_code(0);
    assert!(none.stderr.contains("nothing to do"), "{}", none.stderr);
    let folders = p.folders();
    assert_eq!(folders.len(), 4, "{folders:?}");
    assert_eq!(folders[0], "0_init");
    for (f, suffix) in folders[1..]
        .iter()
        .zip(["_add_comments", "_role_enum", "_title_index"])
    {
        let (stamp, rest) = f.split_at(14);
        assert!(stamp.bytes().all(|b| b.is_ascii_digit()), "{f}");
        assert_eq!(rest, suffix);
    }
    let (add_comments, role_enum, title_index) = (&folders[1], &folders[2], &folders[3]);
    // The mapping file is kept beside the script, byte for byte; the script maps its values.
    assert_eq!(p.read(role_enum, "mapping.toml"), MAPPING);
    let role_sql = p.read(role_enum, "migration.sql");
    assert!(
        role_sql.contains("'super user'") && role_sql.contains("'OWNER'"),
        "{role_sql}"
    );
    assert!(
        !p.migrations()
            .join(add_comments)
            .join("mapping.toml")
            .exists()
    );
    // Reverse of a new table loses data: said loudly and stopped; reverse of an index does not.
    let down1 = p.read(add_comments, "down.sql");
    assert!(
        down1.starts_with("-- WARNING: THIS DOWN MIGRATION CAN LOSE DATA"),
        "{down1}"
    );
    assert!(down1.contains("HAZARD drop-table"), "{down1}");
    let down3 = p.read(title_index, "down.sql");
    assert!(!down3.contains("WARNING"), "{down3}");
    assert!(down3.contains("DROP INDEX"), "{down3}");

    // Deploy the three to the existing database: legacy values mapped, no drift.
    let dep = p.on_db("deploy", &existing, &[]).expect_code(0);
    assert!(
        dep.stderr.contains("pre-flight") || dep.stderr.contains("every value is mapped"),
        "{}",
        dep.stderr
    );
    assert_eq!(
        roles(&existing),
        [
            "a@x=ADMIN",
            "b@x=MEMBER",
            "c@x=OWNER",
            "d@x=OWNER",
            "e@x=MEMBER"
        ]
    );
    schemadiff(&["drift", "--schema", &s3, "--db", &existing.url]).expect_code(0);
    p.on_db("status", &existing, &[]).expect_code(0);
    let rows = history(&existing);
    assert_eq!(rows.len(), 4);
    for (i, (name, checksum, finished, rolled_back, steps, logs)) in rows.iter().enumerate() {
        assert_eq!(name, &folders[i]);
        let file = p.migrations().join(name).join("migration.sql");
        assert_eq!(checksum, &server_sha256(&existing, &file), "{name}");
        assert!(*finished && !rolled_back && logs.is_none(), "{name}");
        // Resolved as applied: 0 steps (as Prisma records it); deployed: 1.
        assert_eq!(steps, if i == 0 { "0" } else { "1" }, "{name}");
    }
    let ids = existing.rows("SELECT id FROM _prisma_migrations WHERE id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'");
    assert_eq!(ids.len(), 4, "every id is a UUID v4");

    // A second, empty database gets all four folders, 0_init included.
    let second = TestDb::create("migrate_life_second");
    let dep2 = p.on_db("deploy", &second, &[]).expect_code(0);
    assert!(
        dep2.stderr.contains("4 migration(s) applied"),
        "{}",
        dep2.stderr
    );
    let st = p.on_db("status", &second, &[]).expect_code(0);
    assert_eq!(st.stdout.matches("applied   ").count(), 4, "{}", st.stdout);
    assert!(st.stderr.contains("up to date"), "{}", st.stderr);
    schemadiff(&["drift", "--schema", &s3, "--db", &second.url]).expect_code(0);
    assert!(history(&second).iter().all(|r| r.4 == "1"));
    // Deploying again does nothing.
    let again = p.on_db("deploy", &second, &[]).expect_code(0);
    assert!(
        again.stderr.contains("no pending migration"),
        "{}",
        again.stderr
    );

    // Roll the last one back through its down.sql, then record it: pending again.
    existing.execute(&p.read(title_index, "down.sql"));
    let s2_file = p.write("v2.prisma", &format!("{DATASOURCE}{}", version(2)));
    schemadiff(&["drift", "--schema", &s2_file, "--db", &existing.url]).expect_code(0);
    p.on_db("resolve", &existing, &["--rolled-back", title_index])
        .expect_code(0);
    let st = p.on_db("status", &existing, &[]).expect_code(3);
    assert!(
        st.stdout.contains(&format!("pending   {title_index}")),
        "{}",
        st.stdout
    );
    // And forward again: the folder is applied once more, recorded in a new row.
    p.on_db("deploy", &existing, &[]).expect_code(0);
    p.on_db("status", &existing, &[]).expect_code(0);
    schemadiff(&["drift", "--schema", &s3, "--db", &existing.url]).expect_code(0);
    let rows = history(&existing);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows.iter().filter(|r| r.3).count(),
        1,
        "one row rolled back"
    );
}

#[test]
fn a_failed_migration_blocks_deploy_until_resolved_and_changes_nothing() {
    let p = Project::new("failed");
    let db = TestDb::create("migrate_failed");
    let s1 = p.schema(&version(1));
    p.dev("init", &s1, &[]).expect_code(0);
    p.on_db("deploy", &db, &[]).expect_code(0);
    db.execute(LEGACY_ROWS);
    let dump_before = db.schema_dump();
    // A script the offline reader cannot follow is refused before anything runs or is recorded.
    let bad = p.migrations().join("29990101000000_broken");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("migration.sql"),
        "ALTER TABLE \"Post\" ADD COLUMN \"views\" INTEGER;\nALTER TABLE \"Nope\" ADD COLUMN \"x\" INTEGER;\n",
    )
    .unwrap();
    let unreadable = p.on_db("deploy", &db, &[]);
    assert_eq!(unreadable.code, 1, "{}", unreadable.stderr);
    assert!(
        unreadable.stderr.contains("table Nope does not exist"),
        "{}",
        unreadable.stderr
    );
    assert_eq!(history(&db).len(), 1);
    assert_eq!(db.schema_dump(), dump_before);
    // A unique index on data with duplicates (two posts by author 1).
    db.execute("INSERT INTO \"Post\" (title, \"authorId\") VALUES ('third', 1)");
    std::fs::write(
        bad.join("migration.sql"),
        "ALTER TABLE \"Post\" ADD COLUMN \"views\" INTEGER;\nCREATE UNIQUE INDEX \"Post_authorId_key\" ON \"Post\"(\"authorId\");\n",
    )
    .unwrap();
    // The pre-flight sees the duplicates first: nothing runs, nothing is recorded.
    let blocked = p.on_db("deploy", &db, &[]);
    assert_eq!(blocked.code, 1, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("duplicate keys"),
        "{}",
        blocked.stderr
    );
    assert_eq!(history(&db).len(), 1);
    assert_eq!(db.schema_dump(), dump_before);
    // A failure no pre-flight can foresee: a row statement breaking a foreign key.
    std::fs::write(
        bad.join("migration.sql"),
        "ALTER TABLE \"Post\" ADD COLUMN \"views\" INTEGER;\nINSERT INTO \"Post\" (title, \"authorId\") VALUES ('orphan', 999);\n",
    )
    .unwrap();
    let run = p.on_db("deploy", &db, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("29990101000000_broken"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("recorded as failed"), "{}", run.stderr);
    // One transaction: the first statement is rolled back with the second.
    assert_eq!(db.schema_dump(), dump_before);
    let rows = history(&db);
    let failed = rows.last().unwrap();
    assert_eq!(failed.0, "29990101000000_broken");
    assert!(!failed.2 && !failed.3, "neither finished nor rolled back");
    assert_eq!(failed.4, "0");
    let logs = failed.5.clone().expect("logs of the failure");
    // The layout of Prisma's P3018 message, its opening sentence included.
    assert!(
        logs.starts_with(
            "A migration failed to apply. New migrations cannot be applied before the error is \
             recovered from. Read more about how to resolve migration issues in a production \
             database: https://pris.ly/d/migrate-resolve\n\nMigration name: 29990101000000_broken\n\n\
             Database error code: 23503\n\nDatabase error:\n"
        ),
        "{logs}"
    );
    assert!(logs.contains("Post_authorId_fkey"), "{logs}");
    // Status shows it with its logs; deploy stays blocked.
    let st = p.on_db("status", &db, &[]).expect_code(3);
    assert!(
        st.stdout.contains("failed    29990101000000_broken"),
        "{}",
        st.stdout
    );
    assert!(st.stdout.contains("23503"), "{}", st.stdout);
    let blocked = p.on_db("deploy", &db, &[]);
    assert_eq!(blocked.code, 1);
    assert!(
        blocked.stderr.contains("failed migration"),
        "{}",
        blocked.stderr
    );
    // Fix the script, mark the failure rolled back: it is pending and deploys.
    std::fs::write(
        bad.join("migration.sql"),
        "ALTER TABLE \"Post\" ADD COLUMN \"views\" INTEGER;\n",
    )
    .unwrap();
    p.on_db("resolve", &db, &["--rolled-back", "29990101000000_broken"])
        .expect_code(0);
    let st = p.on_db("status", &db, &[]).expect_code(3);
    assert!(
        st.stdout.contains("pending   29990101000000_broken"),
        "{}",
        st.stdout
    );
    p.on_db("deploy", &db, &[]).expect_code(0);
    p.on_db("status", &db, &[]).expect_code(0);
    assert_eq!(
        db.rows("SELECT count(*) FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'views'"),
        vec![vec![Some("1".to_string())]]
    );
}

#[test]
fn a_modified_migration_is_reported_never_rerun_and_a_lossy_down_stops_first() {
    let p = Project::new("modified");
    let db = TestDb::create("migrate_modified");
    let s1 = p.schema(&version(1));
    p.dev("init", &s1, &[]).expect_code(0);
    p.on_db("deploy", &db, &[]).expect_code(0);
    db.execute(LEGACY_ROWS);
    let folder = p.folders().remove(0);
    let script = p.migrations().join(&folder).join("migration.sql");
    let mut text = std::fs::read_to_string(&script).unwrap();
    text.push_str("\n-- edited after it was applied\n");
    std::fs::write(&script, text).unwrap();
    let st = p.on_db("status", &db, &[]).expect_code(3);
    assert!(
        st.stdout.contains(&format!("modified  {folder}")),
        "{}",
        st.stdout
    );
    let dep = p.on_db("deploy", &db, &[]).expect_code(0);
    assert!(
        dep.stderr.contains("was modified after it was applied"),
        "{}",
        dep.stderr
    );
    assert_eq!(history(&db).len(), 1, "never re-run");
    // The down.sql of a migration that created tables drops them: it stops before anything.
    let before = db.schema_dump();
    let down = p.read(&folder, "down.sql");
    let err = db.try_execute(&down).unwrap_err();
    assert!(err.contains("this down migration is refused"), "{err}");
    assert_eq!(db.schema_dump(), before);
    // `psql -f` without ON_ERROR_STOP goes on after the first error: each transaction of the
    // script starts with the same guard, so it still changes nothing.
    let out = std::process::Command::new(psql())
        .args(["-X", "-q", "-d", &db.url, "-f"])
        .arg(p.migrations().join(&folder).join("down.sql"))
        .output()
        .expect("run psql (PostgreSQL's client on PATH, or SCHEMADIFF_PG_BIN)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("this down migration is refused"), "{err}");
    assert_eq!(db.schema_dump(), before);
    assert_eq!(
        db.rows("SELECT count(*) FROM \"User\""),
        vec![vec![Some("5".to_string())]]
    );
}

/// `psql` from `SCHEMADIFF_PG_BIN`, else `PATH` (as `pg_dump` for `TestDb::schema_dump`).
fn psql() -> PathBuf {
    match std::env::var_os("SCHEMADIFF_PG_BIN") {
        Some(dir) => PathBuf::from(dir).join("psql"),
        None => PathBuf::from("psql"),
    }
}

#[test]
fn usage_errors_of_migrate_exit_1() {
    // resolve needs exactly one of --applied / --rolled-back.
    assert_eq!(
        schemadiff(&["migrate", "resolve", "--db", "postgres://x@127.0.0.1:1/x"]).code,
        1
    );
    assert_eq!(schemadiff(&["migrate", "dev"]).code, 1);
    // A name without a letter or digit is refused before anything is written.
    let p = Project::new("usage");
    let s1 = p.schema(&version(1));
    let r = p.dev(" -- ", &s1, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("has no letter or digit"), "{}", r.stderr);
    assert!(!p.migrations().exists(), "nothing written");
}

/// SIGINT (then SIGTERM) while a migration runs (`pg_sleep`, as long as the database's
/// `sdtest.sleep` setting says): the cancel request rolls its transaction back, its history row
/// is removed rather than left failed, the message names it and says that nothing of it was
/// applied, the exit code is 130 (143), the lock is released; `migrate deploy` run again
/// applies it and the one after it.
#[test]
fn an_interrupted_deploy_rolls_the_migration_back_and_a_rerun_finishes() {
    let p = Project::new("interrupt");
    std::fs::create_dir_all(p.migrations()).unwrap();
    let folder = |name: &str, sql: &str| {
        std::fs::create_dir_all(p.migrations().join(name)).unwrap();
        p.write(&format!("prisma/migrations/{name}/migration.sql"), sql);
    };
    folder(
        "20260101000000_first",
        "CREATE TABLE \"A\" (id integer PRIMARY KEY);\n",
    );
    folder(
        "20260101000001_slow",
        "CREATE TABLE \"B\" (id integer PRIMARY KEY);\n\
         SELECT pg_sleep(coalesce(nullif(current_setting('sdtest.sleep', true), ''), '0')::float8);\n",
    );
    folder(
        "20260101000002_last",
        "CREATE TABLE \"C\" (id integer PRIMARY KEY);\n",
    );
    let m = p.migrations_arg();
    for signal in ["INT", "TERM"] {
        let db = TestDb::create(&format!("migrate_interrupt_{}", signal.to_lowercase()));
        db.execute(&format!(
            "ALTER DATABASE \"{}\" SET sdtest.sleep = '60'",
            db.name
        ));
        let run = interrupt(
            &["migrate", "deploy", "--db", &db.url, "--migrations", &m],
            signal,
            || running_statement(&db, "pg_sleep"),
        );
        assert!(
            run.stderr
                .contains("migration 20260101000001_slow was interrupted"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("nothing of it was applied"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("1 of 3 migration(s) applied"),
            "{}",
            run.stderr
        );
        // Only the first is recorded (applied); the interrupted one left no row, failed or not.
        let rows = history(&db);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "20260101000000_first");
        assert!(rows[0].2 && !rows[0].3, "{rows:?}");
        assert_eq!(
            db.rows("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('A', 'B', 'C')"),
            vec![vec![Some("A".to_string())]]
        );
        assert_eq!(advisory_lock_holders(&db), "0");
        let st = p.on_db("status", &db, &[]).expect_code(3);
        assert!(
            st.stdout.contains("pending   20260101000001_slow"),
            "{}",
            st.stdout
        );
        assert!(!st.stdout.contains("failed"), "{}", st.stdout);
        // Run again (no sleep now): it applies the interrupted migration and the last one.
        db.execute(&format!(
            "ALTER DATABASE \"{}\" RESET sdtest.sleep",
            db.name
        ));
        let again = p.on_db("deploy", &db, &[]).expect_code(0);
        assert!(
            again.stderr.contains("2 migration(s) applied"),
            "{}",
            again.stderr
        );
        let rows = history(&db);
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(
            rows.iter().all(|r| r.2 && !r.3 && r.5.is_none()),
            "{rows:?}"
        );
        p.on_db("status", &db, &[]).expect_code(0);
    }
}
