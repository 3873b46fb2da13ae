//! The seed scenario end to end on the real PostgreSQL: a v1.2 database full of legacy rows is
//! upgraded to v2.0 with the mapping file and checked row by row, then rolled back to v1.2;
//! an unmapped legacy value stops the upgrade with nothing changed.

mod common;

use common::*;
use schemadiff_plan::Mapping;
use schemadiff_testkit::{TestDb, workspace_root};

fn seed() -> (schemadiff_model::Schema, schemadiff_model::Schema, Mapping) {
    let root = workspace_root();
    let (v1, n1) = load(&root.join("schemas/v1.2.prisma"));
    let (v2, n2) = load(&root.join("schemas/v2.0.prisma"));
    let text =
        std::fs::read_to_string(root.join("schemas/v1.2-to-v2.0.toml")).expect("mapping file");
    let mapping = Mapping::parse(
        &text,
        &Resolver {
            maps: vec![&n2, &n1],
        },
    )
    .expect("valid mapping");
    (v1, v2, mapping)
}

fn legacy_db(hint: &str, v1: &schemadiff_model::Schema) -> TestDb {
    let db = create_db(hint, v1);
    let rows = std::fs::read_to_string(workspace_root().join("fixtures/seed/legacy-rows.sql"))
        .expect("rows");
    db.execute(&rows);
    db
}

