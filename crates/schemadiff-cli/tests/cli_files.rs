//! The file commands through the binary: validate, fmt, plan (no database involved).

mod common;
use common::schemadiff;
use schemadiff_testkit::{assert_file, workspace_root};

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";
const MAP: &str = "schemas/v1.2-to-v2.0.toml";

#[test]
fn seed_schemas_validate_and_are_formatted() {
    schemadiff(&["validate", V12, V20]).expect_code(0);
    schemadiff(&["fmt", "--check", V12, V20]).expect_code(0);
}

#[test]
fn validate_prints_diagnostics_exactly_like_the_fixture() {
    let dir = workspace_root().join("fixtures/dsl/err");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/dsl/err") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "prisma") {
            continue;
        }
        let rel = format!(
            "fixtures/dsl/err/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let run = schemadiff(&["validate", &rel]).expect_code(1);
        assert_file(path.with_extension("stderr"), &run.stderr);
        checked += 1;
    }
    assert!(
        checked >= 25,
        "expected at least 25 error fixtures, found {checked}"
    );
}

#[test]
fn fmt_check_fails_on_unformatted_file_and_fmt_fixes_it() {
    let dir = tempdir("fmt");
    let file = dir.join("s.prisma");
    std::fs::write(&file, "model A {\nid Int @id\n  name    String\n}\n").unwrap();
    let f = file.to_str().unwrap();
    let run = schemadiff(&["fmt", "--check", f]).expect_code(1);
    assert!(
        run.stderr.contains("would be reformatted"),
        "{}",
        run.stderr
    );
    schemadiff(&["fmt", f]).expect_code(0);
    schemadiff(&["fmt", "--check", f]).expect_code(0);
    schemadiff(&["validate", f]).expect_code(0);
}

#[test]
fn seed_plan_is_the_reviewed_script_and_is_stable() {
    let a = schemadiff(&["plan", "--from", V12, "--to", V20, "--map", MAP]).expect_code(0);
    let b = schemadiff(&["plan", "--from", V12, "--to", V20, "--map", MAP]).expect_code(0);
    assert_eq!(a.stdout, b.stdout, "plan output must be deterministic");
    // The reviewed script is fixtures/seed/upgrade.sql (the library test renders it with the
    // labels `from` and `to`); the CLI names the files in the header and prints the rest as is.
    let header = format!("-- schemadiff plan: {V12} -> {V20}\n");
    let body = a
        .stdout
        .strip_prefix(&header)
        .unwrap_or_else(|| panic!("the header should name the files:\n{}", a.stdout));
    assert_file(
        workspace_root().join("fixtures/seed/upgrade.sql"),
        &format!("-- schemadiff plan: from -> to\n{body}"),
    );
    assert!(
        a.stderr.contains("completed"),
        "the overriding mapping 'completed' → SUCCESS must be warned about:\n{}",
        a.stderr
    );
}

#[test]
fn seed_plan_json_and_markdown() {
    let json = schemadiff(&[
        "plan", "--from", V12, "--to", V20, "--map", MAP, "--format", "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    assert!(
        v["steps"].as_array().is_some_and(|s| !s.is_empty()),
        "{}",
        json.stdout
    );
    assert!(
        v["hazards"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["code"] == "duplicate-index")),
        "{}",
        json.stdout
    );
    let md = schemadiff(&[
        "plan", "--from", V12, "--to", V20, "--map", MAP, "--format", "markdown",
    ])
    .expect_code(0);
    assert!(
        md.stdout.contains("<details>") && md.stdout.contains("```sql"),
        "{}",
        md.stdout
    );
}

