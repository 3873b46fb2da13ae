//! Side-by-side benchmark of the seed upgrade on generated legacy data (docs/performance.md).
//! It reports figures; it asserts correctness (every row keeps or gets the value it must), never
//! speed.
//!
//! ```sh
//! cargo build --release -p schemadiff-cli
//! cargo run --release -p schemadiff-bench --bin schemadiff-bench-upgrade -- [--campaigns 1000000] [--runs 3] [--no-prisma]
//! ```
//!
//! Server: `SCHEMADIFF_BENCH_DATABASE_URL`, else the test server (`SCHEMADIFF_TEST_DATABASE_URL`,
//! else `postgres://postgres@127.0.0.1:5432/postgres`; a role allowed to create databases). It creates
//! `sdbench_<pid>_*` databases and drops them.
//!
//! 1. A v1.2 database (built from schemas/v1.2.prisma by schemadiff's own plan from `empty`)
//!    filled by fixtures/bench/seed-fill.sql: N Campaign rows with legacy spellings, other
//!    tables proportional.
//! 2. On a fresh copy each time (CREATE DATABASE … TEMPLATE), timed statement by statement:
//!    - **bare**: one rewrite of Campaign's three converted columns, no mapping
//!      (fixtures/bench/seed-bare-rewrite-campaign.sql);
//!    - **schemadiff**: the whole seed upgrade plan; its Campaign part (the Campaign guards and
//!      the Campaign ALTER TABLE) is reported beside the total;
//!    - **hand-written**: the seed plan's UPDATEs then the casts, for Campaign
//!      (fixtures/bench/seed-handwritten-campaign.sql);
//!    - **floor**: the same plain casts on values already fixed, on a compacted table
//!      (fixtures/bench/seed-clean-campaign.sql and a VACUUM FULL run untimed first): what the
//!      conversion costs at the least.
//!
//!    Every variant runs `--runs` times but the hand-written one, which runs once.
//! 3. Correctness after schemadiff's upgrade: no table lost a row, and every converted value is
//!    what fixtures/bench/seed-expected.tsv says (written independently of the planner).
//! 4. Prisma 6.19.3's `migrate diff` (../shared/tools/prisma-diff.sh): plan latency process to
//!    process against `schemadiff plan`, and what its SQL does to the same legacy database.

use schemadiff_bench::{
    SEED_PLAN_ARGS, connect, median, read, scalar, seed_mapping, server_url, with_db,
    workspace_root,
};
use std::process::Command;
use std::time::{Duration, Instant};

use schemadiff_plan::StepKind;
use schemadiff_postgres::Client;

struct Args {
    campaigns: u64,
    runs: usize,
    prisma: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        campaigns: 1_000_000,
        runs: 3,
        prisma: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--campaigns" => {
                a.campaigns = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--campaigns N")
            }
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--no-prisma" => a.prisma = false,
            other => {
                eprintln!(
                    "unknown argument {other}; usage: schemadiff-bench-upgrade [--campaigns N] [--runs N] [--no-prisma]"
                );
                std::process::exit(2);
            }
        }
    }
    assert!(
        a.runs > 0 && a.campaigns >= 100,
        "need --runs >= 1 and --campaigns >= 100"
    );
    a
}

async fn exec(c: &Client, sql: &str) -> Result<(), String> {
    c.batch_execute(sql)
        .await
        .map_err(|e| match e.as_db_error() {
            Some(d) => format!("{}: {}", d.code().code(), d.message()),
            None => e.to_string(),
        })
}

