//! Tidy check: the crate graph points one way (docs/ARCHITECTURE.md, "Code map").
//!
//! `cargo metadata` gives every workspace crate's dependencies on other workspace crates; each
//! edge must be allowed by [`RULES`]. A new crate gets one line there (its kind and what it may
//! depend on); a crate may only depend on crates listed above it, so the graph has no cycle and
//! every edge points up the table. Unused dependencies are found by `cargo machete` in `.ci/run`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A pipeline stage or the engine: may be a dependency of anything below it.
    Library,
    /// Ships a binary for users: nothing depends on it.
    Binary,
    /// Test support and tooling: never a normal dependency of a library or binary; only the
    /// test kit may be a dev-dependency.
    Tooling,
}
use Kind::*;

const MODEL: &str = "schemadiff-model";
const DSL: &str = "schemadiff-dsl";
const DIFF: &str = "schemadiff-diff";
const PLAN: &str = "schemadiff-plan";
const SQL: &str = "schemadiff-render";
const SQLFILE: &str = "schemadiff-sqlfile";
const POSTGRES: &str = "schemadiff-postgres";
const TESTKIT: &str = "schemadiff-testkit";
const ENGINE: &str = "schemadiff";

/// Every workspace crate, in dependency order: its kind and the workspace crates it may have
/// as normal or build dependencies (each listed above it). Dev-dependencies may name any
/// library above it and the test kit.
const RULES: &[(&str, Kind, &[&str])] = &[
    (TESTKIT, Tooling, &[]),
    (MODEL, Library, &[]),
    (DSL, Library, &[MODEL]),
    (DIFF, Library, &[MODEL]),
    (PLAN, Library, &[MODEL, DIFF]),
    (SQLFILE, Library, &[MODEL]),
    (POSTGRES, Library, &[MODEL]),
    // The engine composes the stages. It is listed above SQL (and may not depend on it:
    // rendering is SQL's job) because SQL's tests resolve mapping keys with the engine's
    // `Resolver` (a dev-dependency).
    (
        ENGINE,
        Library,
        &[MODEL, DSL, DIFF, PLAN, SQLFILE, POSTGRES],
    ),
    (SQL, Library, &[MODEL, DIFF, PLAN]),
    // The command line reaches the stages through the engine; it still names the ones whose
    // types it prints or parses (DSL formatting, plan hazards, SQL rendering, connections).
    (
        "schemadiff-cli",
        Binary,
        &[ENGINE, MODEL, DSL, PLAN, SQL, POSTGRES],
    ),
    // Benchmarks: run the engine and the stages on generated schemas.
    (
        "schemadiff-bench",
        Tooling,
        &[TESTKIT, ENGINE, MODEL, DSL, PLAN, SQL, POSTGRES],
    ),
    ("schemadiff-roundtrip", Tooling, &[MODEL, DSL]),
    // The corpus runner: scratch database names from the test kit.
    ("schemadiff-corpus", Tooling, &[TESTKIT]),
];

/// One dependency of a workspace crate on another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    /// `normal`, `dev` or `build`.
    kind: String,
}

/// Every broken rule, one line each.
fn violations(
    members: &BTreeSet<String>,
    edges: &[Edge],
    rules: &[(&str, Kind, &[&str])],
) -> Vec<String> {
    let mut out = Vec::new();
    let position: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
    for (i, (name, _, allowed)) in rules.iter().enumerate() {
        if !members.contains(*name) {
            out.push(format!(
                "RULES names `{name}`, which is not a workspace crate: remove its line"
            ));
        }
        for a in *allowed {
            if position.get(a).is_none_or(|&j| j >= i) {
                out.push(format!(
                    "RULES: `{name}` may depend on `{a}`, which is not listed above it"
                ));
            }
        }
    }
    for m in members {
        if !position.contains_key(m.as_str()) {
            out.push(format!(
                "`{m}` has no line in RULES (tests/tidy.rs): add one with its kind and allowed dependencies"
            ));
        }
    }
    for e in edges {
        let (Some(&i), Some(&j)) = (position.get(e.from.as_str()), position.get(e.to.as_str()))
        else {
            continue;
        };
        let (_, from_kind, allowed) = rules[i];
        let (_, to_kind, _) = rules[j];
        let ok = match e.kind.as_str() {
            "dev" => j < i && (to_kind == Library || e.to == TESTKIT),
            _ => allowed.contains(&e.to.as_str()) && !(from_kind != Tooling && to_kind == Tooling),
        };
        if !ok {
            out.push(format!(
                "forbidden {} dependency `{}` → `{}` (docs/ARCHITECTURE.md, \"Code map\")",
                e.kind, e.from, e.to
            ));
        }
    }
    out
}

