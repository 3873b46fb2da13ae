//! Shared helpers of the planner's integration tests: load DSL files, plan, render and run
//! scripts on a throwaway database (mapping keys are resolved by the engine's `Resolver`).
#![allow(dead_code)]

use schemadiff_dsl::NameMap;
use schemadiff_model::Schema;
use schemadiff_plan::{Mapping, Plan, PlanOptions};
use schemadiff_render::{RenderOptions, render_sql};
use schemadiff_testkit::TestDb;
use std::path::Path;

/// A DSL file, lowered; panics with the diagnostics when it has errors.
pub fn load(path: &Path) -> (Schema, NameMap) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let l = schemadiff_dsl::load(&path.display().to_string(), &text);
    assert!(!l.has_errors(), "{}: {:?}", path.display(), l.diagnostics);
    (l.schema, l.names)
}

/// Resolves mapping keys as the command line does (the engine's one resolver).
#[allow(unused_imports)] // not every test binary resolves mapping keys
pub use schemadiff::Resolver;

/// Plans (for the default version: the one snapshots are taken for) and renders the script.
pub fn script(from: &Schema, to: &Schema, mapping: &Mapping) -> (Plan, String) {
    script_for(from, to, mapping, PlanOptions::default().pg_version)
}

/// Plans for PostgreSQL `pg_version` and renders the SQL script.
pub fn script_for(
    from: &Schema,
    to: &Schema,
    mapping: &Mapping,
    pg_version: u32,
) -> (Plan, String) {
    let options = PlanOptions::for_version(pg_version).expect("a supported version");
    let plan = schemadiff_plan::plan_with(from, to, mapping, &options)
        .unwrap_or_else(|e| panic!("plan failed: {e}"));
    let sql = render_sql(&plan, &opts());
    (plan, sql)
}

/// Plans for the test server's version (what runs on it) and renders the SQL script.
pub fn server_script(from: &Schema, to: &Schema, mapping: &Mapping) -> (Plan, String) {
    script_for(from, to, mapping, schemadiff_testkit::server_major())
}

pub fn opts() -> RenderOptions {
    RenderOptions {
        from_label: "from".into(),
        to_label: "to".into(),
        not_managed: None,
    }
}

/// A database created from `schema` with the plan from empty.
pub fn create_db(hint: &str, schema: &Schema) -> TestDb {
    let db = TestDb::create(hint);
    let (_, sql) = server_script(&Schema::empty(), schema, &Mapping::empty());
    db.execute(&sql);
    db
}

/// Every statement parses with sqlparser (PostgreSQL dialect), except the kinds it cannot read.
pub fn assert_parses(plan: &Plan) {
    use sqlparser::dialect::PostgreSqlDialect;
    for s in &plan.steps {
        for st in &s.statements {
            if !st.kind.parsed_by_sqlparser() {
                continue;
            }
            if let Err(e) = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, &st.sql) {
                panic!(
                    "sqlparser cannot parse a generated statement: {e}\n{}",
                    st.sql
                );
            }
        }
    }
}
