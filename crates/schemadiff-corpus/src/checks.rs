//! The four checks of the corpus README, run through the `schemadiff` binary as a user runs it.

use crate::catalog::{self, shorten};
use crate::corpus::{Project, Version};
use crate::db::{Server, has_statement};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a check gave.
#[derive(Debug, Clone)]
pub enum Verdict {
    Pass,
    Fail(String),
    /// Not checkable here (no reference from Prisma); never counted as a pass.
    Skip(String),
}

/// One check on one version (or pair).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub project: String,
    /// A version dir, or `OLD->NEW` for an upgrade.
    pub unit: String,
    pub check: &'static str,
    pub verdict: Verdict,
}

/// The check names, in report order.
pub const CHECKS: [&str; 6] = [
    "1-validate",
    "2-create",
    "3-drift",
    "3-plan",
    "3-roundtrip",
    "4-upgrade",
];

/// Everything a check needs.
pub struct Ctx<'a> {
    pub schemadiff: &'a Path,
    /// Scratch files (migration folders, mapping files, inspected schemas).
    pub scratch: PathBuf,
    /// `fixtures/corpus`: per-pair answers files.
    pub answers: &'a Path,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The first error line (else the first line that is not a warning), plus the server's
    /// message when there is one (`ERROR`, `violates`, `caused by`), shortened.
    fn why(&self) -> String {
        let all: Vec<&str> = self
            .stderr
            .lines()
            .chain(self.stdout.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let first = all
            .iter()
            .find(|l| l.starts_with("error"))
            .or_else(|| {
                all.iter().find(|l| {
                    !l.starts_with("warning")
                        && !l.starts_with(['-', '=', '|', '+', '@', '^'])
                        && l.chars().any(char::is_alphabetic)
                })
            })
            .or(all.first())
            .map(|l| l.to_string())
            .unwrap_or_else(|| "no output".to_string());
        let mut why = format!("exit {}: {}", self.code, shorten(&first, 300));
        if let Some(server) = all.iter().find(|l| {
            **l != first
                && (l.contains("ERROR") || l.contains("violates") || l.contains("caused by"))
        }) {
            why.push_str(&format!(" [{}]", shorten(server, 160)));
        }
        why
    }
}

