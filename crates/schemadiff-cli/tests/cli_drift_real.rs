//! `drift`, `inspect` and `apply` through the binary on databases shaped the way real ones are:
//! what the model does not hold is listed as not managed (never silent), column order and enum
//! label order are never drift, Prisma-equivalent forms are not drift, and Prisma's
//! `_prisma_migrations` table is ignored. Small schemas under `tests/drift/`.

mod common;
use common::{database_from, schemadiff};

const ITEMS: &str = "crates/schemadiff-cli/tests/drift/items.prisma";

/// A database created from `items.prisma`, then changed by `sql`: `drift` still exits 0 (the
/// model cannot hold the change) but lists it as not managed in every format, and `inspect`
/// prints it; `needle` is a piece of that listing.
fn listed_not_managed(hint: &str, sql: &str, needle: &str) {
    let db = database_from(&format!("nm_{hint}"), ITEMS);
    let before = schemadiff(&["drift", "--schema", ITEMS, "--db", &db.url]).expect_code(0);
    assert!(
        !before.stderr.contains(needle),
        "{hint}: listed before the change:\n{}",
        before.stderr
    );
    db.execute(sql);
    let run = schemadiff(&["drift", "--schema", ITEMS, "--db", &db.url]).expect_code(0);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("not managed") && l.contains(needle));
    assert!(
        line.is_some(),
        "{hint}: drift must list `{needle}` as not managed:\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
    let json = schemadiff(&[
        "drift", "--schema", ITEMS, "--db", &db.url, "--format", "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let listed = v["not_managed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains(needle));
    assert!(listed, "{hint}: json not_managed: {}", json.stdout);
    let gh = schemadiff(&[
        "drift", "--schema", ITEMS, "--db", &db.url, "--format", "github",
    ])
    .expect_code(0);
    assert!(
        gh.stdout
            .lines()
            .any(|l| l.starts_with("::warning") && l.contains(needle)),
        "{hint}: {}",
        gh.stdout
    );
    let inspect = schemadiff(&["inspect", "--db", &db.url]).expect_code(0);
    assert!(
        inspect
            .stdout
            .lines()
            .any(|l| l.starts_with("//") && l.contains(needle)),
        "{hint}: inspect must print `{needle}`:\n{}",
        inspect.stdout
    );
}

#[test]
fn column_collation_is_listed() {
    listed_not_managed(
        "collation",
        r#"ALTER TABLE "Item" ALTER COLUMN "body" TYPE text COLLATE "C""#,
        r#"COLLATE pg_catalog."C""#,
    );
}

#[test]
fn unlogged_table_is_listed() {
    listed_not_managed("unlogged", r#"ALTER TABLE "Item" SET UNLOGGED"#, "UNLOGGED");
}

#[test]
fn table_storage_parameters_are_listed() {
    listed_not_managed(
        "table_fillfactor",
        r#"ALTER TABLE "Item" SET (fillfactor = 60)"#,
        "WITH (fillfactor=60)",
    );
}

#[test]
fn comments_are_listed() {
    listed_not_managed(
        "comment_column",
        r#"COMMENT ON COLUMN "Item"."body" IS 'the body text'"#,
        "COMMENT ON COLUMN not represented in the model: the body text",
    );
    listed_not_managed(
        "comment_table",
        r#"COMMENT ON TABLE "Item" IS 'items'"#,
        "COMMENT ON TABLE not represented in the model: items",
    );
    listed_not_managed(
        "comment_index",
        r#"COMMENT ON INDEX "Item_body_idx" IS 'by body'"#,
        "COMMENT ON INDEX not represented in the model: by body",
    );
}

#[test]
fn a_table_in_another_schema_is_listed() {
    listed_not_managed(
        "other_schema",
        "CREATE SCHEMA audit; CREATE TABLE audit.log (id int PRIMARY KEY)",
        "table audit.log (in schema audit, which is not compared",
    );
}

#[test]
fn a_unique_constraint_instead_of_a_unique_index_is_listed() {
    listed_not_managed(
        "unique_constraint",
        r#"DROP INDEX "Item_name_key"; ALTER TABLE "Item" ADD CONSTRAINT "Item_name_key" UNIQUE ("name")"#,
        "UNIQUE constraint, compared as a unique index",
    );
}

#[test]
fn sequence_options_are_listed() {
    listed_not_managed(
        "sequence",
        r#"ALTER SEQUENCE "Item_id_seq" INCREMENT BY 5 START WITH 100 CACHE 10"#,
        "not represented in the model: INCREMENT 5, START 100, CACHE 10",
    );
}

#[test]
fn index_storage_parameters_are_listed() {
    listed_not_managed(
        "index_fillfactor",
        r#"ALTER INDEX "Item_body_idx" SET (fillfactor = 70)"#,
        "storage parameters (fillfactor=70)",
    );
}

#[test]
fn column_storage_is_listed() {
    listed_not_managed(
        "storage",
        r#"ALTER TABLE "Item" ALTER COLUMN "body" SET STORAGE EXTERNAL"#,
        "STORAGE EXTERNAL",
    );
}

/// A field added between two others: `apply` appends the column and succeeds (column order is
/// not compared by the check before `COMMIT`), and `drift` then finds nothing.
#[test]
fn a_field_added_in_the_middle_applies_and_is_not_drift() {
    let v1 = "crates/schemadiff-cli/tests/drift/columns-v1.prisma";
    let v2 = "crates/schemadiff-cli/tests/drift/columns-v2.prisma";
    let db = database_from("col_order", v1);
    db.execute(r#"INSERT INTO "A" VALUES (1, 10), (2, 20)"#);
    let run = schemadiff(&["apply", "--db", &db.url, "--to", v2, "--yes"]).expect_code(0);
    assert!(
        !run.stderr.contains("still differs"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    // PostgreSQL appended it: the database's order is id, b, x.
    let order = db.rows(
        "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute \
         WHERE attrelid = '\"A\"'::regclass AND attnum > 0 AND NOT attisdropped",
    );
    assert_eq!(order[0][0].as_deref(), Some("id,b,x"));
    let drift = schemadiff(&["drift", "--schema", v2, "--db", &db.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    assert_eq!(
        db.rows(r#"SELECT count(*) FROM "A""#)[0][0].as_deref(),
        Some("2")
    );
    // Nothing left to do: a second apply says so.
    let again = schemadiff(&["apply", "--db", &db.url, "--to", v2, "--yes"]).expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
}

/// When the database differs, `drift` always says what differs (never "0 changes").
#[test]
fn drift_always_names_what_differs() {
    let v2 = "crates/schemadiff-cli/tests/drift/columns-v2.prisma";
    let db = database_from("col_differs", v2);
    db.execute(r#"ALTER TABLE "A" ALTER COLUMN "x" SET NOT NULL"#);
    let run = schemadiff(&["drift", "--schema", v2, "--db", &db.url]).expect_code(2);
    assert!(run.stdout.contains("(1 difference(s))"), "{}", run.stdout);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("  - ") && l.contains("Alter table A")),
        "{}",
        run.stdout
    );
}

const ENUM_ABC: &str = "crates/schemadiff-cli/tests/drift/enum-appended.prisma";
const ENUM_ABCD: &str = "crates/schemadiff-cli/tests/drift/enum-appended-d.prisma";

/// A database whose enum got its labels by appending (A, C, then B) holds them in another order
/// than the file (A, B, C).
fn appended_enum_db(hint: &str) -> schemadiff_testkit::TestDb {
    let db = schemadiff_testkit::TestDb::create(hint);
    db.execute(
        r#"CREATE TYPE "Level" AS ENUM ('A', 'C');
           CREATE TABLE "Task" ("id" integer NOT NULL, "level" "Level" NOT NULL DEFAULT 'A',
                                CONSTRAINT "Task_pkey" PRIMARY KEY ("id"));
           ALTER TYPE "Level" ADD VALUE 'B';"#,
    );
    db.execute(r#"INSERT INTO "Task" VALUES (1, 'A'), (2, 'B'), (3, 'C')"#);
    db
}

#[test]
fn enum_label_order_is_a_note_unless_strict() {
    let db = appended_enum_db("enum_order");
    let run = schemadiff(&["drift", "--schema", ENUM_ABC, "--db", &db.url]).expect_code(0);
    assert!(run.stdout.contains("no drift"), "{}", run.stdout);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("note: enum Level: labels in another order")),
        "{}",
        run.stderr
    );
    let strict = schemadiff(&[
        "drift",
        "--schema",
        ENUM_ABC,
        "--db",
        &db.url,
        "--strict-order",
    ])
    .expect_code(2);
    assert!(
        strict
            .stdout
            .lines()
            .any(|l| l.starts_with("  - enum Level: labels in another order")),
        "{}",
        strict.stdout
    );
    let plan = schemadiff(&["plan", "--from", &db.url, "--to", ENUM_ABC]).expect_code(0);
    assert!(
        plan.stdout.contains("nothing to do"),
        "order alone must not be planned:\n{}",
        plan.stdout
    );
}

/// A label added to an enum whose database order differs is placed with ADD VALUE: no rebuilt
/// type, no table rewrite; every row keeps its value.
#[test]
fn a_label_added_to_a_reordered_enum_is_added_not_rebuilt() {
    let db = appended_enum_db("enum_add_d");
    let plan = schemadiff(&["plan", "--from", &db.url, "--to", ENUM_ABCD]).expect_code(0);
    assert!(
        plan.stdout
            .contains(r#"ALTER TYPE "public"."Level" ADD VALUE 'D' AFTER 'C';"#),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("Level_old") && !plan.stdout.contains("table-rewrite"),
        "{}",
        plan.stdout
    );
    schemadiff(&["apply", "--db", &db.url, "--to", ENUM_ABCD, "--yes"]).expect_code(0);
    schemadiff(&["drift", "--schema", ENUM_ABCD, "--db", &db.url]).expect_code(0);
    let rows = db.rows(r#"SELECT id::text || level::text FROM "Task" ORDER BY id"#);
    let rows: Vec<_> = rows.into_iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(rows, ["1A", "2B", "3C"]);
}

const PRISMA_LIKE: &str = "crates/schemadiff-cli/tests/drift/prisma-like.prisma";

/// A list column that is NOT NULL in the database, JSON defaults written another way, and a
/// GIN index created without an operator class (the file names the default one, ArrayOps):
/// none of them is drift, none is planned.
#[test]
fn prisma_equivalent_forms_are_not_drift() {
    let db = database_from("prisma_equiv", PRISMA_LIKE);
    let fresh = schemadiff(&["drift", "--schema", PRISMA_LIKE, "--db", &db.url]).expect_code(0);
    assert!(fresh.stdout.contains("no drift"), "{}", fresh.stdout);
    db.execute(
        r#"ALTER TABLE "Doc" ALTER COLUMN "tags" SET NOT NULL;
           ALTER TABLE "Doc" ALTER COLUMN "meta" SET DEFAULT '{"a":[1,2],"b":2}';
           ALTER TABLE "Doc" ALTER COLUMN "plain" SET DEFAULT '{ "k" : "v" }';"#,
    );
    let run = schemadiff(&["drift", "--schema", PRISMA_LIKE, "--db", &db.url]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let plan = schemadiff(&["plan", "--from", &db.url, "--to", PRISMA_LIKE]).expect_code(0);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
    // A real JSON difference still is drift.
    db.execute(r#"ALTER TABLE "Doc" ALTER COLUMN "meta" SET DEFAULT '{"a":[2,1],"b":2}'"#);
    schemadiff(&["drift", "--schema", PRISMA_LIKE, "--db", &db.url]).expect_code(2);
}

/// Prisma's migration history table is not drift, not dropped by a plan, not printed.
#[test]
fn prisma_migrations_table_is_ignored() {
    let db = database_from("history_ignored", ITEMS);
    db.execute(
        r#"CREATE TABLE "_prisma_migrations" (
               "id" varchar(36) PRIMARY KEY, "checksum" varchar(64) NOT NULL,
               "finished_at" timestamptz, "migration_name" varchar(255) NOT NULL,
               "logs" text, "rolled_back_at" timestamptz,
               "started_at" timestamptz NOT NULL DEFAULT now(),
               "applied_steps_count" integer NOT NULL DEFAULT 0);
           COMMENT ON TABLE "_prisma_migrations" IS 'history';
           INSERT INTO "_prisma_migrations" (id, checksum, migration_name)
           VALUES ('1', 'x', '0_init');"#,
    );
    let run = schemadiff(&["drift", "--schema", ITEMS, "--db", &db.url]).expect_code(0);
    assert!(
        !run.stdout.contains("_prisma_migrations") && !run.stderr.contains("_prisma_migrations"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let plan = schemadiff(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        "empty",
        "--allow-hazard",
        "drop-table",
    ])
    .expect_code(0);
    assert!(
        plan.stdout.contains(r#"DROP TABLE "public"."Item""#)
            && !plan.stdout.contains("_prisma_migrations"),
        "a plan must never drop it:\n{}",
        plan.stdout
    );
    let inspect = schemadiff(&["inspect", "--db", &db.url]).expect_code(0);
    assert!(
        !inspect.stdout.contains("_prisma_migrations"),
        "{}",
        inspect.stdout
    );
    schemadiff(&["apply", "--db", &db.url, "--to", ITEMS, "--yes"]).expect_code(0);
    assert_eq!(
        db.rows(r#"SELECT count(*) FROM "_prisma_migrations""#)[0][0].as_deref(),
        Some("1")
    );
}

/// A table renamed after its unique index was made, the index made again under the new name (as
/// a project's migrations do): the old copy repeats an index the schema keeps. It is not drift,
/// and `apply` neither drops it nor finds anything to do; a copy that differs is still drift.
#[test]
fn a_redundant_copy_of_a_kept_index_is_not_drift() {
    let db = database_from("redundant_idx", ITEMS);
    db.execute(r#"CREATE UNIQUE INDEX "OldItem_name_key" ON "Item" ("name")"#);
    let drift = schemadiff(&["drift", "--schema", ITEMS, "--db", &db.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    let again = schemadiff(&["apply", "--db", &db.url, "--to", ITEMS, "--yes"]).expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(
        db.rows("SELECT count(*) FROM pg_indexes WHERE indexname = 'OldItem_name_key'")[0][0]
            .as_deref(),
        Some("1")
    );
    // Not a copy: a non-unique index on the same column is drift (dropped by a plan).
    db.execute(r#"CREATE INDEX "Other_name_idx" ON "Item" ("name")"#);
    let drift = schemadiff(&["drift", "--schema", ITEMS, "--db", &db.url]).expect_code(2);
    assert!(drift.stdout.contains("Other_name_idx"), "{}", drift.stdout);
}

/// `@default(dbgenerated())` without an expression: no default is created, and whatever
/// default the database holds (set by a hand-written migration) is neither drift nor dropped.
#[test]
fn a_default_left_to_the_database_is_not_drift() {
    let schema = "crates/schemadiff-cli/tests/drift/unmanaged-default.prisma";
    let created = schemadiff(&["plan", "--from", "empty", "--to", schema]).expect_code(0);
    assert!(!created.stdout.contains("DEFAULT"), "{}", created.stdout);
    let db = database_from("unmanaged_default", schema);
    let drift = schemadiff(&["drift", "--schema", schema, "--db", &db.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    db.execute(r#"ALTER TABLE "Item" ALTER COLUMN "sys_id" SET DEFAULT md5(random()::text)"#);
    let drift = schemadiff(&["drift", "--schema", schema, "--db", &db.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    let again = schemadiff(&["apply", "--db", &db.url, "--to", schema, "--yes"]).expect_code(0);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    let kept = db.rows(
        "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef \
         WHERE adrelid = '\"Item\"'::regclass",
    );
    assert_eq!(kept.len(), 1, "the database's default is kept");
    // Another column of the same table still drifts as usual.
    db.execute(r#"ALTER TABLE "Item" ALTER COLUMN "sys_id" SET NOT NULL"#);
    schemadiff(&["drift", "--schema", schema, "--db", &db.url]).expect_code(2);
}

/// The datasource's `extensions` list on the real server: `apply` creates them before the
/// table that uses one (a `citext` column), `drift` compares them with `pg_extension` (no drift
/// after the apply; an extension dropped by hand is drift), a schema that no longer lists some
/// drops them only when `drop-extension` is allowed, and a schema without the list leaves
/// extensions alone.
#[test]
fn datasource_extensions_are_created_compared_and_dropped_with_a_hazard() {
    let all = "crates/schemadiff-cli/tests/drift/extensions.prisma";
    let fewer = "crates/schemadiff-cli/tests/drift/extensions-fewer.prisma";
    let db = schemadiff_testkit::TestDb::create("extensions");
    let installed = |db: &schemadiff_testkit::TestDb| -> Vec<String> {
        db.rows("SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")
            .into_iter()
            .map(|r| r[0].clone().unwrap())
            .collect()
    };
    schemadiff(&["apply", "--db", &db.url, "--to", all, "--yes"]).expect_code(0);
    assert_eq!(installed(&db), ["citext", "pg_trgm", "pgcrypto"]);
    let drift = schemadiff(&["drift", "--schema", all, "--db", &db.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
    // Managed extensions are listed once: never again as "not managed".
    let json = schemadiff(&[
        "drift", "--schema", all, "--db", &db.url, "--format", "json",
    ])
    .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(
        report["not_managed"],
        serde_json::json!([]),
        "{}",
        json.stdout
    );
    assert!(
        !format!("{}{}", drift.stdout, drift.stderr).contains("not managed: extension"),
        "{}\n{}",
        drift.stdout,
        drift.stderr
    );
    // What the database has is printed back as the list, and reads back as no drift.
    let inspect = schemadiff(&["inspect", "--db", &db.url]).expect_code(0);
    assert!(
        !inspect.stdout.contains("not managed: extension"),
        "{}",
        inspect.stdout
    );
    assert!(
        inspect
            .stdout
            .contains("extensions = [citext(schema: \"public\""),
        "{}",
        inspect.stdout
    );
    // Dropped by hand: drift, and the plan creates it again.
    db.execute("DROP EXTENSION pg_trgm");
    let drift = schemadiff(&["drift", "--schema", all, "--db", &db.url]).expect_code(2);
    assert!(
        drift
            .stdout
            .contains("CREATE EXTENSION IF NOT EXISTS \"pg_trgm\""),
        "{}",
        drift.stdout
    );
    schemadiff(&["apply", "--db", &db.url, "--to", all, "--yes"]).expect_code(0);
    // No longer listed: refused unless allowed, then dropped.
    let refused = schemadiff(&["apply", "--db", &db.url, "--to", fewer, "--yes"]).expect_code(1);
    assert!(
        refused.stderr.contains("drop-extension"),
        "{}",
        refused.stderr
    );
    assert_eq!(installed(&db), ["citext", "pg_trgm", "pgcrypto"]);
    schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        fewer,
        "--yes",
        "--allow-hazard",
        "drop-extension",
    ])
    .expect_code(0);
    assert_eq!(installed(&db), ["citext"]);
    // A schema without the list does not manage extensions: not drift.
    let items = "crates/schemadiff-cli/tests/drift/unmanaged-default.prisma";
    let other = schemadiff_testkit::TestDb::create("extensions_none");
    schemadiff(&["apply", "--db", &other.url, "--to", items, "--yes"]).expect_code(0);
    other.execute("CREATE EXTENSION pg_trgm");
    let drift = schemadiff(&["drift", "--schema", items, "--db", &other.url]).expect_code(0);
    assert!(drift.stdout.contains("no drift"), "{}", drift.stdout);
}

const NUMBERS_AS_STRINGS: &str = "crates/schemadiff-cli/tests/drift/numbers-as-strings.prisma";

/// `@default("2.00")` on a Decimal (or a BigInt) is the number: neither the database Prisma
/// builds (`DEFAULT 2.00`) nor the one schemadiff builds is drift, and the plan writes the
/// numeric literal (a string that is not a number: fixtures/dsl/err/default_type_mismatch).
#[test]
fn a_number_written_as_a_string_default_is_the_number() {
    let plan = schemadiff(&["plan", "--from", "empty", "--to", NUMBERS_AS_STRINGS]).expect_code(0);
    assert!(
        plan.stdout.contains("DEFAULT 2.00") && plan.stdout.contains("DEFAULT 5000000000"),
        "{}",
        plan.stdout
    );
    let ours = database_from("numbers_as_strings", NUMBERS_AS_STRINGS);
    schemadiff(&["drift", "--schema", NUMBERS_AS_STRINGS, "--db", &ours.url]).expect_code(0);
    // As Prisma's migrate diff writes it.
    let prisma = schemadiff_testkit::TestDb::create("numbers_as_strings_prisma");
    prisma.execute(
        r#"CREATE TABLE "Env" (
            "id" INTEGER NOT NULL,
            "burstFactor" DECIMAL(4,2) NOT NULL DEFAULT 2.00,
            "ratio" DECIMAL(65,30) NOT NULL DEFAULT -0.5,
            "quota" BIGINT NOT NULL DEFAULT 5000000000,
            CONSTRAINT "Env_pkey" PRIMARY KEY ("id"));"#,
    );
    let run = schemadiff(&["drift", "--schema", NUMBERS_AS_STRINGS, "--db", &prisma.url]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // A real difference still is drift.
    prisma.execute(r#"ALTER TABLE "Env" ALTER COLUMN "burstFactor" SET DEFAULT 2.5"#);
    schemadiff(&["drift", "--schema", NUMBERS_AS_STRINGS, "--db", &prisma.url]).expect_code(2);
}