/// Statements of a plain SQL file: `--` lines dropped, split on `;`.
fn statements(text: &str) -> Vec<String> {
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The seed plan (v1.2 → v2.0 with its mapping file) and the plan that builds v1.2 from nothing,
/// both for the server's major version.
fn plans(pg_version: u32) -> (schemadiff_plan::Plan, schemadiff_plan::Plan) {
    let opts = schemadiff_plan::PlanOptions { pg_version };
    let from = schemadiff_dsl::load("schemas/v1.2.prisma", &read("schemas/v1.2.prisma"));
    let to = schemadiff_dsl::load("schemas/v2.0.prisma", &read("schemas/v2.0.prisma"));
    let mapping = seed_mapping(&from, &to);
    let upgrade =
        schemadiff_plan::plan_with(&from.schema, &to.schema, &mapping, &opts).expect("seed plan");
    let build = schemadiff_plan::plan_with(
        &schemadiff_model::Schema::default(),
        &from.schema,
        &schemadiff_plan::Mapping::default(),
        &opts,
    )
    .expect("v1.2 plan");
    (upgrade, build)
}

/// Runs the plan's statements in its batches, one transaction each; returns the total time and
/// the time of the steps `part` selects.
async fn run_plan(
    c: &Client,
    plan: &schemadiff_plan::Plan,
    part: impl Fn(&schemadiff_plan::Step) -> bool,
) -> (Duration, Duration) {
    let start = Instant::now();
    let mut part_time = Duration::ZERO;
    let batches = plan.steps.iter().map(|s| s.batch).max().unwrap_or(0) + 1;
    for b in 0..batches {
        exec(c, "BEGIN").await.expect("begin");
        for step in plan.steps.iter().filter(|s| s.batch == b) {
            let t = Instant::now();
            for st in &step.statements {
                exec(c, &st.sql)
                    .await
                    .unwrap_or_else(|e| panic!("step {}: {e}", step.description));
            }
            if part(step) {
                part_time += t.elapsed();
            }
        }
        exec(c, "COMMIT").await.expect("commit");
    }
    (start.elapsed(), part_time)
}

/// Runs the statements in one transaction; returns the time.
async fn run_script(c: &Client, stmts: &[String]) -> Duration {
    let start = Instant::now();
    exec(c, "BEGIN").await.expect("begin");
    for s in stmts {
        exec(c, s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    exec(c, "COMMIT").await.expect("commit");
    start.elapsed()
}

fn campaign_data_step(step: &schemadiff_plan::Step) -> bool {
    let on_campaign = step
        .statements
        .iter()
        .any(|s| s.sql.contains("\"public\".\"Campaign\""));
    on_campaign && matches!(step.kind, StepKind::Guard | StepKind::AlterTable)
}

/// Rows per table, in name order.
async fn row_counts(c: &Client) -> Vec<(String, i64)> {
    let tables = schemadiff_postgres::query_text(
        c,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
    )
    .await
    .expect("tables");
    let mut out = Vec::new();
    for t in tables {
        let name = t[0].clone().unwrap_or_default();
        let n = scalar(c, &format!("SELECT count(*) FROM \"public\".\"{name}\"")).await;
        out.push((name, n.parse().unwrap_or(-1)));
    }
    out
}

/// For each line of seed-expected.tsv: (table.column, rows whose value is not the expected one).
async fn mismatches(c: &Client) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for line in read("fixtures/bench/seed-expected.tsv").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut f = line.splitn(3, '\t');
        let (t, col, expected) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let sql = format!(
            "SELECT count(*) FROM (SELECT \"{col}\"::text AS v, substr(id, 2)::bigint AS k FROM \"public\".\"{t}\") s \
             WHERE v IS DISTINCT FROM ({expected})"
        );
        // A column that no longer exists counts as -1 (reported, never taken as a pass).
        let n = match schemadiff_postgres::query_text(c, &sql).await {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1),
            Err(_) => -1,
        };
        out.push((format!("{t}.{col}"), n));
    }
    out
}

struct Bench {
    admin: Client,
    url: String,
    tag: String,
    base: String,
    clones: usize,
}