fn col(db: &TestDb, sql: &str) -> Vec<String> {
    db.rows(sql)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn seed_upgrade_and_rollback_keep_every_row() {
    let (v1, v2, mapping) = seed();
    let db = legacy_db("seed_up", &v1);
    let (plan, snapshot) = script(&v1, &v2, &mapping);
    assert_parses(&plan);
    schemadiff_testkit::assert_file(
        workspace_root().join("fixtures/seed/upgrade.sql"),
        &snapshot,
    );
    // PostgreSQL 16 parses the JSON columns without the helper function.
    let (plan16, sql16) = script_for(&v1, &v2, &mapping, 16);
    assert_parses(&plan16);
    schemadiff_testkit::assert_file(
        workspace_root().join("fixtures/seed/upgrade-pg16.sql"),
        &sql16,
    );
    // What runs is planned for the test server's version.
    let (plan, sql) = server_script(&v1, &v2, &mapping);
    assert_parses(&plan);
    assert!(
        plan.refused(&[]).is_empty(),
        "upgrade must need no allowance: {:?}",
        plan.refused(&[])
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("'completed'") && w.contains("SUCCESS") && w.contains("COMPLETED")),
        "warning about completed → SUCCESS: {:?}",
        plan.warnings
    );
    assert!(
        plan.hazards.iter().any(|h| h.code == "duplicate-index"),
        "User_email_idx duplicates User_email_key"
    );
    db.execute(&sql);

    let fresh = create_db("seed_v2", &v2);
    assert_eq!(
        db.schema_dump(),
        fresh.schema_dump(),
        "upgraded catalog differs from a fresh v2.0"
    );

    assert_eq!(
        col(&db, r#"SELECT id, role::text FROM "User" ORDER BY id"#),
        [
            "u1|CLIENT",
            "u2|ADMIN",
            "u3|CLIENT",
            "u4|ADMIN",
            "u5|MANAGER",
            "u6|VIEWER"
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, platform::text, status::text, "syncStatus"::text FROM "Campaign" ORDER BY id"#
        ),
        [
            "c01|GOOGLE_ADS|ACTIVE|PENDING",
            "c02|GOOGLE_ADS|ACTIVE|SUCCESS",
            "c03|FACEBOOK|PAUSED|SUCCESS",
            "c04|FACEBOOK|PENDING|FAILED",
            "c05|TIKTOK|DELETED|FAILED",
            "c06|TIKTOK|DELETED|NULL",
            "c07|LINE_ADS|ACTIVE|IN_PROGRESS",
            "c08|LINE_ADS|COMPLETED|COMPLETED",
            "c09|GOOGLE_ADS|PAUSED|PENDING",
            "c10|GOOGLE_ANALYTICS|ACTIVE|STARTED",
            "c11|LINE_ADS|ACTIVE|PENDING",
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, settings::text, jsonb_typeof(settings) FROM "Tenant" ORDER BY id"#
        ),
        [
            r#"t1|{"theme": "dark"}|object"#,
            r#"t2|"not json"|string"#,
            "t3|NULL|NULL",
            r#"t4|""|string"#,
            "t5|[1, 2]|array",
            r#"t6|{"a": "it's"}|object"#,
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, severity::text, status::text, metadata::text FROM "Alert" ORDER BY id"#
        ),
        [
            r#"a1|WARNING|OPEN|{"k": 1}"#,
            r#"a2|CRITICAL|RESOLVED|"oops""#,
            "a3|INFO|ACKNOWLEDGED|NULL",
            r#"a4|WARNING|OPEN|"""#
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, type::text, severity::text FROM "AlertRule" ORDER BY id"#
        ),
        [
            "r1|PRESET|WARNING",
            "r2|CUSTOM|CRITICAL",
            "r3|PRESET|WARNING"
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, platform::text, "syncType"::text, status::text FROM "SyncLog" ORDER BY id"#
        ),
        [
            "s1|GOOGLE_ADS|NULL|PENDING",
            "s2|FACEBOOK|INITIAL|SUCCESS",
            "s3|GOOGLE_ANALYTICS|MANUAL|COMPLETED",
            "s4|GOOGLE_ANALYTICS|SCHEDULED|IN_PROGRESS",
            "s5|LINE_ADS|NULL|FAILED",
            "s6|TIKTOK|NULL|PENDING",
        ]
    );

    // Rollback: v2.0 → v1.2. Dropping the new tables and columns must be allowed explicitly.
    let (back, back_snapshot) = script(&v2, &v1, &Mapping::empty());
    assert_parses(&back);
    schemadiff_testkit::assert_file(
        workspace_root().join("fixtures/seed/rollback.sql"),
        &back_snapshot,
    );
    let (back, back_sql) = server_script(&v2, &v1, &Mapping::empty());
    assert_parses(&back);
    let refused: Vec<&str> = back.refused(&[]).iter().map(|h| h.code).collect();
    assert!(refused.contains(&"drop-table"), "{refused:?}");
    assert!(
        back.refused(&["drop-table".into(), "drop-column".into()])
            .is_empty()
    );
    db.execute(&back_sql);
    let fresh1 = create_db("seed_v1", &v1);
    assert_eq!(
        db.schema_dump(),
        fresh1.schema_dump(),
        "rolled-back catalog differs from a fresh v1.2"
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, platform, status, "syncStatus" FROM "Campaign" ORDER BY id"#
        )
        .len(),
        11
    );
    assert_eq!(
        col(&db, r#"SELECT id, settings FROM "Tenant" ORDER BY id"#),
        [
            r#"t1|{"theme": "dark"}"#,
            "t2|not json",
            "t3|NULL",
            "t4|",
            "t5|[1, 2]",
            r#"t6|{"a": "it's"}"#
        ]
    );
    assert_eq!(
        col(&db, r#"SELECT id, role FROM "User" ORDER BY id"#),
        [
            "u1|CLIENT",
            "u2|ADMIN",
            "u3|CLIENT",
            "u4|ADMIN",
            "u5|MANAGER",
            "u6|VIEWER"
        ]
    );
    assert_eq!(
        col(
            &db,
            r#"SELECT id, metadata, status FROM "Alert" ORDER BY id"#
        ),
        [
            r#"a1|{"k": 1}|OPEN"#,
            "a2|oops|RESOLVED",
            "a3|NULL|ACKNOWLEDGED",
            "a4||OPEN"
        ]
    );
}

#[test]
fn unmapped_legacy_value_stops_the_upgrade_with_nothing_changed() {
    let (v1, v2, mapping) = seed();
    let db = legacy_db("seed_myspace", &v1);
    db.execute(r#"INSERT INTO "Campaign" ("id", "name", "platform", "status", "tenantId", "updatedAt") VALUES ('c99', 'x', 'myspace', 'active', 't1', now())"#);
    let before_dump = db.schema_dump();
    let before_rows = col(
        &db,
        r#"SELECT id, platform, status FROM "Campaign" ORDER BY id"#,
    );
    let (_, sql) = server_script(&v1, &v2, &mapping);
    let err = db
        .try_execute(&sql)
        .expect_err("the guard must stop the upgrade");
    assert!(
        err.contains("'myspace'") && err.contains("Campaign") && err.contains("platform"),
        "{err}"
    );
    db.execute("ROLLBACK");
    assert_eq!(db.schema_dump(), before_dump);
    assert_eq!(
        col(
            &db,
            r#"SELECT id, platform, status FROM "Campaign" ORDER BY id"#
        ),
        before_rows
    );
}
