//! Fixture tests: every `fixtures/dsl/ok/*.prisma` loads without diagnostics, matches its
//! lowered-model snapshot, formats idempotently and round-trips through the printer; every
//! `fixtures/dsl/err/*.prisma` has at least one error and matches its rendered-diagnostics
//! snapshot. Each fixture is its own test (`ok::<name>`, `err::<name>`; `harness = false`, see
//! `schemadiff_testkit::cases`); `no_orphan_files` fails on an expected file without its
//! `.prisma`.

use schemadiff_testkit::{assert_file, cases, workspace_root};
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

fn ok_case(f: &Path) {
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
}

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

fn err_case(f: &Path) {
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
}

/// A file of `fixtures/dsl/<kind>/` belongs to a case when it is a `.prisma` file or the
/// `expected` snapshot of one.
fn belongs(dir: &Path, rel: &Path, expected: &str) -> bool {
    let name = rel.to_string_lossy();
    if rel.components().count() != 1 {
        return false;
    }
    if name.ends_with(".prisma") {
        return true;
    }
    name.strip_suffix(expected)
        .is_some_and(|stem| dir.join(format!("{stem}prisma")).exists())
}

fn main() {
    let mut trials = Vec::new();
    for (kind, min, run) in [
        ("ok", 12, ok_case as fn(&Path)),
        ("err", 25, err_case as fn(&Path)),
    ] {
        let files = prisma_files(&format!("fixtures/dsl/{kind}"));
        let count = files.len();
        trials.push(cases::trial(format!("{kind}::fixture_count"), move || {
            if count >= min {
                Ok(())
            } else {
                Err(format!(
                    "expected at least {min} {kind} fixtures, found {count}"
                ))
            }
        }));
        for f in files {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            trials.push(cases::trial(format!("{kind}::{name}"), move || {
                run(&f);
                Ok(())
            }));
        }
    }
    trials.push(cases::trial(
        "seed_schemas_validate_format_and_round_trip",
        || {
            seed_schemas_validate_format_and_round_trip();
            Ok(())
        },
    ));
    trials.push(cases::trial("no_orphan_files", || {
        for (kind, expected) in [("ok", "model.txt"), ("err", "stderr")] {
            let dir = workspace_root().join("fixtures/dsl").join(kind);
            cases::no_orphans(
                &dir,
                cases::orphans(&dir, |rel| belongs(&dir, rel, expected)),
            )?;
        }
        Ok(())
    }));
    cases::run(trials);
}