/// The workspace crates and the edges between them, from `cargo metadata`.
fn workspace_graph() -> (BTreeSet<String>, Vec<Edge>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(schemadiff_testkit::workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let mut edges = Vec::new();
    for p in packages {
        let from = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let to = d["name"].as_str().unwrap_or_default();
            if members.contains(to) {
                edges.push(Edge {
                    from: from.to_string(),
                    to: to.to_string(),
                    kind: d["kind"].as_str().unwrap_or("normal").to_string(),
                });
            }
        }
    }
    edges.sort();
    edges.dedup();
    (members, edges)
}

#[test]
fn the_crate_graph_points_one_way() {
    let (members, edges) = workspace_graph();
    assert!(
        members.len() >= 10,
        "cargo metadata listed only {members:?}"
    );
    assert!(
        edges
            .iter()
            .any(|e| e.from == "schemadiff-plan" && e.to == MODEL),
        "the graph misses known edges: {edges:?}"
    );
    let v = violations(&members, &edges, RULES);
    assert!(v.is_empty(), "{} problem(s):\n{}", v.len(), v.join("\n"));
}

/// The check fails on each kind of forbidden edge and on a crate without a rule.
#[test]
fn the_check_reports_forbidden_edges() {
    let members: BTreeSet<String> = RULES.iter().map(|r| r.0.to_string()).collect();
    let edge = |from: &str, to: &str, kind: &str| Edge {
        from: from.into(),
        to: to.into(),
        kind: kind.into(),
    };
    let bad = [
        edge(MODEL, PLAN, "normal"),              // a stage on one to its right
        edge(PLAN, SQL, "normal"),                // pointing back down the pipeline
        edge(SQL, TESTKIT, "normal"),             // the test kit outside dev-dependencies
        edge(SQL, "schemadiff-cli", "dev"),       // depending on a binary
        edge(DSL, "schemadiff-roundtrip", "dev"), // depending on tooling
        edge("schemadiff-cli", "schemadiff-corpus", "build"),
    ];
    for e in &bad {
        let v = violations(&members, std::slice::from_ref(e), RULES);
        assert_eq!(v.len(), 1, "{e:?} gave {v:?}");
        assert!(v[0].contains("forbidden"), "{v:?}");
    }
    let good = [
        edge(SQL, PLAN, "normal"),
        edge(SQL, DSL, "dev"),
        edge(DSL, TESTKIT, "dev"),
    ];
    assert!(violations(&members, &good, RULES).is_empty());
    let mut more = members.clone();
    more.insert("schemadiff-new".into());
    let v = violations(&more, &[], RULES);
    assert!(v.len() == 1 && v[0].contains("no line in RULES"), "{v:?}");
    let cyclic: &[(&str, Kind, &[&str])] = &[(MODEL, Library, &[DSL]), (DSL, Library, &[MODEL])];
    let two: BTreeSet<String> = [MODEL.to_string(), DSL.to_string()].into();
    assert!(
        violations(&two, &[], cyclic)
            .iter()
            .any(|v| v.contains("not listed above")),
        "a rule pointing down the table is refused"
    );
}