impl Ctx<'_> {
    fn schemadiff(&self, args: &[&str]) -> Run {
        // Run where no `.env` is found, with no DATABASE_URL: every input is an argument.
        let out = Command::new(self.schemadiff)
            .args(args)
            .current_dir(&self.scratch)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .output();
        match out {
            Ok(o) => Run {
                code: o.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
            Err(e) => Run {
                code: -1,
                stdout: String::new(),
                stderr: format!("error: cannot run {}: {e}", self.schemadiff.display()),
            },
        }
    }

    fn unit_dir(&self, p: &Project, unit: &str) -> Result<PathBuf, String> {
        let d = self.scratch.join(&p.name).join(unit);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        Ok(d)
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Replays a version's migrations into a new database. `Err` names the failing migration.
fn replay(server: &mut Server, p: &Project, v: &Version, hint: &str) -> Result<String, String> {
    let db = server.create(hint, None)?;
    for m in v.migrations_in_order() {
        let sql = v.migration_text(p, &m)?;
        server
            .execute_script(&db, &sql)
            .map_err(|e| format!("migration {m} does not apply: {}", shorten(&e, 160)))?;
    }
    Ok(db)
}

fn create_extensions(server: &Server, db: &str, p: &Project) -> Result<(), String> {
    for e in &p.extensions {
        server
            .execute(
                db,
                &format!("CREATE EXTENSION IF NOT EXISTS {}", catalog::ident(e)),
            )
            .map_err(|err| format!("extension {e}: {err}"))?;
    }
    Ok(())
}

fn compare(server: &Server, under_test: &str, reference: &str) -> Result<(), String> {
    let a = catalog::read(server, under_test)?;
    let b = catalog::read(server, reference)?;
    let d = catalog::differences(&a, &b);
    if d.is_empty() {
        Ok(())
    } else {
        Err(catalog::summary(&d))
    }
}

/// Check 1: `validate` the schema as stored.
pub fn validate(ctx: &Ctx, v: &Version) -> Verdict {
    let run = ctx.schemadiff(&["validate", &path_str(&v.schema())]);
    if run.code == 0 {
        Verdict::Pass
    } else {
        Verdict::Fail(run.why())
    }
}

/// Check 2: `plan --from empty` applied to a fresh database gives the catalog of
/// `prisma/create.sql` applied to another.
pub fn create(ctx: &Ctx, server: &mut Server, p: &Project, v: &Version) -> Verdict {
    if !v.dir.join("prisma/create.sql").exists() && v.dir.join("prisma/create.err").exists() {
        return Verdict::Skip("no reference: Prisma failed (prisma/create.err)".into());
    }
    to_verdict((|| {
        let plan = ctx.schemadiff(&["plan", "--from", "empty", "--to", &path_str(&v.schema())]);
        if plan.code != 0 {
            return Err(format!("plan --from empty: {}", plan.why()));
        }
        let reference = std::fs::read_to_string(v.dir.join("prisma/create.sql"))
            .map_err(|e| format!("prisma/create.sql: {e}"))?;
        let ours = server.create("create_ours", None)?;
        let theirs = server.create("create_ref", None)?;
        create_extensions(server, &ours, p)?;
        create_extensions(server, &theirs, p)?;
        server.execute_script(&theirs, &reference).map_err(|e| {
            format!(
                "prisma/create.sql does not apply here: {}",
                shorten(&e, 160)
            )
        })?;
        server
            .execute(&ours, &plan.stdout)
            .map_err(|e| format!("our script fails: {}", shorten(&e, 160)))?;
        compare(server, &ours, &theirs)
    })())
}

fn to_verdict(r: Result<(), String>) -> Verdict {
    match r {
        Ok(()) => Verdict::Pass,
        Err(e) => Verdict::Fail(e),
    }
}

/// Check 3 (a version with migrations): drift, the plan from the migrations folder, and the
/// inspect round trip. Returns the three verdicts in that order.
pub fn migrations(ctx: &Ctx, server: &mut Server, p: &Project, v: &Version) -> [Verdict; 3] {
    let pending = v.pending();
    let base = match replay(server, p, v, "migrated") {
        Ok(db) => db,
        Err(e) => {
            let verdict = if pending.is_none() {
                Verdict::Skip(format!("{e}; Prisma failed too (pending.err)"))
            } else {
                Verdict::Fail(e)
            };
            return [verdict.clone(), verdict.clone(), verdict];
        }
    };
    let url = server.url_of(&base);
    let schema = path_str(&v.schema());
    let no_reference = || Verdict::Skip("no reference: Prisma failed (prisma/pending.err)".into());

    // (a) drift exits 0 when pending.sql has no statement, 2 otherwise.
    let drift = match &pending {
        None => no_reference(),
        Some(sql) => {
            let want = if has_statement(sql) { 2 } else { 0 };
            let run = ctx.schemadiff(&["drift", "--schema", &schema, "--db", &url]);
            if run.code == want {
                Verdict::Pass
            } else if run.code == 0 || run.code == 2 {
                Verdict::Fail(format!(
                    "drift exit {}, expected {want} ({})",
                    run.code,
                    if want == 0 {
                        "pending.sql is empty"
                    } else {
                        "pending.sql has statements"
                    }
                ))
            } else {
                Verdict::Fail(format!("drift {}", run.why()))
            }
        }
    };

    // (b) plan --from <migrations folder> applied to a copy == pending.sql applied to a copy.
    let plan = match &pending {
        None => no_reference(),
        Some(sql) => to_verdict((|| {
            let dir = ctx.unit_dir(p, &v.name)?;
            let folder = v.write_migrations(p, &dir)?;
            let run = ctx.schemadiff(&[
                "plan",
                "--from",
                &path_str(&folder),
                "--to",
                &schema,
                "--allow-hazard",
                "all",
            ]);
            if run.code != 0 {
                return Err(format!("plan --from migrations: {}", run.why()));
            }
            let ours = server.create("plan_ours", Some(&base))?;
            let theirs = server.create("plan_ref", Some(&base))?;
            server
                .execute_script(&theirs, sql)
                .map_err(|e| format!("prisma/pending.sql does not apply: {}", shorten(&e, 160)))?;
            server
                .execute(&ours, &run.stdout)
                .map_err(|e| format!("our plan fails: {}", shorten(&e, 160)))?;
            compare(server, &ours, &theirs)
        })()),
    };

    // (c) inspect → validate → drift of the result exits 0.
    let round = to_verdict((|| {
        let inspect = ctx.schemadiff(&["inspect", "--db", &url]);
        if inspect.code != 0 {
            return Err(format!("inspect: {}", inspect.why()));
        }
        let file = ctx.unit_dir(p, &v.name)?.join("inspected.prisma");
        std::fs::write(&file, &inspect.stdout).map_err(|e| format!("{}: {e}", file.display()))?;
        let f = path_str(&file);
        let val = ctx.schemadiff(&["validate", &f]);
        if val.code != 0 {
            return Err(format!("validate of the inspected schema: {}", val.why()));
        }
        let drift = ctx.schemadiff(&["drift", "--schema", &f, "--db", &url]);
        if drift.code != 0 {
            return Err(format!("drift of the inspected schema: {}", drift.why()));
        }
        Ok(())
    })());
    [drift, plan, round]
}

/// The answers a user gives for one upgrade pair (`fixtures/corpus/<project>/<old>--<new>.toml`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Hazard codes passed as `--allow-hazard`.
    #[serde(default)]
    pub allow_hazard: Vec<String>,
    /// A mapping file's text (docs/mapping.md), passed as `--map`.
    #[serde(default)]
    pub mapping: Option<String>,
    /// Why these answers are right (for the reviewer; the runner does not read it).
    #[allow(dead_code)]
    #[serde(default)]
    pub why: Option<String>,
}

/// The answers file of a pair, when there is one.
pub fn answers_path(answers: &Path, project: &str, old: &str, new: &str) -> PathBuf {
    answers.join(project).join(format!("{old}--{new}.toml"))
}

fn read_answers(path: &Path) -> Result<Answers, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => toml::from_str(&t).map_err(|e| format!("{}: {e}", path.display())),
        Err(_) => Ok(Answers::default()),
    }
}

