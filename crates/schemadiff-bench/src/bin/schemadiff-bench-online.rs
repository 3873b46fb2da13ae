//! The seed upgrade online against offline, with `pgbench` writers running through the whole
//! migration (docs/performance.md, "Online mode"). It reports figures; it asserts correctness
//! (0 lost, 0 unmapped, checked row by row), never speed.
//!
//! ```sh
//! cargo run --release -p schemadiff-bench --bin schemadiff-bench-online -- [--campaigns 1000000] [--clients 4] [--rate 300] [--baseline 20] [--batch-size 500] [--throttle-ms 0]
//! ```
//!
//! Server: `SCHEMADIFF_BENCH_DATABASE_URL`, else the test server; `pgbench` from `PATH`
//! (`/usr/bin/pgbench`). It creates `sdbench_online_<pid>_*` databases and drops them.
//!
//! 1. A v1.2 database (schemadiff's own plan from `empty`) filled by
//!    fixtures/bench/seed-fill.sql with N `Campaign` rows of legacy spellings; each run works on
//!    a copy (`CREATE DATABASE … TEMPLATE`).
//! 2. Writers: `pgbench` clients run two custom scripts, an insert of a new `Campaign` row and
//!    an update of an existing row's `status`, with `--log` (every transaction's latency, which
//!    with `--rate` counts from its scheduled start, so waiting for a lock or for a busy server
//!    both count). pgbench runs in chunks of `--chunk` seconds so that its log is complete
//!    whenever the migration ends; the short gaps between chunks count against throughput.
//!    - **legacy** spellings (`'google_ads'`, `'ENABLED'`, `'error'`…) while the columns are text;
//!    - **enum** spellings (`'GOOGLE_ADS'`…, valid as text and as enum values) once the switch
//!      may have happened.
//!
//!    Every written row carries, in its `name`, the enum values it must end with, written by
//!    this file from the legacy spelling it chose (not by the mapping code).
//! 3. Baseline: the writers alone (legacy) for `--baseline` seconds: transactions per second.
//! 4. Offline: the seed plan in one transaction, writers with enum spellings throughout (a
//!    legacy write queued behind the rewrite would fail once the column is an enum).
//! 5. Online: `apply --online`'s engine calls; legacy writers through expand and backfill, then
//!    enum writers through switch and contract.
//! 6. For each: the longest writer transaction and the throughput inside the migration window
//!    (as a share of the baseline), total time, and the checks: drift 0, every row of the
//!    generated data as fixtures/bench/seed-expected.tsv says, every row a writer inserted
//!    present with its expected values, every row a writer updated holding its expected status.

use schemadiff::{LoadOptions, Loaded};
use schemadiff_bench::{connect, read, server_url, with_db, workspace_root};
use schemadiff_plan::online::OnlineOptions;
use schemadiff_postgres::{Client, IntrospectOptions, OnlineEvent, OnlineRunOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Args {
    campaigns: u64,
    clients: u32,
    rate: u32,
    baseline: u64,
    chunk: u64,
    batch_size: u32,
    throttle_ms: u64,
}

fn parse_args() -> Args {
    let mut a = Args {
        campaigns: 1_000_000,
        clients: 4,
        rate: 300,
        baseline: 20,
        chunk: 2,
        batch_size: OnlineOptions::default().batch_size,
        throttle_ms: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--campaigns" => a.campaigns = num("--campaigns"),
            "--clients" => a.clients = num("--clients") as u32,
            "--rate" => a.rate = num("--rate") as u32,
            "--baseline" => a.baseline = num("--baseline"),
            "--chunk" => a.chunk = num("--chunk"),
            "--batch-size" => a.batch_size = num("--batch-size") as u32,
            "--throttle-ms" => a.throttle_ms = num("--throttle-ms"),
            other => panic!(
                "unknown argument {other}; usage: [--campaigns N] [--clients N] [--rate TPS (0: unlimited)] [--baseline SECS] [--chunk SECS] [--batch-size N] [--throttle-ms MS (apply --online --throttle)]"
            ),
        }
    }
    a
}

