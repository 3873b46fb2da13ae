//! Pre-flight for text → JSON casts on the real PostgreSQL: values that are not valid JSON are
//! counted and shown (at most 5); they block only a strict cast (`[json] strict`), which would
//! indeed fail, while the lenient cast keeps them as JSON strings.

mod common;

use common::*;
use schemadiff_model::Schema;
use schemadiff_plan::{Mapping, Plan, PreflightKind, PreflightQuery};
use schemadiff_testkit::TestDb;

fn schema(text: &str) -> (Schema, schemadiff_dsl::NameMap) {
    let l = schemadiff_dsl::load("inline.prisma", text);
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    (l.schema, l.names)
}

const FROM: &str = "model Post {\n  id Int @id\n  meta String?\n  tags String?\n}\n";
const TO: &str = "model Post {\n  id Int @id\n  meta Json?\n  tags Json?\n}\n";

fn plan_with(mapping: &str) -> (Schema, Plan) {
    let (from, n1) = schema(FROM);
    let (to, n2) = schema(TO);
    let m = Mapping::parse(
        mapping,
        &Resolver {
            maps: vec![&n2, &n1],
        },
    )
    .expect("mapping");
    // Planned for the test server: from PostgreSQL 16 the query has no helper function.
    let options = schemadiff_plan::PlanOptions::for_version(schemadiff_testkit::server_major())
        .expect("supported");
    let plan = schemadiff_plan::plan_with(&from, &to, &m, &options).expect("plan");
    (from, plan)
}

fn json_query<'a>(plan: &'a Plan, column: &str) -> &'a PreflightQuery {
    plan.preflight
        .iter()
        .find(|q| q.kind == PreflightKind::InvalidJson && q.description.contains(column))
        .unwrap_or_else(|| {
            panic!(
                "no invalid-json pre-flight for {column}: {:?}",
                plan.preflight
            )
        })
}

fn seeded(from: &Schema, hint: &str) -> TestDb {
    let db = create_db(hint, from);
    db.execute(
        r#"INSERT INTO "Post" ("id", "meta", "tags") VALUES
           (1, '{"a": 1}', '["x"]'), (2, 'not json', '[]'), (3, '42', NULL),
           (4, '{oops', '"s"'), (5, NULL, 'null'), (6, '', 'true'), (7, 'not json', '1.5'),
           (8, 'a1', '{}'), (9, 'a2', '{}'), (10, 'a3', '{}'), (11, 'a4', '{}')"#,
    );
    db
}

#[test]
fn invalid_json_is_reported_and_blocks_only_strict_casts() {
    let (from, lenient) = plan_with("");
    let db = seeded(&from, "pf_json");

    let q = json_query(&lenient, "Post.meta");
    assert!(!q.strict);
    let out = q.evaluate(&db.rows(&q.sql));
    // 'not json' ×2, '{oops', '', 'a1'…'a4': 8 values, 7 distinct, the first 5 shown.
    assert!(!out.blocking, "{out:?}");
    assert!(
        out.summary
            .contains("8 value(s) are not valid JSON and will be kept as JSON strings"),
        "{out:?}"
    );
    assert_eq!(
        out.lines,
        [
            "not JSON: ''",
            "not JSON: 'a1'",
            "not JSON: 'a2'",
            "not JSON: 'a3'",
            "not JSON: 'a4'"
        ]
    );
    let clean = json_query(&lenient, "Post.tags");
    let out = clean.evaluate(&db.rows(&clean.sql));
    assert!(!out.blocking && out.lines.is_empty(), "{out:?}");
    assert!(out.summary.contains("every value is valid JSON"), "{out:?}");
    // The query can run again in the same session (the helper is created OR REPLACEd).
    let twice = format!("{};\n{}", q.sql, q.sql);
    assert_eq!(db.rows(&twice).len(), 10);

    let (_, strict) = plan_with("[json]\nstrict = true\n");
    let q = json_query(&strict, "Post.meta");
    assert!(q.strict);
    let out = q.evaluate(&db.rows(&q.sql));
    assert!(out.blocking, "{out:?}");
    assert!(out.summary.contains("8 value(s)"), "{out:?}");
    // The verdict matches what applying does: the strict cast fails, the lenient one passes.
    let err = db
        .try_execute(&script_of(&strict))
        .expect_err("the strict cast of invalid JSON must fail");
    assert!(err.contains("json"), "{err}");
    db.try_execute(&script_of(&lenient))
        .expect("the lenient cast keeps invalid JSON as strings");
    let rows = db.rows(r#"SELECT "meta"::text FROM "Post" WHERE "id" IN (2, 4) ORDER BY "id""#);
    assert_eq!(
        rows,
        [
            [Some(r#""not json""#.to_string())],
            [Some(r#""{oops""#.to_string())]
        ]
    );
}

fn script_of(plan: &Plan) -> String {
    schemadiff_render::render_sql(plan, &opts())
}
