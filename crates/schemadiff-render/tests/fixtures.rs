//! Every case under fixtures/diff/<case>/ (from.prisma, to.prisma, optional mapping.toml,
//! data.sql, check.sql) on the real PostgreSQL:
//! - plan(x, x) is empty for both sides;
//! - the from → to script is snapshotted in expected.sql and renders identically twice (planned
//!   for the PostgreSQL major version in the case's `pg_version` file, else the default);
//! - every statement parses with sqlparser, except the listed kinds (`SqlKind::DoBlock`);
//! - planned for the test server's version and applied (with every hazard allowed) to a
//!   database created from `from` (plus data.sql), it leaves a catalog identical to a database
//!   created from `to`;
//! - the reverse plan (to → from, no mapping) turns a fresh `to` database into `from`;
//! - check.sql, when present, is run afterwards and its rows snapshotted in check.out;
//! - a case with a `labels-in-any-order` file (only enum labels reordered, which is never
//!   planned) compares catalogs with each enum's labels sorted.
//!
//! Each case is its own test, named after its folder (`harness = false`, see
//! `schemadiff_testkit::cases`); `no_orphan_files` fails on a file that belongs to no case.

mod common;

use common::*;
use schemadiff_plan::{Mapping, PlanOptions};
use schemadiff_testkit::{assert_file, cases, server_major, workspace_root};
use std::path::{Path, PathBuf};

fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("case")
        .to_string();
    let (from, n1) = load(&dir.join("from.prisma"));
    let (to, n2) = load(&dir.join("to.prisma"));
    let mapping = match std::fs::read_to_string(dir.join("mapping.toml")) {
        Ok(text) => Mapping::parse(
            &text,
            &Resolver {
                maps: vec![&n2, &n1],
            },
        )
        .map_err(|e| e.to_string())?,
        Err(_) => Mapping::empty(),
    };
    for (label, s) in [("from", &from), ("to", &to)] {
        let p = schemadiff_plan::plan(s, s, &Mapping::empty()).map_err(|e| e.to_string())?;
        if !p.is_empty() {
            return Err(format!(
                "plan({label}, {label}) is not empty: {:?}",
                p.steps
            ));
        }
    }
    // The snapshot is planned for the case's `pg_version` file (a major version), else for the
    // default version; what runs on the database below is planned for the server's version.
    let snapshot_options = match std::fs::read_to_string(dir.join("pg_version")) {
        Ok(v) => {
            let v: u32 = v.trim().parse().map_err(|e| format!("pg_version: {e}"))?;
            PlanOptions::for_version(v).map_err(|e| e.to_string())?
        }
        Err(_) => PlanOptions::default(),
    };
    let plan = schemadiff_plan::plan_with(&from, &to, &mapping, &snapshot_options)
        .map_err(|e| e.to_string())?;
    let sql = schemadiff_render::render_sql(&plan, &opts());
    let again = schemadiff_render::render_sql(
        &schemadiff_plan::plan_with(&from, &to, &mapping, &snapshot_options)
            .map_err(|e| e.to_string())?,
        &opts(),
    );
    if sql != again {
        return Err("rendering is not deterministic".into());
    }
    let json = schemadiff_render::render_json(&plan, &opts());
    serde_json_check(&json)?;
    assert_parses(&plan);
    assert_file(dir.join("expected.sql"), &sql);

    let server = PlanOptions::for_version(server_major()).map_err(|e| e.to_string())?;
    let run =
        schemadiff_plan::plan_with(&from, &to, &mapping, &server).map_err(|e| e.to_string())?;
    assert_parses(&run);
    let db = create_db(&name, &from);
    if let Ok(data) = std::fs::read_to_string(dir.join("data.sql")) {
        db.try_execute(&data)
            .map_err(|e| format!("data.sql: {e}"))?;
    }
    db.try_execute(&schemadiff_render::render_sql(&run, &opts()))
        .map_err(|e| {
            format!(
                "applying the plan (for PostgreSQL {}) failed: {e}",
                server.pg_version
            )
        })?;
    let fresh = create_db(&format!("{name}_to"), &to);
    // A case with a `labels-in-any-order` file changes only the order of enum labels, which is
    // never planned (docs/planning.md): its catalogs are compared with each enum's labels sorted.
    let any_order = dir.join("labels-in-any-order").exists();
    let dump = |d: &schemadiff_testkit::TestDb| {
        let text = d.schema_dump();
        if any_order {
            sort_enum_labels(&text)
        } else {
            text
        }
    };
    let (a, b) = (dump(&db), dump(&fresh));
    if a != b {
        return Err(format!(
            "catalog after the plan differs from a fresh `to`:\n--- after plan\n{a}\n--- fresh\n{b}"
        ));
    }
    // The reverse plan (no mapping, every hazard allowed) brings a fresh `to` back to `from`.
    let back = schemadiff_plan::plan_with(&to, &from, &Mapping::empty(), &server)
        .map_err(|e| format!("reverse plan: {e}"))?;
    assert_parses(&back);
    let rev = create_db(&format!("{name}_rev"), &to);
    rev.try_execute(&schemadiff_render::render_sql(&back, &opts()))
        .map_err(|e| format!("applying the reverse plan failed: {e}"))?;
    let fresh_from = create_db(&format!("{name}_from"), &from);
    if dump(&rev) != dump(&fresh_from) {
        return Err(format!(
            "catalog after the reverse plan differs from a fresh `from`:\n--- after\n{}\n--- fresh\n{}",
            rev.schema_dump(),
            fresh_from.schema_dump()
        ));
    }
    if let Ok(check) = std::fs::read_to_string(dir.join("check.sql")) {
        let rows: Vec<String> = db
            .rows(&check)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        assert_file(dir.join("check.out"), &(rows.join("\n") + "\n"));
    }
    Ok(())
}

