//! Helpers shared by the benchmark binaries (`schemadiff-bench`, `schemadiff-bench-upgrade`,
//! `schemadiff-bench-online`):
//! where the repository is, timing, and the server to run on. They report figures; they never
//! assert speed.

use std::path::PathBuf;
use std::time::Duration;

pub use schemadiff_testkit::workspace_root;

/// A file of the repository, by its path from the workspace root.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The median of some timings (the upper one of the middle two for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A binary built next to this one (`cargo build --release -p schemadiff-cli` builds
/// `schemadiff` into the same directory).
pub fn sibling_binary(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("current exe");
    let p = me.with_file_name(name);
    assert!(
        p.exists(),
        "{} not found: build it first (cargo build --release -p schemadiff-cli)",
        p.display()
    );
    p
}

/// The server to benchmark on: `SCHEMADIFF_BENCH_DATABASE_URL`, else the test server
/// (`SCHEMADIFF_TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`; see
/// docs/testing.md), a role allowed to create databases.
pub fn server_url() -> String {
    std::env::var("SCHEMADIFF_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| schemadiff_testkit::server_url())
}

/// `schemadiff` arguments that plan the seed upgrade (run from the workspace root).
pub const SEED_PLAN_ARGS: [&str; 7] = [
    "plan",
    "--from",
    "schemas/v1.2.prisma",
    "--to",
    "schemas/v2.0.prisma",
    "--map",
    "schemas/v1.2-to-v2.0.toml",
];

/// The seed schemas (v1.2, v2.0) and their mapping file, mapping keys resolved as the command
/// line resolves them.
pub fn seed_mapping(
    from: &schemadiff_dsl::Lowered,
    to: &schemadiff_dsl::Lowered,
) -> schemadiff_plan::Mapping {
    let resolver = schemadiff::Resolver {
        maps: vec![&to.names, &from.names],
    };
    schemadiff_plan::Mapping::parse(&read("schemas/v1.2-to-v2.0.toml"), &resolver)
        .expect("mapping file")
}

/// `url` with its database name replaced by `db` (the query string, if any, kept).
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(base.len());
    format!("{}/{db}{query}", &base[..cut])
}

/// A connection to `url`; panics (naming the server without its password) when it fails.
pub async fn connect(url: &str) -> schemadiff_postgres::Client {
    let opts = schemadiff_postgres::ConnectOptions::from_url(url).expect("database URL");
    schemadiff_postgres::connect(&opts)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", opts.redacted()))
}

/// The first column of the first row `sql` returns, as text (empty for none or NULL); panics
/// naming the statement when it fails.
pub async fn scalar(c: &schemadiff_postgres::Client, sql: &str) -> String {
    schemadiff_postgres::query_text(c, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .unwrap_or_default()
}