/// Legacy spellings and the enum value each must become, written here from the seed's
/// migration plan, independently of the mapping code.
const PLATFORMS: [(&str, &str); 8] = [
    ("google_ads", "GOOGLE_ADS"),
    ("Google Ads", "GOOGLE_ADS"),
    ("facebook", "FACEBOOK"),
    ("Facebook", "FACEBOOK"),
    ("tiktok", "TIKTOK"),
    ("TikTok", "TIKTOK"),
    ("line", "LINE_ADS"),
    ("LINE", "LINE_ADS"),
];
const STATUSES: [(&str, &str); 6] = [
    ("active", "ACTIVE"),
    ("ENABLED", "ACTIVE"),
    ("paused", "PAUSED"),
    ("pending", "PENDING"),
    ("deleted", "DELETED"),
    ("REMOVED", "DELETED"),
];
const SYNC: [(&str, &str); 5] = [
    ("pending", "PENDING"),
    ("success", "SUCCESS"),
    ("completed", "SUCCESS"),
    ("failed", "FAILED"),
    ("error", "FAILED"),
];

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The pgbench scripts with their weights: one insert script per platform spelling (status and
/// sync status chosen from the platform's position, so every spelling of every column is
/// written) and one update script per status spelling; inserts and updates 1:1. Literals, as
/// an application sends them, so the same statement is valid for a text column and an enum.
/// Inserts are scripts 0 to 7 in pgbench's log.
fn scripts(dir: &Path, legacy: bool, campaigns: u64) -> Vec<(PathBuf, u32)> {
    let tag = if legacy { "l" } else { "e" };
    let pick = |pair: (&str, &str)| {
        if legacy {
            pair.0.to_string()
        } else {
            pair.1.to_string()
        }
    };
    let mut out = Vec::new();
    for (i, &p) in PLATFORMS.iter().enumerate() {
        let st = STATUSES[i % STATUSES.len()];
        let sy = SYNC[i % SYNC.len()];
        let expected = format!("{}|{}|{}", p.1, st.1, sy.1);
        let text = format!(
            "\\set t random(1, 1000)\n\
INSERT INTO \"Campaign\" (id, name, platform, status, budget, \"externalId\", \"syncStatus\", \"tenantId\", \"updatedAt\") \
VALUES ('p{tag}' || :client_id || '_' || txid_current(), {}, {}, {}, 1, 'pgb' || txid_current(), {}, 't' || :t, now());\n",
            lit(&expected),
            lit(&pick(p)),
            lit(&pick(st)),
            lit(&pick(sy)),
        );
        let f = dir.join(format!("insert-{tag}-{i}.sql"));
        std::fs::write(&f, text).expect("write pgbench script");
        out.push((f, 3));
    }
    for (i, &st) in STATUSES.iter().enumerate() {
        let text = format!(
            "\\set k random(1, {campaigns})\n\
UPDATE \"Campaign\" SET status = {}, name = {}, \"updatedAt\" = now() WHERE id = 'c' || :k;\n",
            lit(&pick(st)),
            lit(&format!("upd|{}", st.1)),
        );
        let f = dir.join(format!("update-{tag}-{i}.sql"));
        std::fs::write(&f, text).expect("write pgbench script");
        out.push((f, 4));
    }
    out
}

const INSERT_SCRIPTS: u32 = PLATFORMS.len() as u32;

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as i64
}

const STOP: u8 = 0;
const LEGACY: u8 = 1;
const ENUM: u8 = 2;

/// Runs pgbench in chunks while `mode` is not STOP, choosing the scripts by `mode` at each
/// chunk; `current` says which scripts the running chunk uses. Returns the log directory.
struct Writers {
    mode: Arc<AtomicU8>,
    current: Arc<AtomicU8>,
    thread: std::thread::JoinHandle<Result<(), String>>,
    logs: PathBuf,
}

