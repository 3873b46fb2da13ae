//! `[fill]` with a SQL expression over the row (`{ sql = "lower(email)" }`), for a required
//! column added to a table with rows and for a column that becomes required, applied to a real
//! database; expressions that are not one expression are refused before anything runs.

mod common;
use common::{DATASOURCE, Run, database_from, schemadiff};
use schemadiff_testkit::TestDb;

const BEFORE: &str = r#"
model Person {
  id       Int     @id
  email    String
  nickname String?
  score    String?
}
"#;

const AFTER: &str = r#"
model Person {
  id          Int    @id
  email       String
  nickname    String
  score       Int
  emailDomain String
}
"#;

struct Files(std::path::PathBuf);

impl Files {
    fn new(name: &str, mapping: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("sd-fill-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("before.prisma"), format!("{DATASOURCE}{BEFORE}")).unwrap();
        std::fs::write(dir.join("after.prisma"), format!("{DATASOURCE}{AFTER}")).unwrap();
        std::fs::write(dir.join("map.toml"), mapping).unwrap();
        Files(dir)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// `schemadiff SUB FROM… --to after.prisma --map map.toml`, then `extra`: `head` is the
    /// subcommand and what comes before `--to`.
    fn to_after(&self, head: &[&str], extra: &[&str]) -> Run {
        let (to, map) = (self.path("after.prisma"), self.path("map.toml"));
        let mut args = head.to_vec();
        args.extend_from_slice(&["--to", &to, "--map", &map]);
        args.extend_from_slice(extra);
        schemadiff(&args)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files with `mapping`, and a database at `before.prisma` holding two people.
fn seeded(hint: &str, mapping: &str) -> (Files, TestDb) {
    let f = Files::new(hint, mapping);
    let db = database_from(hint, &f.path("before.prisma"));
    db.execute(
        r#"INSERT INTO "Person" VALUES (1, 'Ann@Example.com', NULL, '7'), (2, 'bob@test.org', 'bobby', NULL)"#,
    );
    (f, db)
}

#[test]
fn expressions_fill_new_and_newly_required_columns_from_the_row() {
    let (f, db) = seeded(
        "fill_expr",
        r#"[fill.Person]
nickname = { sql = "split_part(lower(email), '@', 1)" }
score = { sql = "length(email)" }
emailDomain = { sql = "split_part(email, '@', 2)" }
"#,
    );
    let plan = f
        .to_after(
            &["plan", "--from", &db.url],
            &["--allow-hazard", "not-castable"],
        )
        .expect_code(0)
        .stdout;
    assert!(
        plan.contains(r#"UPDATE "public"."Person" SET "nickname" = (split_part(lower(email), '@', 1)) WHERE "nickname" IS NULL"#),
        "{plan}"
    );
    assert!(plan.contains(r#"ADD COLUMN "emailDomain" TEXT"#), "{plan}");
    assert!(
        plan.contains(r#"SET "emailDomain" = (split_part(email, '@', 2))"#),
        "{plan}"
    );
    assert!(
        plan.contains(r#"ALTER COLUMN "emailDomain" SET NOT NULL"#),
        "{plan}"
    );
    db.execute(&plan);
    assert_eq!(
        db.rows(
            r#"SELECT id::text, nickname, score::text, "emailDomain" FROM "Person" ORDER BY id"#
        ),
        vec![
            vec![
                Some("1".into()),
                Some("ann".into()),
                Some("7".into()),
                Some("Example.com".into())
            ],
            // A value already there is kept; the NULL score takes length(email) through the cast.
            vec![
                Some("2".into()),
                Some("bobby".into()),
                Some("12".into()),
                Some("test.org".into())
            ],
        ]
    );
    // The database now matches the target.
    schemadiff(&[
        "drift",
        "--schema",
        &f.path("after.prisma"),
        "--db",
        &db.url,
    ])
    .expect_code(0);
}

#[test]
fn an_expression_that_yields_null_stops_the_script_and_changes_nothing() {
    let (f, db) = seeded(
        "fill_expr_null",
        r#"[fill.Person]
nickname = { sql = "nullif(email, email)" }
score = { sql = "0" }
emailDomain = { sql = "'x'" }
"#,
    );
    let before = db.schema_dump();
    let run = f.to_after(
        &["apply", "--db", &db.url],
        &["--allow-hazard", "not-castable", "--yes"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("nickname") && run.stderr.contains("null"),
        "the NOT NULL violation is reported: {}",
        run.stderr
    );
    assert_eq!(
        db.schema_dump(),
        before,
        "a failed apply leaves the database as it was"
    );
}

#[test]
fn text_that_is_not_one_expression_is_refused_before_anything_runs() {
    for (expr, why) in [
        ("lower(email); DROP TABLE \\\"Person\\\"", "`;`"),
        ("lower(email) -- x", "a comment"),
        ("1), \\\"email\\\" = (2", "not"),
        ("(SELECT count(*) FROM pg_class)", "query"),
    ] {
        let f = Files::new(
            "bad",
            &format!(
                "[fill.Person]\nnickname = {{ sql = \"{expr}\" }}\nscore = \"0\"\nemailDomain = \"x\"\n"
            ),
        );
        let run = f
            .to_after(&["plan", "--from", &f.path("before.prisma")], &[])
            .expect_code(1);
        assert!(
            run.stderr.contains("fill.Person.nickname.sql") && run.stderr.contains(why),
            "{expr}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
}
