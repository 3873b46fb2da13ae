//! Scratch databases on the real PostgreSQL server: uniquely named, always dropped.

use schemadiff_testkit::unique_name;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The environment variable naming the server (the same one the test kit reads).
pub const ENV: &str = "SCHEMADIFF_TEST_DATABASE_URL";
/// The server used when [`ENV`] is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The maintenance URL of the server, from [`ENV`] or the default.
pub fn server_url() -> String {
    std::env::var(ENV).unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// The URL with its password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<unparsable URL>".to_string(),
    }
}

/// A runtime for one worker thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn connect(url: &str) -> Result<Client, String> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// One connection per call keeps nothing open that would block `DROP DATABASE` or
/// `CREATE DATABASE … TEMPLATE`.
pub struct Server {
    url: String,
    rt: tokio::runtime::Runtime,
    created: Vec<String>,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Server {
    /// Checks that the server answers.
    pub fn open(url: &str) -> Result<Server, String> {
        let rt = runtime();
        rt.block_on(async { connect(url).await.map(|_| ()) })?;
        Ok(Server {
            url: url.to_string(),
            rt,
            created: Vec::new(),
        })
    }

    /// The URL of database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        let mut u = url::Url::parse(&self.url).expect("server URL parses");
        u.set_path(&format!("/{name}"));
        u.to_string()
    }

    /// Creates an empty database (or a copy of `template`) and returns its name.
    pub fn create(&mut self, hint: &str, template: Option<&str>) -> Result<String, String> {
        let name = unique_name("sdc", hint, 30);
        let sql = match template {
            Some(t) => format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(t)
            ),
            None => format!("CREATE DATABASE {}", quote_ident(&name)),
        };
        let url = self.url.clone();
        self.rt.block_on(async {
            let c = connect(&url).await?;
            c.batch_execute(&sql)
                .await
                .map_err(|e| format!("cannot create database {name}: {}", err_text(&e)))
        })?;
        self.created.push(name.clone());
        Ok(name)
    }

    /// Drops every database this handle created.
    pub fn drop_all(&mut self) {
        let url = self.url.clone();
        let names = std::mem::take(&mut self.created);
        if names.is_empty() {
            return;
        }
        self.rt.block_on(async {
            if let Ok(c) = connect(&url).await {
                for n in names {
                    if let Err(e) = c
                        .batch_execute(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            quote_ident(&n)
                        ))
                        .await
                    {
                        eprintln!("warning: could not drop scratch database {n}: {e}");
                    }
                }
            }
        });
    }

    /// Runs SQL text (several statements) on database `db` through the simple protocol.
    pub fn execute(&self, db: &str, sql: &str) -> Result<(), String> {
        let url = self.url_of(db);
        self.rt.block_on(async {
            let c = connect(&url).await?;
            c.batch_execute(sql).await.map_err(|e| err_text(&e))
        })
    }

    /// Runs a migration script the way a migration tool does: as one simple-protocol message,
    /// or, when PostgreSQL refuses a statement inside the implicit transaction (`CREATE INDEX
    /// CONCURRENTLY` next to others), statement by statement.
    pub fn execute_script(&self, db: &str, sql: &str) -> Result<(), String> {
        match self.execute(db, sql) {
            Err(e) if e.contains("transaction block") || e.contains("pipeline") => {
                for stmt in split_statements(sql) {
                    self.execute(db, &stmt)?;
                }
                Ok(())
            }
            other => other,
        }
    }

    /// Rows of a query, every value as text (NULL as `None`).
    pub fn rows(&self, db: &str, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let url = self.url_of(db);
        self.rt.block_on(async {
            let c = connect(&url).await?;
            let msgs = c.simple_query(sql).await.map_err(|e| err_text(&e))?;
            Ok(msgs
                .into_iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect())
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.drop_all();
    }
}

/// The server's message (and detail) of an error, on one line.
pub fn err_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// Splits a script at `;` outside quotes, comments and dollar-quoted bodies.
pub fn split_statements(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                if let Some(end) = sql[i + 1..].find('$') {
                    let tag = &sql[i..i + end + 2];
                    if tag[1..tag.len() - 1]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_')
                        && let Some(close) = sql[i + tag.len()..].find(tag)
                    {
                        i += tag.len() + close + tag.len() - 1;
                    }
                }
            }
            b';' => {
                let s = sql[start..i].trim();
                if !s.is_empty() {
                    out.push(s.to_string());
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let s = sql[start..].trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    out
}

/// True when the script holds no statement (only comments and blanks).
pub fn has_statement(sql: &str) -> bool {
    split_statements(sql).iter().any(|s| {
        s.lines()
            .map(|l| l.split("--").next().unwrap_or("").trim())
            .any(|l| !l.is_empty())
    })
}