impl Writers {
    fn start(url: &str, dir: &Path, mode: u8, a: &Args) -> Writers {
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).expect("log dir");
        let legacy = scripts(dir, true, a.campaigns);
        let enums = scripts(dir, false, a.campaigns);
        let m = Arc::new(AtomicU8::new(mode));
        let current = Arc::new(AtomicU8::new(mode));
        let (mm, cc, url, logs2) = (m.clone(), current.clone(), url.to_string(), logs.clone());
        let (clients, rate, chunk) = (a.clients, a.rate, a.chunk);
        let thread = std::thread::spawn(move || {
            let mut n = 0;
            loop {
                let mode = mm.load(Ordering::SeqCst);
                if mode == STOP {
                    return Ok(());
                }
                cc.store(mode, Ordering::SeqCst);
                let files = if mode == LEGACY { &legacy } else { &enums };
                n += 1;
                let mut cmd = Command::new("pgbench");
                cmd.args(["-n", "-c", &clients.to_string(), "-j", "2", "-T"])
                    .arg(chunk.to_string());
                for (f, w) in files {
                    cmd.arg("-f").arg(format!("{}@{w}", f.display()));
                }
                cmd.arg("--log")
                    .arg(format!("--log-prefix={}/c{n}", logs2.display()));
                if rate > 0 {
                    cmd.args(["-R", &rate.to_string()]);
                }
                let out = cmd
                    .arg(&url)
                    .output()
                    .map_err(|e| format!("pgbench: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "pgbench failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        });
        Writers {
            mode: m,
            current,
            thread,
            logs,
        }
    }

    /// Switches to enum spellings and waits until the running chunk uses them.
    fn to_enum(&self) {
        self.mode.store(ENUM, Ordering::SeqCst);
        while self.current.load(Ordering::SeqCst) != ENUM && !self.thread.is_finished() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stop(self) -> Vec<Tx> {
        self.mode.store(STOP, Ordering::SeqCst);
        match self.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("writer thread panicked"),
        }
        read_logs(&self.logs)
    }
}

/// One logged transaction: script (below [`INSERT_SCRIPTS`]: an insert), latency, end time (µs since the epoch).
struct Tx {
    script: u32,
    latency_us: i64,
    /// With `--rate`: how late the transaction started against its schedule (µs).
    lag_us: i64,
    end_us: i64,
    failed: bool,
}

fn read_logs(dir: &Path) -> Vec<Tx> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("logs") {
        let text = std::fs::read_to_string(e.expect("entry").path()).expect("log");
        for line in text.lines() {
            // client_id transaction_no time script_no time_epoch time_us [...]
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                continue;
            }
            let failed = f[2] == "failed" || f[2] == "skipped";
            let latency_us = f[2].parse().unwrap_or(0);
            let epoch: i64 = f[4].parse().unwrap_or(0);
            let us: i64 = f[5].parse().unwrap_or(0);
            out.push(Tx {
                script: f[3].parse().unwrap_or(0),
                latency_us,
                lag_us: f.get(6).and_then(|v| v.parse().ok()).unwrap_or(0),
                end_us: epoch * 1_000_000 + us,
                failed,
            });
        }
    }
    out
}

async fn scalar(c: &Client, sql: &str) -> i64 {
    schemadiff_bench::scalar(c, sql).await.parse().unwrap_or(-1)
}

fn file(path: &str) -> Loaded {
    let l = schemadiff_dsl::load(path, &read(path));
    Loaded {
        label: path.into(),
        schema: l.schema,
        names: Some(l.names),
        notes: Vec::new(),
        server_major: None,
    }
}

fn map() -> PathBuf {
    workspace_root().join("schemas/v1.2-to-v2.0.toml")
}

