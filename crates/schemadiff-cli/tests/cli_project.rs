//! A project as a team sets it up: `schemadiff.toml`, the schema found where Prisma finds it,
//! GitHub annotations, completions, the man page, `--version`, and the JSON outputs checked
//! against their published schemas (docs/schema/), through the real binary.

mod common;
use common::{database_from, schemadiff};
use schemadiff_testkit::workspace_root;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const V12: &str = "schemas/v1.2.prisma";
const V20: &str = "schemas/v2.0.prisma";

/// A scratch project folder (a `.git` folder marks it as a repository root, so the search for
/// `schemadiff.toml` stops there), removed on drop.
struct Project(PathBuf);

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("sd-project-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        Project(dir)
    }

    fn write(&self, rel: &str, text: &str) -> &Project {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    fn copy(&self, from_workspace: &str, rel: &str) -> &Project {
        let text = std::fs::read_to_string(workspace_root().join(from_workspace)).unwrap();
        self.write(rel, &text)
    }

    /// Runs `schemadiff ARGS` in the project folder.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> common::Run {
        run_in(&self.0, args, env)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemadiff"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run schemadiff");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_prisma_project_needs_no_schema_flag() {
    let p = Project::new("prisma-default");
    p.copy(V20, "prisma/schema.prisma");
    let plan = p.run(&["plan", "--from", "empty"], &[]).expect_code(0);
    assert!(
        plan.stdout.contains("CREATE TABLE \"public\".\"Tenant\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("prisma/schema.prisma"),
        "the header names the found schema"
    );
    p.run(&["validate"], &[]).expect_code(0);

    // The migrations folder is the default --from: the plan from the first migration (v1.2
    // written by schemadiff itself) to the schema is the upgrade.
    let v12_sql = schemadiff(&["plan", "--from", "empty", "--to", V12])
        .expect_code(0)
        .stdout;
    p.write("prisma/migrations/0_init/migration.sql", &v12_sql);
    let upgrade = p
        .run(&["plan", "--allow-hazard", "all"], &[])
        .expect_code(0);
    assert!(
        upgrade
            .stdout
            .contains("ALTER TABLE \"public\".\"Campaign\""),
        "{}",
        upgrade.stdout
    );
    assert!(
        !upgrade
            .stdout
            .contains("CREATE TABLE \"public\".\"Tenant\"")
    );
}

#[test]
fn prisma_config_package_json_and_the_schema_folder_are_followed() {
    let p = Project::new("prisma-config");
    p.copy(V12, "db/old.prisma");
    p.copy(V20, "prisma/schema/main.prisma");
    // The prisma/schema/ folder (multi-file schema).
    let run = p.run(&["plan", "--from", "empty"], &[]).expect_code(0);
    assert!(run.stdout.contains("prisma/schema"), "{}", run.stdout);
    // package.json wins over the default locations.
    p.write(
        "package.json",
        r#"{"name": "app", "prisma": {"schema": "db/old.prisma"}}"#,
    );
    let run = p
        .run(&["plan", "--from", "empty", "--format", "json"], &[])
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        v["to"].as_str().unwrap().ends_with("db/old.prisma"),
        "{}",
        v["to"]
    );
    // prisma.config.ts with a plain string wins over package.json.
    p.write(
        "prisma.config.ts",
        "import { defineConfig } from 'prisma/config'\n// schema: 'db/old.prisma'\nexport default defineConfig({\n  schema: 'prisma/schema/main.prisma',\n})\n",
    );
    let run = p
        .run(&["plan", "--from", "empty", "--format", "json"], &[])
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        v["to"]
            .as_str()
            .unwrap()
            .ends_with("prisma/schema/main.prisma"),
        "{}",
        v["to"]
    );
    // Anything but a plain string is refused with a message asking for the flag; the flag works.
    p.write(
        "prisma.config.ts",
        "import path from 'node:path'\nexport default { schema: path.join('prisma', 'schema') }\n",
    );
    let run = p.run(&["plan", "--from", "empty"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("prisma.config.ts")
            && run.stderr.contains("not a plain string")
            && run.stderr.contains("`--to`"),
        "{}",
        run.stderr
    );
    p.run(&["plan", "--from", "empty", "--to", "db/old.prisma"], &[])
        .expect_code(0);
}

