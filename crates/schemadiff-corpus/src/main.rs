//! `schemadiff-corpus`: runs the four checks of the corpus README (`../shared/corpus/README.md`)
//! on every version of every project in a corpus folder, against the real PostgreSQL server,
//! and prints one line per project with pass counts per check and one line per failure.
//! Test tooling only; see docs/testing.md ("Corpus of real projects").

mod catalog;
mod checks;
mod corpus;
mod db;
mod fill;
#[cfg(test)]
mod tests;

use checks::{CHECKS, Ctx, Outcome, Verdict};
use clap::Parser;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

/// Runs the corpus checks (validate, create, migrations, upgrades) with the `schemadiff` binary.
#[derive(Debug, Parser)]
#[command(name = "schemadiff-corpus")]
struct Args {
    /// The corpus folder (one folder per project).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Only these projects (repeatable).
    #[arg(long = "project", value_name = "NAME")]
    projects: Vec<String>,
    /// Versions or pairs checked at once (each uses its own scratch databases).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// The accepted-differences file.
    #[arg(long, value_name = "FILE")]
    accepted: Option<PathBuf>,
    /// The folder of per-pair answers files (`<project>/<old>--<new>.toml`).
    #[arg(long, value_name = "DIR")]
    answers: Option<PathBuf>,
    /// The `schemadiff` binary (default: next to this one; build it with
    /// `cargo build -p schemadiff-cli --bin schemadiff`).
    #[arg(long, value_name = "FILE", env = "SCHEMADIFF_BIN")]
    schemadiff: Option<PathBuf>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One entry of the accepted-differences file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    project: String,
    /// A version dir, or `OLD->NEW` for an upgrade.
    unit: String,
    check: String,
    /// Why this difference is correct (required).
    because: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedFile {
    #[serde(default)]
    accepted: Vec<Accepted>,
}

fn read_accepted(path: &Path) -> Result<Vec<Accepted>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: AcceptedFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for a in &file.accepted {
        if !CHECKS.contains(&a.check.as_str()) {
            return Err(format!(
                "{}: unknown check `{}` (one of {})",
                path.display(),
                a.check,
                CHECKS.join(", ")
            ));
        }
        if a.because.trim().is_empty() {
            return Err(format!(
                "{}: {} {} {} has no reason",
                path.display(),
                a.project,
                a.unit,
                a.check
            ));
        }
    }
    Ok(file.accepted)
}