/// Rows that differ from what they must hold: (what, count). Every count must be 0.
async fn check_rows(c: &Client, inserted: i64) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for line in read("fixtures/bench/seed-expected.tsv").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut f = line.splitn(3, '\t');
        let (t, col, expected) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let mut filter = String::new();
        if t == "Campaign" {
            // Rows the writers inserted are checked below; rows they updated have a new status.
            filter.push_str(" WHERE id NOT LIKE 'p%'");
            if col == "status" {
                filter.push_str(" AND name NOT LIKE 'upd|%'");
            }
        }
        let sql = format!(
            "SELECT count(*) FROM (SELECT \"{col}\"::text AS v, substr(id, 2)::bigint AS k FROM \"public\".\"{t}\"{filter}) s WHERE v IS DISTINCT FROM ({expected})"
        );
        out.push((format!("generated {t}.{col}"), scalar(c, &sql).await));
    }
    out.push((
        "written rows not holding their expected enum values".into(),
        scalar(
            c,
            "SELECT count(*) FROM \"Campaign\" WHERE id LIKE 'p%' AND platform::text || '|' || status::text || '|' || \"syncStatus\"::text IS DISTINCT FROM name",
        )
        .await,
    ));
    out.push((
        "updated rows not holding their expected status".into(),
        scalar(
            c,
            "SELECT count(*) FROM \"Campaign\" WHERE name LIKE 'upd|%' AND status::text IS DISTINCT FROM substr(name, 5)",
        )
        .await,
    ));
    out.push((
        "inserted rows lost (committed inserts in the pgbench log minus rows present)".into(),
        inserted - scalar(c, "SELECT count(*) FROM \"Campaign\" WHERE id LIKE 'p%'").await,
    ));
    out
}

/// Samples `pg_stat_activity` every 10 ms while it runs and keeps the longest time a pgbench
/// backend was seen waiting on a lock (measured from its statement's start, so an upper bound
/// of that wait): the writers' lock waits apart from CPU contention on a shared machine.
struct LockSampler {
    stop: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<(f64, String)>,
}

impl LockSampler {
    async fn start(url: &str) -> LockSampler {
        let c = connect(url).await;
        let stop = Arc::new(AtomicU8::new(0));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut max_ms: f64 = 0.0;
            let mut blocker = String::new();
            while s.load(Ordering::SeqCst) == 0 {
                if let Ok(rows) = schemadiff_postgres::query_text(
                    &c,
                    "SELECT (extract(epoch FROM clock_timestamp() - w.query_start) * 1000)::text, left(b.query, 70) FROM pg_stat_activity w LEFT JOIN pg_stat_activity b ON b.pid = (pg_blocking_pids(w.pid))[1] WHERE w.application_name = 'pgbench' AND w.wait_event_type = 'Lock' ORDER BY w.query_start LIMIT 1",
                )
                .await
                {
                    let v: f64 = rows
                        .first()
                        .and_then(|r| r.first().cloned().flatten())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0.0);
                    if v > max_ms {
                        max_ms = v;
                        blocker = rows
                            .first()
                            .and_then(|r| r.get(1).cloned().flatten())
                            .unwrap_or_default();
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (max_ms, blocker)
        });
        LockSampler { stop, task }
    }

    /// The longest wait seen (ms) and the start of the blocking statement.
    async fn stop(self) -> (f64, String) {
        self.stop.store(1, Ordering::SeqCst);
        self.task.await.unwrap_or((-1.0, String::new()))
    }
}

struct Figures {
    total: Duration,
    max_wait_ms: f64,
    max_exec_ms: f64,
    p99_ms: f64,
    tps: f64,
    failed: usize,
    inserted: i64,
    /// Transactions in the window, and those of them over 100 ms.
    count: usize,
    over_100ms: usize,
}

/// The transactions that ran, at least in part, between the two times.
fn inside(txs: &[Tx], start_us: i64, end_us: i64) -> Vec<&Tx> {
    txs.iter()
        .filter(|t| t.end_us >= start_us && t.end_us - t.latency_us <= end_us)
        .collect()
}