#[test]
fn plan_writes_to_out_file() {
    let dir = tempdir("out");
    let out = dir.join("plan.sql");
    let run = schemadiff(&[
        "plan",
        "--from",
        "empty",
        "--to",
        V20,
        "--out",
        out.to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(run.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("CREATE TABLE")
    );
}

#[test]
fn rollback_refuses_data_loss_unless_allowed() {
    let refused = schemadiff(&["plan", "--from", V20, "--to", V12]).expect_code(1);
    assert!(
        refused.stderr.contains("--allow-hazard drop-table"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "a refused plan writes no SQL");
    let allowed = schemadiff(&[
        "plan",
        "--from",
        V20,
        "--to",
        V12,
        "--allow-hazard",
        "drop-table",
        "--allow-hazard",
        "drop-column",
    ])
    .expect_code(0);
    assert!(allowed.stdout.contains("DROP TABLE"));
    schemadiff(&["plan", "--from", V20, "--to", V12, "--allow-hazard", "all"]).expect_code(0);
}

#[test]
fn bad_inputs_exit_1_with_a_message() {
    let run = schemadiff(&["plan", "--from", "schemas/nope.prisma", "--to", V20]).expect_code(1);
    assert!(run.stderr.contains("nope.prisma"), "{}", run.stderr);
    let run = schemadiff(&[
        "plan",
        "--from",
        "fixtures/dsl/err/unknown-type.prisma",
        "--to",
        V20,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let dir = tempdir("badmap");
    let map = dir.join("m.toml");
    std::fs::write(
        &map,
        "[values.Campaign.platform]\n\"x\" = \"NOT_A_VALUE\"\n",
    )
    .unwrap();
    let run = schemadiff(&[
        "plan",
        "--from",
        V12,
        "--to",
        V20,
        "--map",
        map.to_str().unwrap(),
    ])
    .expect_code(1);
    assert!(run.stderr.contains("NOT_A_VALUE"), "{}", run.stderr);
    // A usage error is 1 too: 2 is `drift`'s "drifted".
    schemadiff(&["validate"]).expect_code(1);
}

#[test]
fn plan_from_to_same_schema_is_empty() {
    let run = schemadiff(&["plan", "--from", V20, "--to", V20, "--format", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["steps"].as_array().map(Vec::len),
        Some(0),
        "{}",
        run.stdout
    );
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("schemadiff-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_prisma_migrations_folder_is_a_source() {
    let dir = "fixtures/sqlfile/prisma_app/migrations";
    let run = schemadiff(&[
        "plan",
        "--from",
        dir,
        "--to",
        "fixtures/sqlfile/prisma_app/schema.prisma",
        "--format",
        "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["steps"].as_array().map(Vec::len),
        Some(0),
        "the migrations produce the schema:\n{}",
        run.stdout
    );
    let run = schemadiff(&["plan", "--from", dir, "--to", V20]);
    assert_eq!(
        run.code, 1,
        "dropping the app's tables must be refused:\n{}",
        run.stderr
    );
}

#[test]
fn statements_that_cannot_be_modelled_are_reported() {
    let src = "fixtures/sqlfile/unsupported";
    let run = schemadiff(&["plan", "--from", src, "--to", src]).expect_code(0);
    for needle in ["view adults", "trigger", "COMMENT", "partial index"] {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` must be reported:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stdout.contains("does not manage"),
        "the SQL output lists them too:\n{}",
        run.stdout
    );
    let json = schemadiff(&["plan", "--from", src, "--to", src, "--format", "json"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let listed = v["not_managed"].as_array().expect("not_managed array");
    assert!(
        listed
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("view adults"))),
        "{}",
        json.stdout
    );
    let unique: std::collections::BTreeSet<String> = listed.iter().map(|n| n.to_string()).collect();
    assert_eq!(unique.len(), listed.len(), "each object is listed once");
    let md =
        schemadiff(&["plan", "--from", src, "--to", src, "--format", "markdown"]).expect_code(0);
    assert!(
        md.stdout.contains("Not managed") && md.stdout.contains("view adults"),
        "{}",
        md.stdout
    );
    let plain = schemadiff(&[
        "plan",
        "--from",
        "schemas/v1.2.prisma",
        "--to",
        V20,
        "--map",
        MAP,
        "--format",
        "json",
    ])
    .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&plain.stdout).unwrap();
    assert_eq!(
        v["not_managed"],
        serde_json::json!([]),
        "always present, empty for schema files"
    );
}

#[test]
fn plan_takes_pg_version_and_refuses_versions_below_13() {
    let default = schemadiff(&["plan", "--from", V12, "--to", V20, "--map", MAP]).expect_code(0);
    assert!(
        default.stdout.contains("\n-- planned for PostgreSQL 13\n"),
        "{}",
        default.stdout
    );
    assert!(default.stdout.contains("pg_temp.schemadiff_text_to_jsonb"));
    let v16 = schemadiff(&[
        "plan",
        "--from",
        V12,
        "--to",
        V20,
        "--map",
        MAP,
        "--pg-version",
        "16",
    ])
    .expect_code(0);
    assert!(v16.stdout.contains("\n-- planned for PostgreSQL 16\n"));
    assert!(
        !v16.stdout.contains("schemadiff_text_to_jsonb"),
        "{}",
        v16.stdout
    );
    assert!(v16.stdout.contains("pg_input_is_valid"));
    let old =
        schemadiff(&["plan", "--from", V12, "--to", V20, "--pg-version", "12"]).expect_code(1);
    assert!(
        old.stderr.contains(
            "unsupported PostgreSQL version `12`; valid versions: 13, 14, 15, 16, 17, 18"
        ),
        "{}",
        old.stderr
    );
    assert!(old.stdout.is_empty());
}
