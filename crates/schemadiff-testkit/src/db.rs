//! Throwaway databases on a real PostgreSQL server.

use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const ENV: &str = "SCHEMADIFF_TEST_DATABASE_URL";
const PG_BIN_ENV: &str = "SCHEMADIFF_PG_BIN";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// The URL of the maintenance database of the test server (see the crate docs).
///
/// Panics, with instructions, when no server can be reached or started.
pub fn server_url() -> String {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(resolve_server)
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn resolve_server() -> Result<String, String> {
    let configured = std::env::var(ENV).ok();
    let url = configured
        .clone()
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let first = runtime().block_on(async { connect(&url).await.map(|_| ()) });
    match first {
        Ok(()) => Ok(url),
        Err(e) if configured.is_some() => Err(format!(
            "cannot reach the PostgreSQL server named by {ENV} ({}): {e}\n\
             Fix the URL or unset it to use {DEFAULT_URL}.",
            redact(&url)
        )),
        Err(e) => start_throwaway_cluster().map_err(|why| {
            format!(
                "no PostgreSQL server for the tests: {DEFAULT_URL} did not answer ({e}), and no throwaway \
                 cluster could be started ({why}).\n\
                 Provide one: start PostgreSQL on 127.0.0.1:5432 with trust auth for user `postgres`, or set \
                 {ENV}=postgres://USER:PASSWORD@HOST:PORT/postgres (a role allowed to CREATE DATABASE), or put \
                 PostgreSQL's initdb and pg_ctl on PATH."
            )
        }),
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Starts a cluster under the system temp dir on a free port; it lives as long as the machine.
fn start_throwaway_cluster() -> Result<String, String> {
    let base = std::env::temp_dir().join(format!("schemadiff-pg-{}", std::process::id()));
    let data = base.join("data");
    std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{:?} failed: {}",
                cmd.get_program(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(Command::new("initdb")
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&data))?;
    run(Command::new("pg_ctl")
        .arg("-D")
        .arg(&data)
        .args(["-l"])
        .arg(base.join("log"))
        .args([
            "-o",
            &format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1",
                base.display()
            ),
            "-w",
            "start",
        ]))?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    runtime()
        .block_on(async { connect(&url).await.map(|_| ()) })
        .map_err(|e| e.to_string())?;
    Ok(url)
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The major version of the test server (`server_version_num / 10000`: 15 for 15.20).
///
/// Panics, with instructions, when no server can be reached or started.
pub fn server_major() -> u32 {
    static MAJOR: OnceLock<u32> = OnceLock::new();
    *MAJOR.get_or_init(|| {
        let url = server_url();
        let num: u32 = runtime()
            .block_on(async {
                let c = connect(&url).await?;
                c.query_one("SELECT current_setting('server_version_num')::int4", &[])
                    .await
                    .map(|r| r.get::<_, i32>(0))
            })
            .unwrap_or_else(|e| panic!("cannot read the test server's version: {e}"))
            .try_into()
            .expect("a positive server_version_num");
        num / 10_000
    })
}

/// A fresh database, dropped when the value is dropped.
pub struct TestDb {
    /// The database name (`sdt_<hint>_<pid>_<n>`, at most 63 bytes).
    pub name: String,
    /// A URL connecting to this database.
    pub url: String,
    server: String,
}

/// A database name no other test or process uses: `{prefix}_{hint}_{pid}_{n}`, the hint cut to
/// `max_hint` characters of `[a-z0-9_]` (anything else becomes `_`), so that it stays a plain
/// PostgreSQL identifier within 63 bytes.
pub fn unique_name(prefix: &str, hint: &str, max_hint: usize) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let clean: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(max_hint)
        .collect();
    format!(
        "{prefix}_{clean}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

impl TestDb {
    /// Creates a uniquely named empty database. `hint` names the test (only `[a-z0-9_]` is kept).
    pub fn create(hint: &str) -> TestDb {
        let server = server_url();
        let name = unique_name("sdt", hint, 36);
        let sql = format!("CREATE DATABASE \"{name}\"");
        runtime()
            .block_on(async {
                let c = connect(&server).await?;
                c.batch_execute(&sql).await
            })
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let url = replace_db(&server, &name);
        TestDb { name, url, server }
    }

    /// Runs SQL (several statements allowed); panics with the server's message on error.
    #[track_caller]
    pub fn execute(&self, sql: &str) {
        if let Err(e) = self.try_execute(sql) {
            panic!("SQL failed on {}: {e}\n--- SQL ---\n{sql}", self.name);
        }
    }

    /// Runs SQL (several statements allowed) through the simple protocol, in one implicit
    /// transaction unless the text manages its own. Returns the server's message on error.
    pub fn try_execute(&self, sql: &str) -> Result<(), String> {
        runtime().block_on(async {
            let c = connect(&self.url).await.map_err(|e| e.to_string())?;
            c.batch_execute(sql)
                .await
                .map_err(|e| match e.as_db_error() {
                    Some(db) => format!("{}: {}", db.severity(), db.message()),
                    None => e.to_string(),
                })
        })
    }

    /// Runs a query and returns every row as text (`None` for NULL), in the server's order.
    #[track_caller]
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        runtime()
            .block_on(async {
                let c = connect(&self.url).await?;
                c.simple_query(sql).await
            })
            .unwrap_or_else(|e| panic!("query failed on {}: {e}\n{sql}", self.name))
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    }

    /// A catalog fingerprint of the `public` schema: `pg_dump --schema-only` output without
    /// comments, settings and the dump's random `\restrict` keys. Two databases with the same
    /// tables, columns, types, defaults, constraints and indexes give the same text.
    ///
    /// `pg_dump` is taken from `$SCHEMADIFF_PG_BIN` when set (a directory), else from `PATH`. It
    /// refuses servers newer than itself: for those, point `SCHEMADIFF_PG_BIN` at a newer client
    /// (`scripts/pg-server.sh tools` installs pg_dump 18).
    pub fn schema_dump(&self) -> String {
        let pg_dump = match std::env::var_os(PG_BIN_ENV) {
            Some(dir) => std::path::PathBuf::from(dir).join("pg_dump"),
            None => "pg_dump".into(),
        };
        let out = Command::new(&pg_dump)
            .args([
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-comments",
                "--schema=public",
            ])
            .arg(format!("--dbname={}", self.url))
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e} (put PostgreSQL's client on PATH or set {PG_BIN_ENV})",
                    pg_dump.display()
                )
            });
        assert!(
            out.status.success(),
            "{} failed: {}(a pg_dump older than the server refuses it: set {PG_BIN_ENV} to a newer \
             client's bin directory, e.g. the one `scripts/pg-server.sh tools` prints)",
            pg_dump.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| {
                !l.starts_with("--")
                    && !l.starts_with('\\')
                    && !l.starts_with("SET ")
                    && !l.starts_with("SELECT pg_catalog.set_config")
                    // This machine's PostgreSQL 15 build stamps every column with a
                    // `pg_attver` attribute option (a per-column version, different in every
                    // database); its own pg_dump leaves it out, a newer pg_dump prints it.
                    && !l.contains(" SET (pg_attver=")
            })
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let server = self.server.clone();
        let _ = runtime().block_on(async move {
            let c = connect(&server).await?;
            c.batch_execute(&sql).await
        });
    }
}

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_db_keeps_host_and_query() {
        assert_eq!(
            replace_db("postgres://u@h:5/postgres", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(replace_db("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(
            replace_db("postgres://u@h/p?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }

    #[test]
    fn redact_hides_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert!(!redact("postgres://u:secret@h/db").contains("secret"));
    }

    #[test]
    fn databases_are_isolated_and_dropped() {
        let name;
        {
            let a = TestDb::create("isolation");
            let b = TestDb::create("isolation");
            assert_ne!(a.name, b.name);
            a.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
            assert_eq!(a.rows("SELECT x FROM t"), vec![vec![Some("1".to_string())]]);
            assert!(b.try_execute("SELECT x FROM t").is_err());
            name = a.name.clone();
        }
        let admin = TestDb::create("isolation_check");
        let left = admin.rows(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        ));
        assert_eq!(left, vec![vec![Some("0".to_string())]]);
    }
}