fn figures(txs: &[Tx], start_us: i64, end_us: i64) -> Figures {
    let inside = inside(txs, start_us, end_us);
    let max_wait_ms = inside.iter().map(|t| t.latency_us).max().unwrap_or(0) as f64 / 1000.0;
    let max_exec_ms = inside
        .iter()
        .map(|t| t.latency_us - t.lag_us)
        .max()
        .unwrap_or(0) as f64
        / 1000.0;
    let mut lat: Vec<i64> = inside.iter().map(|t| t.latency_us).collect();
    lat.sort_unstable();
    let p99_ms = lat.get(lat.len() * 99 / 100).copied().unwrap_or(0) as f64 / 1000.0;
    let ok_inside = inside
        .iter()
        .filter(|t| !t.failed && t.end_us <= end_us)
        .count();
    let secs = (end_us - start_us) as f64 / 1e6;
    Figures {
        total: Duration::from_micros((end_us - start_us) as u64),
        max_wait_ms,
        max_exec_ms,
        p99_ms,
        tps: ok_inside as f64 / secs,
        failed: txs.iter().filter(|t| t.failed).count(),
        inserted: txs
            .iter()
            .filter(|t| !t.failed && t.script < INSERT_SCRIPTS)
            .count() as i64,
        count: inside.len(),
        over_100ms: inside.iter().filter(|t| t.latency_us > 100_000).count(),
    }
}

/// What ran when a transaction began at `began`: the online step, else the offline plan.
fn during(timeline: &[(i64, String)], began: i64) -> &str {
    timeline.iter().rev().find(|(at, _)| *at <= began).map_or(
        if timeline.is_empty() {
            "the plan's one transaction"
        } else {
            "before the first step"
        },
        |(_, what)| what.as_str(),
    )
}

/// The `n` slowest writer transactions started inside the window, each with what the migration
/// was doing when it started (the last step begun before it, from `timeline`).
fn slowest(
    txs: &[Tx],
    start_us: i64,
    end_us: i64,
    timeline: &[(i64, String)],
    n: usize,
) -> Vec<String> {
    let mut inside = inside(txs, start_us, end_us);
    inside.sort_by_key(|t| std::cmp::Reverse(t.latency_us));
    inside
        .iter()
        .take(n)
        .map(|t| {
            let began = t.end_us - t.latency_us;
            format!(
                "{:.1} ms at +{:.1} s ({:.1} ms of it waiting for its turn in pgbench), during {}",
                t.latency_us as f64 / 1000.0,
                (began - start_us) as f64 / 1e6,
                t.lag_us as f64 / 1000.0,
                during(timeline, began)
            )
        })
        .collect()
}

/// The writer transactions over 100 ms, counted by the step that ran when each began (most
/// first).
fn over_100ms_by_step(txs: &[&Tx], timeline: &[(i64, String)]) -> Vec<(usize, String)> {
    let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for t in txs.iter().filter(|t| t.latency_us > 100_000) {
        *by.entry(during(timeline, t.end_us - t.latency_us))
            .or_default() += 1;
    }
    let mut out: Vec<(usize, String)> = by.into_iter().map(|(k, n)| (n, k.to_string())).collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    out
}

/// Checkpoints so far: (timed, requested by WAL volume); `None` where the server keeps them
/// elsewhere (PostgreSQL 17+: `pg_stat_checkpointer`).
async fn checkpoints(c: &Client) -> Option<(i64, i64)> {
    let r = c
        .query_one(
            "SELECT checkpoints_timed, checkpoints_req FROM pg_stat_bgwriter",
            &[],
        )
        .await
        .ok()?;
    Some((r.get(0), r.get(1)))
}

fn main() {
    let a = parse_args();
    // The test kit's server lookup runs its own runtime: before this one.
    let server = server_url();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench(a, server));
}

