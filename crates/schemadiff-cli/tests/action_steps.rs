//! The GitHub Action (`action.yml` at the repository root) without a runner: its `Drift` and
//! `Plan` step scripts are taken from the file and run with bash as the runner would (inputs as
//! environment variables, `GITHUB_OUTPUT` and `RUNNER_TEMP` files, the built binary on `PATH`),
//! against a real database.

mod common;
use common::database_from;
use schemadiff_testkit::workspace_root;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";

/// The `run: |` block of the step named `name`.
fn step_script(name: &str) -> String {
    let text = std::fs::read_to_string(workspace_root().join("action.yml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no step {name} in action.yml"));
    let run = (start..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .unwrap_or_else(|| panic!("step {name} has no run block"));
    let indent = lines[run + 1].len() - lines[run + 1].trim_start().len();
    let mut script = String::new();
    for l in &lines[run + 1..] {
        if !l.trim().is_empty() && l.len() - l.trim_start().len() < indent {
            break;
        }
        script.push_str(l.get(indent..).unwrap_or(""));
        script.push('\n');
    }
    script
}

struct StepRun {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
}

/// Runs a step script the way the runner does (`bash -e -o pipefail`).
fn run_step(name: &str, env: &[(&str, &str)], tag: &str) -> StepRun {
    let tmp = std::env::temp_dir().join(format!("sd-action-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let output_file = tmp.join("output");
    std::fs::write(&output_file, "").unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_schemadiff"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c"])
        .arg(step_script(name))
        .current_dir(workspace_root())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env("GITHUB_OUTPUT", &output_file)
        .env("RUNNER_TEMP", &tmp);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let run = StepRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
    };
    if let Some(f) = run.outputs.get("file")
        && let Ok(md) = std::fs::read_to_string(f)
    {
        // Keep the plan text for the caller before the folder goes.
        std::fs::write(tmp.join("kept.md"), md).unwrap();
    }
    run
}

#[test]
fn the_drift_step_annotates_and_reports_drift() {
    let db = database_from("action_drift", V20);
    let clean = run_step(
        "Drift",
        &[("SD_DB", &db.url), ("SD_SCHEMA", V20), ("SD_FAIL", "true")],
        "drift-clean",
    );
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert_eq!(clean.outputs["drifted"], "false");
    assert!(
        clean
            .stdout
            .contains("::notice title=schemadiff%3A no drift::"),
        "{}",
        clean.stdout
    );

    db.execute(r#"ALTER TABLE "Campaign" ADD COLUMN "budgetNote" text"#);
    let drifted = run_step(
        "Drift",
        &[("SD_DB", &db.url), ("SD_SCHEMA", V20), ("SD_FAIL", "true")],
        "drift-fail",
    );
    assert_eq!(drifted.code, 1, "fail-on-drift fails the step");
    assert_eq!(drifted.outputs["drifted"], "true");
    let text = std::fs::read_to_string(workspace_root().join(V20)).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("model Campaign "))
        .unwrap()
        + 1;
    assert!(
        drifted.stdout.contains(&format!(
            "::error file={V20},line={line},col=1,title=schemadiff%3A schema drift::"
        )),
        "{}",
        drifted.stdout
    );
    let tolerated = run_step(
        "Drift",
        &[("SD_DB", &db.url), ("SD_SCHEMA", V20), ("SD_FAIL", "false")],
        "drift-ok",
    );
    assert_eq!(tolerated.code, 0);
    assert_eq!(tolerated.outputs["drifted"], "true");
    for tag in ["drift-clean", "drift-fail", "drift-ok"] {
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("sd-action-{tag}-{}", std::process::id())),
        );
    }
}

#[test]
fn the_plan_step_writes_the_markdown_comment_and_fails_on_a_refused_plan() {
    let ok = run_step(
        "Plan",
        &[
            ("SD_FROM", V12),
            ("SD_SCHEMA", V20),
            ("SD_MAP", "schemas/v1.2-to-v2.0.toml"),
        ],
        "plan-ok",
    );
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert_eq!(ok.outputs["code"], "0");
    let md =
        std::fs::read_to_string(Path::new(&ok.outputs["file"]).with_file_name("kept.md")).unwrap();
    assert!(md.contains("```sql"), "{md}");
    assert!(
        ok.stdout.contains("::notice title=schemadiff%3A plan::"),
        "{}",
        ok.stdout
    );

    let refused = run_step(
        "Plan",
        &[
            ("SD_FROM", V20),
            ("SD_SCHEMA", V12),
            ("SD_ALLOW", "drop-enum table-rewrite"),
        ],
        "plan-refused",
    );
    assert_eq!(
        refused.code, 0,
        "the comment step still runs: {}",
        refused.stderr
    );
    assert_eq!(refused.outputs["code"], "1");
    assert!(
        refused.stdout.contains("::error file=schemas/"),
        "{}",
        refused.stdout
    );
    let md = std::fs::read_to_string(Path::new(&refused.outputs["file"]).with_file_name("kept.md"))
        .unwrap();
    assert!(md.contains("plan refused"), "{md}");
    for tag in ["plan-ok", "plan-refused"] {
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("sd-action-{tag}-{}", std::process::id())),
        );
    }
}