enum Job {
    Version(usize, usize),
    Upgrade(usize, usize),
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let root = workspace_root();
    let corpus_dir = args
        .corpus
        .clone()
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let corpus_dir = corpus_dir
        .canonicalize()
        .map_err(|e| format!("the corpus {}: {e}", corpus_dir.display()))?;
    let accepted_path = args
        .accepted
        .clone()
        .unwrap_or_else(|| root.join("fixtures/corpus/accepted.toml"));
    let answers = args
        .answers
        .clone()
        .unwrap_or_else(|| root.join("fixtures/corpus"));
    let schemadiff = match args.schemadiff.clone() {
        Some(p) => p,
        None => std::env::current_exe()
            .map_err(|e| format!("cannot locate this binary: {e}"))?
            .with_file_name("schemadiff"),
    };
    if !schemadiff.is_file() {
        return Err(format!(
            "no schemadiff binary at {}: build it first (`cargo build -p schemadiff-cli --bin schemadiff`) \
             or pass --schemadiff FILE",
            schemadiff.display()
        ));
    }
    let accepted = read_accepted(&accepted_path)?;
    let mut projects = corpus::read(&corpus_dir)?;
    if !args.projects.is_empty() {
        for p in &args.projects {
            if !projects.iter().any(|q| &q.name == p) {
                return Err(format!("no project `{p}` in {}", corpus_dir.display()));
            }
        }
        projects.retain(|p| args.projects.contains(&p.name));
    }
    let url = db::server_url();
    db::Server::open(&url).map_err(|e| {
        format!(
            "{e}\nThe corpus runner needs a PostgreSQL server (a role allowed to CREATE DATABASE): \
             start one on 127.0.0.1:5432 with trust auth for user `postgres`, or set {}=postgres://USER:PASSWORD@HOST:PORT/postgres.",
            db::ENV
        )
    })?;
    let scratch = std::env::temp_dir().join(format!("schemadiff-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;

    let mut queue = VecDeque::new();
    for (pi, p) in projects.iter().enumerate() {
        for vi in 0..p.versions.len() {
            queue.push_back(Job::Version(pi, vi));
        }
        for ui in 0..p.pairs.len() {
            queue.push_back(Job::Upgrade(pi, ui));
        }
    }
    let total = queue.len();
    let queue = Mutex::new(queue);
    let outcomes = Mutex::new(Vec::<Outcome>::new());
    let done = std::sync::atomic::AtomicUsize::new(0);
    let ctx = Ctx {
        schemadiff: &schemadiff,
        scratch: scratch.clone(),
        answers: &answers,
    };
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.jobs.clamp(1, 8) {
            s.spawn(|| {
                let mut server = match db::Server::open(&url) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return;
                    }
                };
                loop {
                    let Some(job) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let (label, found) = run_job(&ctx, &mut server, &projects, &job);
                    server.drop_all();
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    eprintln!("[{n}/{total}] {label} ({:.0?})", started.elapsed());
                    outcomes.lock().unwrap().extend(found);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let outcomes = outcomes.into_inner().unwrap();
    Ok(report(&projects, outcomes, &accepted, &accepted_path))
}

fn run_job(
    ctx: &Ctx,
    server: &mut db::Server,
    projects: &[corpus::Project],
    job: &Job,
) -> (String, Vec<Outcome>) {
    let out = |p: &corpus::Project, unit: &str, check, verdict| Outcome {
        project: p.name.clone(),
        unit: unit.to_string(),
        check,
        verdict,
    };
    match *job {
        Job::Version(pi, vi) => {
            let p = &projects[pi];
            let v = &p.versions[vi];
            let mut found = vec![
                out(p, &v.name, "1-validate", checks::validate(ctx, v)),
                out(p, &v.name, "2-create", checks::create(ctx, server, p, v)),
            ];
            if !v.migrations.is_empty() {
                server.drop_all();
                let [d, pl, r] = checks::migrations(ctx, server, p, v);
                found.push(out(p, &v.name, "3-drift", d));
                found.push(out(p, &v.name, "3-plan", pl));
                found.push(out(p, &v.name, "3-roundtrip", r));
            }
            (format!("{} {}", p.name, v.name), found)
        }
        Job::Upgrade(pi, ui) => {
            let p = &projects[pi];
            let (a, b) = &p.pairs[ui];
            let unit = format!("{a}->{b}");
            let find = |n: &str| p.versions.iter().find(|v| v.name == n);
            let verdict = match (find(a), find(b)) {
                (Some(old), Some(new)) => checks::upgrade(ctx, server, p, old, new),
                _ => Verdict::Fail(format!("upgrades.txt names a missing version: {unit}")),
            };
            (
                format!("{} {unit}", p.name),
                vec![out(p, &unit, "4-upgrade", verdict)],
            )
        }
    }
}

/// Prints the report; true when every failure is accepted and every accepted entry is used.
fn report(
    projects: &[corpus::Project],
    mut outcomes: Vec<Outcome>,
    accepted: &[Accepted],
    accepted_path: &Path,
) -> bool {
    outcomes.sort_by(|a, b| {
        (
            &a.project,
            &a.unit,
            CHECKS.iter().position(|c| *c == a.check),
        )
            .cmp(&(
                &b.project,
                &b.unit,
                CHECKS.iter().position(|c| *c == b.check),
            ))
    });
    let mut ok = true;
    let mut used = vec![false; accepted.len()];
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for p in projects {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.project == p.name).collect();
        let mut line = format!("{:<11}", p.name);
        for check in CHECKS {
            let of: Vec<&&Outcome> = mine.iter().filter(|o| o.check == check).collect();
            if of.is_empty() {
                continue;
            }
            let pass = of
                .iter()
                .filter(|o| matches!(o.verdict, Verdict::Pass))
                .count();
            let skip = of
                .iter()
                .filter(|o| matches!(o.verdict, Verdict::Skip(_)))
                .count();
            line.push_str(&format!("  {check} {pass}/{}", of.len()));
            if skip > 0 {
                line.push_str(&format!(" ({skip} skipped)"));
            }
        }
        println!("{line}");
        for o in &mine {
            match &o.verdict {
                Verdict::Pass => {}
                Verdict::Skip(why) => println!("    {} {}: skipped: {why}", o.unit, o.check),
                Verdict::Fail(why) => {
                    let hit = accepted.iter().position(|a| {
                        a.project == o.project && a.unit == o.unit && a.check == o.check
                    });
                    match hit {
                        Some(i) => {
                            used[i] = true;
                            println!(
                                "    {} {}: accepted ({}): {why}",
                                o.unit, o.check, accepted[i].because
                            );
                        }
                        None => {
                            ok = false;
                            *reasons.entry(reason_kind(o.check, why)).or_default() += 1;
                            println!("    {} {}: FAIL: {why}", o.unit, o.check);
                        }
                    }
                }
            }
        }
    }
    for (i, a) in accepted.iter().enumerate() {
        let checked = projects.iter().any(|p| p.name == a.project);
        if checked && !used[i] {
            ok = false;
            println!(
                "stale entry in {}: {} {} {} no longer fails; remove it",
                accepted_path.display(),
                a.project,
                a.unit,
                a.check
            );
        }
    }
    if !reasons.is_empty() {
        println!("failures by kind:");
        for (k, n) in &reasons {
            println!("  {n:>3}  {k}");
        }
    }
    println!(
        "{}",
        if ok {
            "corpus: passed"
        } else {
            "corpus: FAILED"
        }
    );
    ok
}

/// A coarse kind of failure, for the summary: the check and the reason's first words (for a
/// catalog difference, the first difference's kind: `extra constraint`, `changed column`, …).
fn reason_kind(check: &str, why: &str) -> String {
    if let Some((_, first)) = why.split_once("catalog difference(s): ") {
        let kind: Vec<&str> = first.split_whitespace().take(2).collect();
        return format!("{check}: catalog: {}", kind.join(" "));
    }
    let head: String = why
        .split([':', '(', '`'])
        .next()
        .unwrap_or(why)
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect();
    format!("{check}: {}", head.trim())
}