#[test]
fn no_schema_anywhere_says_which_flag_to_pass() {
    let p = Project::new("no-schema");
    let run = p.run(&["plan", "--from", "empty"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("no schema given: pass --to"),
        "{}",
        run.stderr
    );
    let run = p.run(&["drift"], &[]).expect_code(1);
    assert!(run.stderr.contains("pass --schema"), "{}", run.stderr);
    let run = p.run(&["validate"], &[]).expect_code(1);
    assert!(run.stderr.contains("pass FILE"), "{}", run.stderr);
    p.write("prisma/schema.prisma", "model A { id Int @id }\n");
    let run = p.run(&["plan"], &[]).expect_code(1);
    assert!(run.stderr.contains("no --from"), "{}", run.stderr);
}

#[test]
fn the_config_file_sets_defaults_and_flags_override_it() {
    let p = Project::new("config");
    p.copy(V20, "schema/app.prisma")
        .copy(V12, "schema/old.prisma")
        .copy("schemas/v1.2-to-v2.0.toml", "mapping.toml");
    // Found from a subfolder, paths relative to the file.
    p.write(
        "schemadiff.toml",
        "schema = \"schema/app.prisma\"\nmapping = \"mapping.toml\"\nallow_hazards = [\"table-rewrite\"]\n\n[online]\nbatch_size = 1000\n",
    );
    std::fs::create_dir_all(p.0.join("sub/dir")).unwrap();
    let run = run_in(
        &p.0.join("sub/dir"),
        &["plan", "--from", "../../schema/old.prisma"],
        &[],
    )
    .expect_code(0);
    assert!(
        run.stdout.contains("'Google Ads'"),
        "the config's mapping file is used"
    );
    // A flag overrides the config: this mapping file does not exist.
    let run = p
        .run(
            &[
                "plan",
                "--from",
                "schema/old.prisma",
                "--map",
                "missing.toml",
            ],
            &[],
        )
        .expect_code(1);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
    // The config's allowed hazards: dropping the v2.0 tables is refused, then allowed.
    let back = [
        "plan",
        "--from",
        "schema/app.prisma",
        "--to",
        "schema/old.prisma",
    ];
    let config_with =
        |hazards: &str| format!("schema = \"schema/app.prisma\"\nallow_hazards = [{hazards}]\n");
    p.write("schemadiff.toml", &config_with("\"drop-enum\""));
    p.run(&back, &[]).expect_code(1);
    p.write("schemadiff.toml", &config_with("\"all\""));
    p.run(&back, &[]).expect_code(0);
    // --allow-hazard replaces the config's list.
    let mut narrowed = back.to_vec();
    narrowed.extend(["--allow-hazard", "drop-enum"]);
    let run = p.run(&narrowed, &[]).expect_code(1);
    assert!(run.stderr.contains("error[drop-table]"), "{}", run.stderr);
    // --config names another file.
    p.write("other.toml", "schema = \"schema/old.prisma\"\n");
    let run = p
        .run(
            &[
                "--config",
                "other.toml",
                "plan",
                "--from",
                "empty",
                "--format",
                "json",
            ],
            &[],
        )
        .expect_code(0);
    assert!(run.stdout.contains("schema/old.prisma"));
    // `[online] batch_size` is the default of --batch-size; the flag overrides it.
    p.write(
        "schemadiff.toml",
        "schema = \"schema/app.prisma\"\nmapping = \"mapping.toml\"\n\n[online]\nbatch_size = 7\n",
    );
    let online = ["plan", "--online", "--from", "schema/old.prisma"];
    let run = p.run(&online, &[]).expect_code(0);
    assert!(
        run.stdout.contains("in batches of 7 rows"),
        "{}",
        run.stdout
    );
    let mut flagged = online.to_vec();
    flagged.extend(["--batch-size", "3"]);
    let run = p.run(&flagged, &[]).expect_code(0);
    assert!(
        run.stdout.contains("in batches of 3 rows"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("in batches of 7 rows"));
}

#[test]
fn a_bad_config_file_is_a_clear_error() {
    let p = Project::new("bad-config");
    p.write("prisma/schema.prisma", "model A { id Int @id }\n");
    for (text, expected) in [
        (
            "migration = \"m\"",
            "unknown key `migration` (did you mean `migrations`?)",
        ),
        (
            "[online]\nbatchsize = 5",
            "unknown key `online.batchsize` (did you mean `batch_size`?)",
        ),
        (
            "allow_hazards = [\"drop-colum\"]",
            "(did you mean `drop-column`?)",
        ),
        (
            "lock_timeout = \"5 parsecs\"",
            "`lock_timeout`: `5 parsecs` is not a duration",
        ),
        ("schema = [", "config file"),
    ] {
        p.write("schemadiff.toml", text);
        let run = p.run(&["plan", "--from", "empty"], &[]).expect_code(1);
        assert!(run.stderr.contains(expected), "{text}: {}", run.stderr);
        assert!(run.stderr.contains("schemadiff.toml"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    let run = p
        .run(&["--config", "nope.toml", "validate"], &[])
        .expect_code(1);
    assert!(
        run.stderr.contains("cannot read config file nope.toml"),
        "{}",
        run.stderr
    );
    let help = p.run(&["apply", "--help"], &[]).expect_code(0);
    assert!(
        help.stdout.contains("schemadiff.toml `lock_timeout`"),
        "{}",
        help.stdout
    );
    let help = p.run(&["--help"], &[]).expect_code(0);
    assert!(
        help.stdout.contains("every flag overrides it"),
        "{}",
        help.stdout
    );
}

#[test]
fn drift_reads_the_url_from_the_variable_the_config_names() {
    let db = database_from("project_drift", V20);
    let p = Project::new("drift-env");
    p.copy(V20, "prisma/schema.prisma");
    p.write("schemadiff.toml", "database_url_env = \"APP_DB_URL\"\n");
    let run = p
        .run(&["drift", "--format", "json"], &[("APP_DB_URL", &db.url)])
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["drifted"], false);
    assert_json_schema("drift", &v);
    // Without the variable there is no database to compare with.
    p.run(&["drift"], &[]).expect_code(1);
}

#[test]
fn validate_and_plan_emit_annotations_with_file_and_line() {
    let p = Project::new("github");
    p.write(
        "prisma/schema.prisma",
        "model User {\n  id   Int @id\n  name Strin\n}\n",
    );
    let run = p
        .run(&["validate", "--format", "github"], &[])
        .expect_code(1);
    assert_eq!(
        run.stdout.trim_end(),
        "::error file=./prisma/schema.prisma,line=3,col=8,title=schemadiff%3A unknown-type::type `Strin` is neither a scalar type nor a declared model or enum%0Ahelp: did you mean `String`?"
    );
    // plan: the refused drop of v2.0's tables points at the model in the source file.
    let run =
        schemadiff(&["plan", "--from", V20, "--to", V12, "--format", "github"]).expect_code(1);
    let text = std::fs::read_to_string(workspace_root().join(V20)).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("model Notification "))
        .unwrap()
        + 1;
    let expected = format!(
        "::error file={V20},line={line},col=1,title=schemadiff%3A drop-table::table Notification is dropped with all its rows"
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&expected)),
        "{expected}\n{}",
        run.stdout
    );
    for l in run.stdout.lines() {
        assert!(l.starts_with("::"), "every line is a workflow command: {l}");
    }
    // Allowed hazards are warnings and the plan is made.
    let run = schemadiff(&[
        "plan",
        "--from",
        V20,
        "--to",
        V12,
        "--format",
        "github",
        "--allow-hazard",
        "all",
    ])
    .expect_code(0);
    assert!(
        run.stdout
            .contains("::warning file=schemas/v2.0.prisma,line=")
    );
    assert!(!run.stdout.contains("::error"));
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    for (shell, marker) in [
        ("bash", "_schemadiff()"),
        ("zsh", "#compdef schemadiff"),
        ("fish", "complete -c schemadiff"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[schemadiff]"),
    ] {
        let run = schemadiff(&["completions", shell]).expect_code(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for sub in ["plan", "drift", "allow-hazard", "config"] {
            assert!(run.stdout.contains(sub), "{shell} completes {sub}");
        }
    }
    schemadiff(&["completions", "tcsh"]).expect_code(1);
    let man = schemadiff(&["man"]).expect_code(0);
    assert!(man.stdout.contains(".TH schemadiff 1"), "{}", man.stdout);
    assert!(
        man.stdout.contains("schemadiff\\-plan"),
        "subcommands listed"
    );
    let dir = std::env::temp_dir().join(format!("sd-man-{}", std::process::id()));
    schemadiff(&["man", "--out-dir", dir.to_str().unwrap()]).expect_code(0);
    for page in ["schemadiff.1", "schemadiff-plan.1", "schemadiff-drift.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn version_names_the_commit_in_a_git_checkout() {
    let run = schemadiff(&["--version"]).expect_code(0);
    let version = env!("CARGO_PKG_VERSION");
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(workspace_root())
        .output();
    match git {
        Ok(o) if o.status.success() => {
            let head = String::from_utf8_lossy(&o.stdout).trim().to_string();
            // The binary was built at some commit of this checkout: its short hash is a
            // prefix-length hex string; at HEAD it is HEAD's.
            let line = run.stdout.trim();
            assert!(
                line.starts_with(&format!("schemadiff {version} (")),
                "{line}"
            );
            let commit = line
                .trim_start_matches(&format!("schemadiff {version} ("))
                .trim_end_matches(')');
            assert!(
                commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
            let known = Command::new("git")
                .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
                .current_dir(workspace_root())
                .status()
                .unwrap();
            assert!(
                known.success(),
                "{commit} is a commit of this repository (HEAD {head})"
            );
        }
        _ => assert_eq!(run.stdout.trim(), format!("schemadiff {version}")),
    }
}

/// Validates `value` against `docs/schema/NAME.schema.json`.
fn assert_json_schema(name: &str, value: &serde_json::Value) {
    let path = workspace_root().join(format!("docs/schema/{name}.schema.json"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
    assert_eq!(value["version"], 1);
}

#[test]
fn json_outputs_match_their_published_schemas() {
    // plan: the seed upgrade (mappings, pre-flight, guards), a rollback with hazards, and the
    // expected file the render tests keep.
    for args in [
        vec![
            "plan",
            "--from",
            V12,
            "--to",
            V20,
            "--map",
            "schemas/v1.2-to-v2.0.toml",
        ],
        vec!["plan", "--from", V20, "--to", V12, "--allow-hazard", "all"],
        vec!["plan", "--from", "empty", "--to", V20],
        vec!["plan", "--from", V20, "--to", V20],
    ] {
        let mut args = args;
        args.extend(["--format", "json"]);
        let run = schemadiff(&args).expect_code(0);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_json_schema("plan", &v);
    }
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("fixtures/seed/upgrade.json")).unwrap(),
    )
    .unwrap();
    assert_json_schema("plan", &fixture);

    // drift: a database that matches, and one that drifted.
    let db = database_from("project_json", V20);
    let run = schemadiff(&[
        "drift", "--schema", V20, "--db", &db.url, "--format", "json",
    ])
    .expect_code(0);
    assert_json_schema("drift", &serde_json::from_str(&run.stdout).unwrap());
    db.execute(r#"ALTER TABLE "User" ADD COLUMN "nickname" text"#);
    let run = schemadiff(&[
        "drift", "--schema", V20, "--db", &db.url, "--format", "json",
    ])
    .expect_code(2);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["drifted"], true);
    assert_json_schema("drift", &v);

    // The schemas are strict: an output with a field they do not know fails.
    let mut extra = v.clone();
    extra["surprise"] = serde_json::json!(1);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/schema/drift.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(!jsonschema::is_valid(&schema, &extra));
    let mut wrong = v;
    wrong["version"] = serde_json::json!(2);
    assert!(!jsonschema::is_valid(&schema, &wrong));
}

#[test]
fn apply_prints_the_size_of_each_table_it_rewrites_before_it_runs() {
    let db = database_from("project_sizes", V12);
    db.execute(
        r#"INSERT INTO "Tenant" (id, name, settings, "updatedAt") SELECT 't' || g, 'n', '{}', now() FROM generate_series(1, 300) g; ANALYZE"#,
    );
    let run = schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        V20,
        "--map",
        "schemas/v1.2-to-v2.0.toml",
        "--dry-run",
    ])
    .expect_code(0);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("-- Tenant is rewritten: "))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        line.ends_with("on disk with its indexes, about 300 row(s) (planner estimate)"),
        "{line}"
    );
    assert!(line.contains(" KiB"), "{line}");
    // Without a terminal no progress display is drawn: the step lines are plain. No `--wait`:
    // the dry run released the advisory lock before it exited.
    let applied = schemadiff(&[
        "apply",
        "--db",
        &db.url,
        "--to",
        V20,
        "--map",
        "schemas/v1.2-to-v2.0.toml",
        "--yes",
    ])
    .expect_code(0);
    assert!(applied.stderr.contains("[1/"), "{}", applied.stderr);
    assert!(
        !applied.stderr.contains('\r') && !applied.stderr.contains("\x1b["),
        "{}",
        applied.stderr
    );
}