async fn bench(a: Args, server: String) {
    let admin = connect(&server).await;
    let tag = format!("sdbench_online_{}", std::process::id());
    let base = format!("{tag}_base");
    // pgbench's per-transaction logs go to memory where there is a RAM file system: written to
    // the disk the server uses, a pgbench thread blocked on its own log write while the kernel
    // flushes the server's pages would count as writer latency the migration did not cause.
    let shm = Path::new("/dev/shm");
    let work = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
    .join(&tag);
    std::fs::create_dir_all(&work).expect("work dir");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{base}\""))
        .await
        .expect("create base");
    let base_url = with_db(&server, &base);
    let setup = Instant::now();
    {
        let c = connect(&base_url).await;
        let empty = schemadiff::load("empty", &[], LoadOptions::default())
            .await
            .expect("empty");
        let plan = schemadiff::make_plan(&empty, &file("schemas/v1.2.prisma"), None, None)
            .expect("v1.2 plan");
        for b in schemadiff::batches(&plan) {
            for s in b.statements {
                c.batch_execute(&s.sql).await.expect("v1.2");
            }
        }
        let fill = read("fixtures/bench/seed-fill.sql").replace(":n", &a.campaigns.to_string());
        c.batch_execute(&fill).await.expect("seed-fill.sql");
        c.batch_execute("VACUUM ANALYZE").await.expect("vacuum");
    }
    println!(
        "legacy data: {} Campaign rows (other tables proportional), made in {:.1} s",
        a.campaigns,
        setup.elapsed().as_secs_f64()
    );
    println!(
        "writers: pgbench, {} clients, {}, insert and update scripts 1:1, chunks of {} s; online batches of {} rows, {} ms pause between batches",
        a.clients,
        if a.rate > 0 {
            format!("rate-limited to {} transactions/s in all", a.rate)
        } else {
            "no rate limit".into()
        },
        a.chunk,
        a.batch_size,
        a.throttle_ms
    );
    // Each run starts from a quiet disk: the copy is made file by file (not through the WAL,
    // which would leave gigabytes of WAL and dirty pages to the run that follows) and a
    // checkpoint writes out whatever is still dirty before any writer starts.
    let copy = |name: &str| {
        format!("CREATE DATABASE \"{tag}_{name}\" TEMPLATE \"{base}\" STRATEGY FILE_COPY")
    };

    // Baseline: writers alone.
    admin.batch_execute(&copy("baseline")).await.expect("copy");
    admin.batch_execute("CHECKPOINT").await.expect("checkpoint");
    let url = with_db(&server, &format!("{tag}_baseline"));
    let dir = work.join("baseline");
    std::fs::create_dir_all(&dir).expect("dir");
    let w = Writers::start(&url, &dir, LEGACY, &a);
    let start = now_us();
    tokio::time::sleep(Duration::from_secs(a.baseline)).await;
    let end = now_us();
    let base_fig = figures(&w.stop(), start, end);
    // The machine's own tail: how often a writer transaction takes over 100 ms with no
    // migration at all (a baseline as long as the online run shows it over the same span).
    println!(
        "baseline (no migration, {} s): {:.0} transactions/s, longest transaction {:.1} ms (from its scheduled start; {:.1} ms from its actual start), p99 {:.1} ms; over 100 ms: {} of {}",
        a.baseline,
        base_fig.tps,
        base_fig.max_wait_ms,
        base_fig.max_exec_ms,
        base_fig.p99_ms,
        base_fig.over_100ms,
        base_fig.count
    );

    let mut all_ok = true;
    for mode in ["offline", "online"] {
        admin.batch_execute(&copy(mode)).await.expect("copy");
        admin.batch_execute("CHECKPOINT").await.expect("checkpoint");
        let url = with_db(&server, &format!("{tag}_{mode}"));
        let dir = work.join(mode);
        std::fs::create_dir_all(&dir).expect("dir");
        let mut c = connect(&url).await;
        let to = file("schemas/v2.0.prisma");
        let from = schemadiff::load_database(Some(&url), &[], None)
            .await
            .expect("read database");
        let iopts = IntrospectOptions::for_schemas(vec!["public".into()]);
        let writers = Writers::start(&url, &dir, if mode == "online" { LEGACY } else { ENUM }, &a);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sampler = LockSampler::start(&url).await;
        let cp_before = checkpoints(&c).await;
        let start = now_us();
        let mut retries = 0;
        // When each online step began (µs since the epoch), to place the slowest writers.
        let mut timeline: Vec<(i64, String)> = Vec::new();
        let mut record = |e: OnlineEvent| {
            if let OnlineEvent::Step {
                step,
                total,
                phase,
                description,
            } = e
            {
                timeline.push((now_us(), format!("[{step}/{total}] {phase}: {description}")));
            }
        };
        let drift_ok = if mode == "offline" {
            let plan = schemadiff::make_plan(&from, &to, Some(&map()), None).expect("plan");
            let tx = c.transaction().await.expect("begin");
            for b in schemadiff::batches(&plan) {
                for s in b.statements {
                    tx.batch_execute(&s.sql).await.expect("offline plan");
                }
            }
            tx.commit().await.expect("commit");
            let after = schemadiff::load_database(Some(&url), &[], None)
                .await
                .expect("read back");
            schemadiff::same_schema(&after.schema, &to.schema)
        } else {
            let plan = schemadiff::make_online_plan(
                &from,
                &to,
                Some(&map()),
                None,
                &OnlineOptions {
                    batch_size: a.batch_size,
                    keep_old_columns: false,
                },
            )
            .expect("online plan");
            let steps = schemadiff::online_steps(&plan);
            let first = schemadiff::apply_online(
                &mut c,
                &steps,
                &OnlineRunOptions {
                    stop_after_phase: Some("backfill".into()),
                    throttle: Duration::from_millis(a.throttle_ms),
                    ..Default::default()
                },
                &iopts,
                &to.schema,
                &mut record,
            )
            .await
            .expect("expand and backfill");
            retries += first.report.retries;
            // The application switches to enum spellings before the columns do.
            let w = &writers;
            tokio::task::block_in_place(|| w.to_enum());
            let rest = schemadiff::apply_online(
                &mut c,
                &[],
                &OnlineRunOptions::default(),
                &iopts,
                &to.schema,
                &mut record,
            )
            .await
            .expect("switch and contract");
            retries += rest.report.retries;
            rest.check.is_none()
        };
        let end = now_us();
        let cp_after = checkpoints(&c).await;
        let (lock_wait_ms, blocker) = sampler.stop().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let txs = tokio::task::block_in_place(|| writers.stop());
        let f = figures(&txs, start, end);
        let checks = check_rows(&c, f.inserted).await;
        let bad: Vec<&(String, i64)> = checks.iter().filter(|(_, n)| *n != 0).collect();
        all_ok &= drift_ok && bad.is_empty() && f.failed == 0;
        println!(
            "{mode}: total {:.1} s; longest writer transaction {:.1} ms from its scheduled start ({:.1} ms from its actual start), p99 {:.1} ms; longest writer lock wait seen {:.0} ms (behind: {blocker:?}); throughput {:.0}/s = {:.0}% of baseline; {} lock retries; writer transactions failed: {}; drift: {}; row checks (each over every row of its table): {}, rows lost/unmapped/wrong: {}",
            f.total.as_secs_f64(),
            f.max_wait_ms,
            f.max_exec_ms,
            f.p99_ms,
            lock_wait_ms,
            f.tps,
            100.0 * f.tps / base_fig.tps,
            retries,
            f.failed,
            if drift_ok { "0" } else { "DIFFERS" },
            checks.len(),
            if bad.is_empty() {
                "0".to_string()
            } else {
                format!("{bad:?}")
            }
        );
        if let (Some(b), Some(a)) = (cp_before, cp_after) {
            println!(
                "{mode}: checkpoints during the migration: {} timed, {} requested by WAL volume (max_wal_size {})",
                a.0 - b.0,
                a.1 - b.1,
                schemadiff_bench::scalar(&c, "SELECT current_setting('max_wal_size')").await
            );
        }
        println!(
            "{mode}: writer transactions over 100 ms: {} of {}",
            f.over_100ms, f.count
        );
        for (n, step) in over_100ms_by_step(&inside(&txs, start, end), &timeline) {
            println!("{mode}: over 100 ms: {n} during {step}");
        }
        for line in slowest(&txs, start, end, &timeline, 5) {
            println!("{mode}: slow writer transaction: {line}");
        }
        drop(c);
    }
    for db in ["baseline", "offline", "online", "base"] {
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{tag}_{db}\" WITH (FORCE)"
            ))
            .await
            .ok();
    }
    std::fs::remove_dir_all(&work).ok();
    assert!(all_ok, "a correctness check failed (see above)");
}