/// The table part (`"s"."t"`) of a catalog key.
fn table_of(key: &str) -> Option<String> {
    let rest = key.split_once(' ')?.1;
    let mut quotes = 0;
    let mut prev = ' ';
    for (i, c) in rest.char_indices() {
        if c == '"' {
            quotes += 1;
        }
        // The end of the second identifier: an even count of quotes followed by `.` or end.
        if quotes >= 4 && quotes % 2 == 0 && prev == '"' && (c == '.' || c == ' ') {
            return Some(rest[..i].to_string());
        }
        prev = c;
    }
    (quotes >= 4).then(|| rest.to_string())
}

/// Check 4: old migrations + rows, `apply` to the new schema → the catalog of the new
/// version's migrations plus its pending.sql, and the same row counts.
pub fn upgrade(
    ctx: &Ctx,
    server: &mut Server,
    p: &Project,
    old: &Version,
    new: &Version,
) -> Verdict {
    let Some(pending) = new.pending() else {
        return Verdict::Skip(
            "no reference: Prisma failed on the new version (pending.err)".into(),
        );
    };
    let run = (|| {
        let answers = read_answers(&answers_path(ctx.answers, &p.name, &old.name, &new.name))?;
        let db = replay(server, p, old, "upgrade").map_err(|e| format!("old version: {e}"))?;
        let reference =
            replay(server, p, new, "upgrade_ref").map_err(|e| format!("new version: {e}"))?;
        server.execute_script(&reference, &pending).map_err(|e| {
            format!(
                "new version's pending.sql does not apply: {}",
                shorten(&e, 160)
            )
        })?;
        let before = catalog::read(server, &db)?;
        let want = catalog::read(server, &reference)?;
        let mut touched: BTreeSet<String> = catalog::differences(&before, &want)
            .iter()
            .filter_map(|d| {
                let key = ["extra ", "missing ", "changed "]
                    .iter()
                    .find_map(|p| d.strip_prefix(p))
                    .unwrap_or(d);
                let key = key.split(": `").next().unwrap_or(key);
                table_of(key)
            })
            .collect();
        // Tables with a column of an enum type that changes.
        let changed_enums: Vec<String> = before
            .iter()
            .filter(|(k, v)| k.starts_with("enum ") && want.get(*k) != Some(v))
            .filter_map(|(k, _)| {
                k.rsplit_once('.')
                    .map(|(_, n)| n.trim_matches('"').to_string())
            })
            .collect();
        for (k, v) in &before {
            if k.starts_with("column ")
                && changed_enums.iter().any(|e| {
                    v.starts_with(&format!("\"{e}\"")) || v.split([' ', '[']).next() == Some(e)
                })
            {
                touched.extend(table_of(k));
            }
        }
        crate::fill::fill(server, &db, &touched, &reference)?;
        let counts = catalog::row_counts(server, &db, &before)?;
        let url = server.url_of(&db);
        let schema = path_str(&new.schema());
        let mut args: Vec<String> = ["apply", "--db", &url, "--to", &schema, "--yes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(m) = &answers.mapping {
            let f = ctx
                .unit_dir(p, &format!("{}--{}", old.name, new.name))?
                .join("mapping.toml");
            std::fs::write(&f, m).map_err(|e| format!("{}: {e}", f.display()))?;
            args.extend(["--map".to_string(), path_str(&f)]);
        }
        for h in &answers.allow_hazard {
            args.extend(["--allow-hazard".to_string(), h.clone()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let applied = ctx.schemadiff(&refs);
        if applied.code != 0 {
            return Err(format!("apply: {}", applied.why()));
        }
        compare(server, &db, &reference)?;
        let after = catalog::row_counts(server, &db, &catalog::read(server, &db)?)?;
        let lost: Vec<String> = counts
            .iter()
            .filter(|(t, n)| after.get(*t).is_some_and(|m| m != *n))
            .map(|(t, n)| format!("{t} {n} → {}", after[t]))
            .collect();
        if !lost.is_empty() {
            return Err(format!("row counts changed: {}", lost.join(", ")));
        }
        Ok(())
    })();
    to_verdict(run)
}
