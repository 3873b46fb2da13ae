//! The library API the CLI relies on: mapping errors, refusal of hazards, batches,
//! pre-flight queries (run on PostgreSQL), JSON and Markdown output.

mod common;

use common::*;
use schemadiff_plan::{DatabaseNames, Mapping, PlanError, PreflightKind};
use schemadiff_testkit::{assert_file, workspace_root};

fn dsl(text: &str) -> schemadiff_model::Schema {
    let l = schemadiff_dsl::load("inline.prisma", text);
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    l.schema
}

const FROM: &str = "model T {\n  id Int @id\n  s  String\n}\n";
const TO: &str = "enum E {\n  A\n  B\n}\n\nmodel T {\n  id Int @id\n  s  E\n}\n";

#[test]
fn mapping_to_an_unknown_enum_value_is_an_error_naming_the_key() {
    let m = Mapping::parse("[values.T.s]\n\"x\" = \"C\"\n", &DatabaseNames).unwrap();
    let e = schemadiff_plan::plan(&dsl(FROM), &dsl(TO), &m).unwrap_err();
    assert!(matches!(e, PlanError::UnknownEnumValue { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("values.T.s")
            && msg.contains("'x'")
            && msg.contains("C")
            && msg.contains("A, B"),
        "{msg}"
    );
}

#[test]
fn mapping_a_column_that_is_not_cast_is_an_error() {
    let m = Mapping::parse("[values.T.id]\n\"x\" = \"A\"\n", &DatabaseNames).unwrap();
    let e = schemadiff_plan::plan(&dsl(FROM), &dsl(TO), &m).unwrap_err();
    assert!(
        e.to_string().contains("values.T.id") && e.to_string().contains("not cast to an enum"),
        "{e}"
    );
    let m = Mapping::parse("[fill.T]\nid = \"1\"\n", &DatabaseNames).unwrap();
    let e = schemadiff_plan::plan(&dsl(FROM), &dsl(TO), &m).unwrap_err();
    assert!(
        e.to_string().contains("fill") && e.to_string().contains("does not become required"),
        "{e}"
    );
    let m = Mapping::parse("[renames.tables]\nNope = \"T\"\n", &DatabaseNames).unwrap();
    assert!(schemadiff_plan::plan(&dsl(FROM), &dsl(TO), &m).is_err());
}

#[test]
fn data_losing_hazards_are_refused_unless_allowed() {
    let with = dsl("model A {\n  id Int @id\n}\n\nmodel B {\n  id Int @id\n  x  Int?\n}\n");
    let without = dsl("model A {\n  id Int @id\n}\n");
    let p = schemadiff_plan::plan(&with, &without, &Mapping::empty()).unwrap();
    let codes: Vec<&str> = p.refused(&[]).iter().map(|h| h.code).collect();
    assert_eq!(codes, ["drop-table"]);
    assert!(
        p.hazards
            .iter()
            .all(|h| h.code != "drop-table" || h.loses_data)
    );
    assert!(p.refused(&["drop-table".into()]).is_empty());
    assert!(p.refused(&["all".into()]).is_empty());
    let back = schemadiff_plan::plan(&without, &with, &Mapping::empty()).unwrap();
    assert!(back.refused(&[]).is_empty());
    assert!(
        schemadiff_plan::plan(&with, &with, &Mapping::empty())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn added_enum_values_stay_in_the_one_transaction() {
    let a = dsl("enum E {\n  A\n}\n\nmodel T {\n  id Int @id\n  e  E  @default(A)\n}\n");
    // A value nothing uses: ADD VALUE inside the plan's one transaction.
    let b = dsl("enum E {\n  A\n  B\n}\n\nmodel T {\n  id Int @id\n  e  E  @default(A)\n}\n");
    let p = schemadiff_plan::plan(&a, &b, &Mapping::empty()).unwrap();
    let batches = p.batches();
    assert_eq!(batches.len(), 1);
    assert!(batches[0].transactional);
    assert!(
        batches[0].statements[0]
            .sql
            .contains("ADD VALUE 'B' AFTER 'A'")
    );
    // A value the plan uses (the new default): the enum is recreated, still one transaction.
    let c = dsl("enum E {\n  A\n  B\n}\n\nmodel T {\n  id Int @id\n  e  E  @default(B)\n}\n");
    let p = schemadiff_plan::plan(&a, &c, &Mapping::empty()).unwrap();
    let batches = p.batches();
    assert_eq!(batches.len(), 1);
    let sql: Vec<&str> = batches[0]
        .statements
        .iter()
        .map(|s| s.sql.as_str())
        .collect();
    assert!(!sql.iter().any(|s| s.contains("ADD VALUE")), "{sql:?}");
    assert!(
        sql.iter()
            .any(|s| s.contains("CREATE TYPE \"public\".\"E\" AS ENUM ('A', 'B')")),
        "{sql:?}"
    );
    assert!(sql.iter().any(|s| s.contains("SET DEFAULT 'B'")), "{sql:?}");
}

#[test]
fn preflight_reports_every_legacy_value_and_blocks_on_unmapped_ones() {
    let root = workspace_root();
    let (v1, n1) = load(&root.join("schemas/v1.2.prisma"));
    let (v2, n2) = load(&root.join("schemas/v2.0.prisma"));
    let text = std::fs::read_to_string(root.join("schemas/v1.2-to-v2.0.toml")).unwrap();
    let mapping = Mapping::parse(
        &text,
        &Resolver {
            maps: vec![&n2, &n1],
        },
    )
    .unwrap();
    let db = create_db("preflight", &v1);
    db.execute(&std::fs::read_to_string(root.join("fixtures/seed/legacy-rows.sql")).unwrap());
    db.execute(r#"INSERT INTO "Campaign" ("id", "name", "platform", "status", "tenantId", "updatedAt") VALUES ('c99', 'x', 'myspace', 'active', 't1', now())"#);
    let plan = schemadiff_plan::plan(&v1, &v2, &mapping).unwrap();
    let queries = plan.preflight_queries();
    assert_eq!(
        queries
            .iter()
            .filter(|q| q.kind == PreflightKind::EnumMapping)
            .count(),
        11
    );
    let mut report = String::new();
    let mut blocking = Vec::new();
    for q in &queries {
        let outcome = q.evaluate(&db.rows(&q.sql));
        report.push_str(&format!("-- {}\n", q.description));
        for l in &outcome.lines {
            report.push_str(&format!("   {l}\n"));
        }
        if outcome.blocking {
            blocking.push(outcome.summary);
        }
    }
    assert_eq!(blocking.len(), 1, "{blocking:?}");
    assert!(
        blocking[0].contains("'myspace'") && blocking[0].contains("Campaign.platform"),
        "{blocking:?}"
    );
    assert_file(root.join("fixtures/seed/preflight.txt"), &report);
}

#[test]
fn json_and_markdown_outputs_of_the_seed_plan() {
    let root = workspace_root();
    let (v1, n1) = load(&root.join("schemas/v1.2.prisma"));
    let (v2, n2) = load(&root.join("schemas/v2.0.prisma"));
    let text = std::fs::read_to_string(root.join("schemas/v1.2-to-v2.0.toml")).unwrap();
    let mapping = Mapping::parse(
        &text,
        &Resolver {
            maps: vec![&n2, &n1],
        },
    )
    .unwrap();
    let plan = schemadiff_plan::plan(&v1, &v2, &mapping).unwrap();
    let opts = schemadiff_render::RenderOptions {
        from_label: "schemas/v1.2.prisma".into(),
        to_label: "schemas/v2.0.prisma".into(),
        not_managed: None,
    };
    let json = schemadiff_render::render_json(&plan, &opts);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    for key in [
        "steps",
        "hazards",
        "warnings",
        "mappings",
        "batches",
        "preflight",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["mappings"].as_array().map(Vec::len), Some(11));
    assert_file(root.join("fixtures/seed/upgrade.json"), &json);
    let md = schemadiff_render::render_markdown(&plan, &opts);
    assert!(md.contains("<details><summary>SQL</summary>") && md.contains("```sql"));
    assert_file(root.join("fixtures/seed/upgrade.md"), &md);
    assert_eq!(md, schemadiff_render::render_markdown(&plan, &opts));
}

#[test]
fn nulls_into_required_columns_need_a_default_or_a_fill() {
    let from = dsl("model T {\n  id Int     @id\n  s  String?\n  n  Int?\n}\n");
    let to = dsl("enum E {\n  A\n  B\n}\n\nmodel T {\n  id Int @id\n  s  E\n  n  Int\n}\n");
    let p = schemadiff_plan::plan(&from, &to, &Mapping::empty()).unwrap();
    let mut codes: Vec<&str> = p.refused(&[]).iter().map(|h| h.code).collect();
    codes.sort();
    assert_eq!(codes, ["set-not-null-on-existing-data", "unmapped-null"]);
    assert!(
        p.preflight
            .iter()
            .any(|q| q.kind == PreflightKind::NullsIntoRequired)
    );
    assert!(
        p.preflight
            .iter()
            .any(|q| q.kind == PreflightKind::EnumMapping && q.null_blocks)
    );

    let m = Mapping::parse("[fill.T]\ns = \"B\"\nn = \"0\"\n", &DatabaseNames).unwrap();
    let p = schemadiff_plan::plan(&from, &to, &m).unwrap();
    assert!(p.refused(&[]).is_empty(), "{:?}", p.refused(&[]));
    let db = create_db("fills", &from);
    db.execute(r#"INSERT INTO "T" VALUES (1, NULL, NULL), (2, 'a', 5)"#);
    db.execute(&schemadiff_render::render_sql(&p, &opts()));
    assert_eq!(
        db.rows(r#"SELECT id::text, s::text, n::text FROM "T" ORDER BY id"#),
        vec![
            vec![
                Some("1".to_string()),
                Some("B".to_string()),
                Some("0".to_string())
            ],
            vec![
                Some("2".to_string()),
                Some("A".to_string()),
                Some("5".to_string())
            ],
        ]
    );

    let bad = Mapping::parse("[fill.T]\ns = \"C\"\n", &DatabaseNames).unwrap();
    let e = schemadiff_plan::plan(&from, &to, &bad).unwrap_err();
    assert!(
        e.to_string().contains("fill.T.s") && e.to_string().contains("'NULL'")
            || e.to_string().contains("C"),
        "{e}"
    );
}

#[test]
fn versions_below_13_are_refused_and_the_version_is_in_every_output() {
    let e = schemadiff_plan::PlanOptions::for_version(12).unwrap_err();
    assert_eq!(
        e.to_string(),
        "PostgreSQL 12 is not supported: schemadiff plans for PostgreSQL 13 and later"
    );
    let bad = schemadiff_plan::PlanOptions { pg_version: 9 };
    let (a, b) = (dsl(FROM), dsl(TO));
    assert!(schemadiff_plan::plan_with(&a, &b, &Mapping::empty(), &bad).is_err());
    let p17 = schemadiff_plan::plan_with(
        &a,
        &b,
        &Mapping::empty(),
        &schemadiff_plan::PlanOptions::for_version(17).unwrap(),
    )
    .unwrap();
    assert_eq!(p17.pg_version, 17);
    let o = opts();
    assert!(schemadiff_render::render_sql(&p17, &o).contains("\n-- planned for PostgreSQL 17\n"));
    assert!(schemadiff_render::render_json(&p17, &o).contains("\"pg_version\": 17,"));
    assert!(schemadiff_render::render_markdown(&p17, &o).contains("planned for PostgreSQL 17"));
    // The default is the oldest supported version.
    let p = schemadiff_plan::plan(&a, &b, &Mapping::empty()).unwrap();
    assert_eq!(p.pg_version, schemadiff_plan::MIN_PG_VERSION);
}

#[test]
fn text_to_json_uses_a_helper_before_16_and_pg_input_is_valid_from_16() {
    let from = dsl("model P {\n  id Int @id\n  meta String?\n}\n");
    let to = dsl("model P {\n  id Int @id\n  meta Json?\n}\n");
    for v in 13..=18 {
        let options = schemadiff_plan::PlanOptions::for_version(v).unwrap();
        let p = schemadiff_plan::plan_with(&from, &to, &Mapping::empty(), &options).unwrap();
        let sql = schemadiff_render::render_sql(&p, &opts());
        let helper = p
            .steps
            .iter()
            .any(|s| s.kind == schemadiff_plan::StepKind::CreateHelper);
        assert_eq!(helper, v < 16, "PostgreSQL {v}:\n{sql}");
        assert_eq!(
            sql.contains("pg_input_is_valid"),
            v >= 16,
            "PostgreSQL {v}:\n{sql}"
        );
    }
}

#[test]
fn refusals_of_an_added_required_column_and_a_dropped_column_say_what_to_write() {
    let from = dsl("model T {\n  id Int @id\n  fullName String\n}\n");
    let to = dsl("model T {\n  id Int @id\n  displayName String\n}\n");
    let p = schemadiff_plan::plan(&from, &to, &Mapping::empty()).unwrap();
    let refused = p.refused(&[]);
    let msg = |code: &str| {
        refused
            .iter()
            .find(|h| h.code == code)
            .map(|h| h.message.clone())
            .unwrap_or_else(|| panic!("no {code} in {refused:?}"))
    };
    let add = msg("set-not-null-on-existing-data");
    assert!(add.contains("`[fill.T] displayName = \"VALUE\"`"), "{add}");
    let drop = msg("drop-column");
    assert!(
        drop.contains("--allow-hazard drop-column")
            && drop.contains("`[renames.columns.T] fullName = \"displayName\"`"),
        "{drop}"
    );
    // What the message says to write is accepted: the fill makes the added column's plan
    // carry no refusal.
    let m = Mapping::parse("[fill.T]\ndisplayName = \"x\"\n", &DatabaseNames).unwrap();
    let p = schemadiff_plan::plan(&from, &to, &m).unwrap();
    let codes: Vec<&str> = p.refused(&[]).iter().map(|h| h.code).collect();
    assert_eq!(codes, ["drop-column"]);
}