/// `pg_dump` text with the labels of every `CREATE TYPE … AS ENUM (…)` sorted.
fn sort_enum_labels(dump: &str) -> String {
    let mut out = Vec::new();
    let mut labels: Option<Vec<String>> = None;
    for line in dump.lines() {
        match &mut labels {
            Some(l) if line.trim() == ");" => {
                l.sort();
                out.append(l);
                out.push(line.to_string());
                labels = None;
            }
            Some(l) => l.push(line.trim_end_matches(',').to_string()),
            None => {
                out.push(line.to_string());
                if line.starts_with("CREATE TYPE ") && line.ends_with(" AS ENUM (") {
                    labels = Some(Vec::new());
                }
            }
        }
    }
    out.join("\n")
}

fn serde_json_check(json: &str) -> Result<(), String> {
    if json.trim_start().starts_with('{') && json.contains("\"steps\"") {
        Ok(())
    } else {
        Err(format!("render_json gave no plan object: {json}"))
    }
}

/// The files a case may hold; `check.out` only next to a `check.sql`.
const CASE_FILES: [&str; 8] = [
    "from.prisma",
    "to.prisma",
    "mapping.toml",
    "data.sql",
    "check.sql",
    "expected.sql",
    "pg_version",
    "labels-in-any-order",
];

fn belongs(root: &Path, rel: &Path) -> bool {
    let (Some(case), Some(file)) = (rel.parent(), rel.file_name().and_then(|f| f.to_str())) else {
        return false;
    };
    let dir = root.join(case);
    case.components().count() == 1
        && dir.join("from.prisma").exists()
        && (CASE_FILES.contains(&file) || (file == "check.out" && dir.join("check.sql").exists()))
}

fn main() {
    let root = workspace_root().join("fixtures/diff");
    let dirs: Vec<PathBuf> = cases::entries(&root)
        .into_iter()
        .filter(|p| p.join("from.prisma").exists())
        .collect();
    let mut trials = Vec::new();
    for d in &dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        let d = d.clone();
        trials.push(cases::trial(name, move || run_case(&d)));
    }
    let count = dirs.len();
    trials.push(cases::trial("fixture_count", move || {
        if count >= 40 {
            Ok(())
        } else {
            Err(format!("expected at least 40 cases, found {count}"))
        }
    }));
    trials.push(cases::trial("no_orphan_files", move || {
        cases::no_orphans(&root, cases::orphans(&root, |rel| belongs(&root, rel)))
    }));
    cases::run(trials);
}
