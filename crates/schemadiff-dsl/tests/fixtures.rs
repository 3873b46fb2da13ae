//! Fixture tests: every `fixtures/dsl/ok/*.prisma` loads without diagnostics, matches its
//! lowered-model snapshot, formats idempotently and round-trips through the printer; every
//! `fixtures/dsl/err/*.prisma` has at least one error and matches its rendered-diagnostics
//! snapshot. Failures are collected so one run reports every broken fixture.

use schemadiff_testkit::{assert_file, workspace_root};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn prisma_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_root().join(dir))
        .expect("fixture directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "prisma"))
        .collect();
    files.sort();
    files
}

fn run_all(files: &[PathBuf], check: impl Fn(&Path)) {
    let mut failures = Vec::new();
    for f in files {
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| check(f))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn roundtrip(path: &str, text: &str) {
    let first = schemadiff_dsl::load(path, text);
    let printed = schemadiff_dsl::print_schema(&first.schema);
    let second = schemadiff_dsl::load("printed.prisma", &printed);
    let errors: Vec<_> = second.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(
        errors.is_empty(),
        "printed text of {path} does not validate: {errors:#?}\n{printed}"
    );
    assert_eq!(
        second.schema, first.schema,
        "print/load round trip changed the model of {path}:\n{printed}"
    );
    assert_eq!(
        schemadiff_dsl::format(&printed).as_deref(),
        Ok(printed.as_str()),
        "printed text is not formatted"
    );
}

#[test]
fn ok_fixtures() {
    let files = prisma_files("fixtures/dsl/ok");
    assert!(files.len() >= 12, "expected at least 12 ok fixtures");
    run_all(&files, |f| {
        let text = std::fs::read_to_string(f).expect("read fixture");
        let rel = f
            .strip_prefix(workspace_root())
            .unwrap_or(f)
            .display()
            .to_string();
        let lowered = schemadiff_dsl::load(&rel, &text);
        assert!(
            lowered.diagnostics.is_empty(),
            "unexpected diagnostics:\n{}",
            schemadiff_dsl::render_diagnostics(&lowered.diagnostics, &rel, &text, false)
        );
        assert_file(
            f.with_extension("model.txt"),
            &format!("{:#?}\n", lowered.schema),
        );
        let once = schemadiff_dsl::format(&text).expect("formats");
        let twice = schemadiff_dsl::format(&once).expect("formats again");
        assert_eq!(once, twice, "format is not idempotent");
        assert_eq!(once, text, "fixture is not in canonical format");
        roundtrip(&rel, &text);
    });
}

#[test]
fn seed_schemas_validate_format_and_round_trip() {
    for name in ["schemas/v1.2.prisma", "schemas/v2.0.prisma"] {
        let text = std::fs::read_to_string(workspace_root().join(name)).expect("read schema");
        let lowered = schemadiff_dsl::load(name, &text);
        assert!(
            !lowered.has_errors(),
            "{}",
            schemadiff_dsl::render_diagnostics(&lowered.diagnostics, name, &text, false)
        );
        assert_eq!(
            schemadiff_dsl::format(&text).as_deref(),
            Ok(text.as_str()),
            "{name} is not formatted"
        );
        roundtrip(name, &text);
    }
    // v2.0 keeps `@@index([email])` beside `email @unique`: flagged, as a warning.
    let v2 = std::fs::read_to_string(workspace_root().join("schemas/v2.0.prisma")).expect("read");
    let codes: Vec<&str> = schemadiff_dsl::load("v2.0", &v2)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["redundant-index"]);
}

#[test]
fn err_fixtures() {
    let files = prisma_files("fixtures/dsl/err");
    assert!(files.len() >= 25, "expected at least 25 error fixtures");
    run_all(&files, |f| {
        let text = std::fs::read_to_string(f).expect("read fixture");
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rel = format!("fixtures/dsl/err/{name}");
        let lowered = schemadiff_dsl::load(&rel, &text);
        assert!(lowered.has_errors(), "expected at least one error");
        let rendered = schemadiff_dsl::render_diagnostics(&lowered.diagnostics, &rel, &text, false);
        for rule in [
            "Rule::",
            "field_line",
            "error_line",
            "key_value_line",
            "top_error",
            "field_attribute",
            "EOI",
        ] {
            assert!(
                !rendered.contains(rule),
                "internal rule name `{rule}` leaked"
            );
        }
        assert_file(f.with_extension("stderr"), &rendered);
    });
}