impl Bench {
    async fn clone_base(&mut self) -> (String, Client) {
        self.clones += 1;
        let name = format!("{}_{}", self.tag, self.clones);
        exec(
            &self.admin,
            &format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{}\" STRATEGY FILE_COPY",
                self.base
            ),
        )
        .await
        .expect("clone");
        let c = connect(&with_db(&self.url, &name)).await;
        exec(&c, "CHECKPOINT").await.ok();
        (name, c)
    }

    async fn drop_db(&self, name: &str, c: Client) {
        drop(c);
        exec(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await
        .expect("drop");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse_args();
    let url = server_url();
    let admin = connect(&url).await;
    let version = scalar(&admin, "SHOW server_version").await;
    let tag = format!("sdbench_{}", std::process::id());
    let base = format!("{tag}_base");
    let mut bench = Bench {
        admin,
        url: url.clone(),
        tag,
        base: base.clone(),
        clones: 0,
    };
    println!(
        "PostgreSQL {version}; {} Campaign rows; {} run(s) per variant",
        args.campaigns, args.runs
    );

    let major = schemadiff_postgres::server_version_num(&bench.admin)
        .await
        .expect("server_version_num")
        / 10_000;
    let (upgrade, build) = plans(major);
    exec(&bench.admin, &format!("CREATE DATABASE \"{base}\""))
        .await
        .expect("create base");
    let result = run(&mut bench, &args, &upgrade, &build).await;
    exec(
        &bench.admin,
        &format!("DROP DATABASE IF EXISTS \"{base}\" WITH (FORCE)"),
    )
    .await
    .ok();
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(
    bench: &mut Bench,
    args: &Args,
    upgrade: &schemadiff_plan::Plan,
    build: &schemadiff_plan::Plan,
) -> Result<(), String> {
    {
        let c = connect(&with_db(&bench.url, &bench.base)).await;
        run_plan(&c, build, |_| false).await;
        let fill = read("fixtures/bench/seed-fill.sql").replace(":n", &args.campaigns.to_string());
        let t = Instant::now();
        for s in statements(&fill) {
            exec(&c, &s).await.map_err(|e| format!("fill: {e}"))?;
        }
        exec(&c, "VACUUM ANALYZE")
            .await
            .map_err(|e| format!("vacuum: {e}"))?;
        let size = scalar(
            &c,
            "SELECT pg_size_pretty(pg_database_size(current_database()))",
        )
        .await;
        println!(
            "legacy v1.2 database: {size}, filled in {:.1} s",
            secs(t.elapsed())
        );
    }
    let before = {
        let (name, c) = bench.clone_base().await;
        let counts = row_counts(&c).await;
        bench.drop_db(&name, c).await;
        counts
    };

    let bare = statements(&read("fixtures/bench/seed-bare-rewrite-campaign.sql"));
    let hand = statements(&read("fixtures/bench/seed-handwritten-campaign.sql"));
    let clean = statements(&read("fixtures/bench/seed-clean-campaign.sql"));
    let (mut t_bare, mut t_sd_part, mut t_sd_total, mut t_hand, mut t_cast) =
        (vec![], vec![], vec![], vec![], vec![]);
    for run in 0..args.runs {
        // Rotate the order so that no variant always runs first on a cold cache.
        for k in 0..4 {
            let variant = (run + k) % 4;
            if variant == 2 && run > 0 {
                // The hand-written plan takes minutes at 1M rows: one run shows the ratio.
                continue;
            }
            let (name, c) = bench.clone_base().await;
            match variant {
                0 => {
                    let node = scalar(&c, "SELECT pg_relation_filenode('\"Campaign\"')").await;
                    t_bare.push(run_script(&c, &bare).await);
                    let after = scalar(&c, "SELECT pg_relation_filenode('\"Campaign\"')").await;
                    if node == after {
                        return Err("the bare rewrite did not rewrite Campaign".into());
                    }
                }
                1 => {
                    let (total, part) = run_plan(&c, upgrade, campaign_data_step).await;
                    t_sd_total.push(total);
                    t_sd_part.push(part);
                    if run == 0 {
                        check_schemadiff_result(&c, &before).await?;
                    }
                }
                3 => {
                    // The floor: values already clean and the table compacted (both untimed),
                    // then only the plain enum casts (the hand-written plan's last statement).
                    let cast = hand.last().expect("hand-written statements");
                    run_script(&c, &clean).await;
                    exec(&c, "VACUUM FULL ANALYZE \"Campaign\"").await?;
                    t_cast.push(run_script(&c, std::slice::from_ref(cast)).await);
                }
                _ => {
                    t_hand.push(run_script(&c, &hand).await);
                    if run == 0 {
                        let wrong = mismatches(&c).await;
                        let campaign: i64 = wrong
                            .iter()
                            .filter(|(k, _)| k.starts_with("Campaign."))
                            .map(|(_, n)| n)
                            .sum();
                        println!(
                            "hand-written plan: Campaign values not as expected afterwards: {campaign}"
                        );
                    }
                }
            }
            bench.drop_db(&name, c).await;
        }
    }
    let (b, s, st, h) = (
        median(t_bare),
        median(t_sd_part),
        median(t_sd_total),
        median(t_hand),
    );
    println!();
    println!(
        "Campaign conversion (platform, status, syncStatus), median of {} (hand-written: 1 run):",
        args.runs
    );
    println!(
        "  bare rewrite (no mapping, no checks)      {:>8.2} s",
        secs(b)
    );
    println!(
        "  schemadiff (guards + mapped casts)        {:>8.2} s   {:.2}× the bare rewrite",
        secs(s),
        secs(s) / secs(b)
    );
    let cast = median(t_cast);
    println!(
        "  plain enum casts, values already clean    {:>8.2} s   (the floor; schemadiff is {:.2}× this)",
        secs(cast),
        secs(s) / secs(cast)
    );
    println!(
        "  hand-written (11 UPDATEs, then casts)     {:>8.2} s   {:.1}× schemadiff",
        secs(h),
        secs(h) / secs(s)
    );
    println!(
        "whole schemadiff upgrade (all {} steps)     {:>8.2} s",
        upgrade.steps.len(),
        secs(st)
    );

    if args.prisma {
        prisma(bench).await?;
    }
    Ok(())
}

async fn check_schemadiff_result(c: &Client, before: &[(String, i64)]) -> Result<(), String> {
    let after = row_counts(c).await;
    for (t, n) in before {
        let now = after.iter().find(|(a, _)| a == t).map(|(_, n)| *n);
        if now != Some(*n) {
            return Err(format!("schemadiff upgrade: {t} had {n} rows, now {now:?}"));
        }
    }
    let wrong = mismatches(c).await;
    let bad: Vec<_> = wrong.iter().filter(|(_, n)| *n != 0).collect();
    if !bad.is_empty() {
        return Err(format!(
            "schemadiff upgrade: values not as expected: {bad:?}"
        ));
    }
    println!(
        "schemadiff upgrade: every table kept its rows; {} converted columns hold the expected value in every row",
        wrong.len()
    );
    Ok(())
}

fn time_process(cmd: &mut Command) -> Result<(Duration, Vec<u8>), String> {
    let t = Instant::now();
    let out = cmd.output().map_err(|e| e.to_string())?;
    let d = t.elapsed();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok((d, out.stdout))
}

async fn prisma(bench: &mut Bench) -> Result<(), String> {
    let root = workspace_root();
    let script = root.join("../shared/tools/prisma-diff.sh");
    if !script.exists() {
        println!("\nPrisma: {} not found; skipped", script.display());
        return Ok(());
    }
    let prisma_cmd = || {
        let mut c = Command::new("bash");
        c.current_dir(&root)
            .arg(&script)
            .args(["schemas/v1.2.prisma", "schemas/v2.0.prisma"]);
        c
    };
    // Warm-up: the first run installs Prisma from npm.
    let (_, sql) = time_process(&mut prisma_cmd()).map_err(|e| format!("prisma: {e}"))?;
    let runs = 5;
    let mut tp = vec![];
    for _ in 0..runs {
        tp.push(
            time_process(&mut prisma_cmd())
                .map_err(|e| format!("prisma: {e}"))?
                .0,
        );
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let sd = me.with_file_name("schemadiff");
    let mut ts = vec![];
    for _ in 0..50 {
        let mut c = Command::new(&sd);
        c.current_dir(&root).args(SEED_PLAN_ARGS);
        ts.push(
            time_process(&mut c)
                .map_err(|e| format!("schemadiff plan: {e}"))?
                .0,
        );
    }
    let (p, s) = (median(tp), median(ts));
    println!("\nPlan latency, process to process (v1.2 → v2.0):");
    println!(
        "  prisma migrate diff 6.19.3   median {:>9.1} ms of {runs}",
        secs(p) * 1e3
    );
    println!(
        "  schemadiff plan              median {:>9.1} ms of 50   ({:.0}× faster)",
        secs(s) * 1e3,
        secs(p) / secs(s)
    );

    let prisma_sql = String::from_utf8_lossy(&sql).into_owned();
    let stmts = statements(&prisma_sql);
    println!(
        "\nPrisma's SQL ({} statements) on the same legacy database:",
        stmts.len()
    );
    // As `migrate deploy` sends a migration: the whole script in one simple query, which
    // PostgreSQL runs as one implicit transaction.
    let (name, c) = bench.clone_base().await;
    let before = row_counts(&c).await;
    match exec(&c, &prisma_sql).await {
        Ok(()) => println!("  as one script: applied"),
        Err(e) => println!(
            "  as one script: fails ({e}); nothing changed: {}",
            row_counts(&c).await == before
        ),
    }
    bench.drop_db(&name, c).await;
    // Statement by statement in autocommit, going on past errors (psql -f without ON_ERROR_STOP).
    let (name, c) = bench.clone_base().await;
    let mut failed = 0;
    for s in &stmts {
        if exec(&c, s).await.is_err() {
            failed += 1;
        }
    }
    let after = row_counts(&c).await;
    let lost: i64 = before
        .iter()
        .map(|(t, n)| {
            n - after
                .iter()
                .find(|(a, _)| a == t)
                .map(|(_, m)| *m)
                .unwrap_or(0)
        })
        .sum();
    let wrong = mismatches(&c).await;
    let total_wrong: i64 = wrong.iter().map(|(_, n)| n).sum();
    println!(
        "  statement by statement, going on past errors: {failed} of {} fail; rows lost: {lost}; converted values not as expected: {total_wrong}",
        stmts.len()
    );
    for (col, n) in &wrong {
        if *n != 0 {
            println!("    {col}: {n}");
        }
    }
    bench.drop_db(&name, c).await;
    Ok(())
}
