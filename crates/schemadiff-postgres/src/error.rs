//! The error type of the crate, and the helpers that keep passwords out of error text.
//!
//! Every message is lower-case and chains its context (`cannot connect to postgres://u:***@h/db:
//! …`). Errors never hold a `tokio_postgres::Error` itself: its text is copied through
//! [`scrub`], which replaces any known password with `***`, so neither `Display` nor `Debug`
//! of an [`Error`] can show a password.

use std::fmt;

/// Everything that can go wrong when talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection string could not be understood.
    #[error("invalid database url {url}: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No URL argument, no `DATABASE_URL` variable and no `.env` entry.
    #[error(
        "no database url: pass one, set DATABASE_URL, or put DATABASE_URL=... in a .env file in the current directory"
    )]
    NoUrl,
    /// A `.env` file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    EnvFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// TLS could not be set up (bad `sslrootcert`, …).
    #[error("cannot set up tls for {url}: {reason}")]
    Tls {
        /// The URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// Connecting or authenticating failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's or server's message, password scrubbed.
        reason: String,
    },
    /// A query failed (introspection, lock handling, pre-flight queries).
    #[error("{context} failed: {server}")]
    Query {
        /// What was being done (`introspection query columns.sql`).
        context: String,
        /// The server's message and SQLSTATE.
        server: ServerMessage,
    },
    /// Another session holds the schemadiff advisory lock and waiting was not requested.
    #[error(
        "another schemadiff apply is running on this database (advisory lock {key} is held); retry later or wait for it with the wait option"
    )]
    LockHeld {
        /// The advisory lock key.
        key: i64,
    },
    /// One statement of an apply failed.
    #[error(
        "statement {index} of {total} ({description}) failed: {server}; {}",
        if *.rolled_back { "its transaction was rolled back" } else { "it ran outside a transaction, earlier statements stay applied" }
    )]
    Statement {
        /// 1-based position of the statement in the whole apply.
        index: usize,
        /// Number of statements in the apply.
        total: usize,
        /// The statement's description.
        description: String,
        /// The statement's SQL.
        sql: String,
        /// The server's message and SQLSTATE.
        server: ServerMessage,
        /// True when the statement's batch was rolled back (a transactional batch).
        rolled_back: bool,
    },
    /// `apply_and_verify` was given work that cannot run in one transaction.
    #[error("cannot verify before commit: {0}")]
    NotOneTransaction(String),
    /// The verification callback refused the result; everything was rolled back.
    #[error("verification failed, nothing was committed: {0}")]
    VerifyFailed(String),
    /// A migration script failed while it was replayed into a shadow database.
    #[error("migration {script} failed on the shadow database: {server}")]
    Replay {
        /// The script's name.
        script: String,
        /// The server's message and SQLSTATE.
        server: ServerMessage,
    },
    /// Online mode cannot keep its state in the database.
    #[error("online mode: {0}")]
    OnlineState(String),
    /// The catalog returned something introspection cannot interpret.
    #[error("unexpected catalog data: {0}")]
    Catalog(String),
}

impl Error {
    /// The SQLSTATE of the server error behind this error, if any (`55P03` for a lock timeout).
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Query { server, .. }
            | Error::Statement { server, .. }
            | Error::Replay { server, .. } => server.code.as_deref(),
            _ => None,
        }
    }
}

/// A server (or driver) error message with its SQLSTATE, scrubbed of passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    /// The message (`canceling statement due to lock timeout`), with detail and hint if any.
    pub message: String,
    /// The SQLSTATE code, when the server sent one.
    pub code: Option<String>,
}

impl fmt::Display for ServerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (sqlstate {code})")?;
        }
        Ok(())
    }
}

impl ServerMessage {
    /// Copies a driver error, keeping the server's message, detail, hint and SQLSTATE.
    pub(crate) fn from_pg(e: &tokio_postgres::Error, secrets: &[&str]) -> Self {
        match e.as_db_error() {
            Some(db) => {
                let mut message = db.message().to_string();
                if let Some(detail) = db.detail() {
                    message.push_str(&format!(" (detail: {detail})"));
                }
                if let Some(hint) = db.hint() {
                    message.push_str(&format!(" (hint: {hint})"));
                }
                ServerMessage {
                    message: scrub(&message, secrets),
                    code: Some(db.code().code().to_string()),
                }
            }
            None => ServerMessage {
                message: scrub(&describe(e), secrets),
                code: e.code().map(|c| c.code().to_string()),
            },
        }
    }
}

/// The driver's text for a non-server error, with its causes, lower-cased first letter.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Replaces every non-empty secret in `text` with `***`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if !s.is_empty() {
            out = out.replace(s, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces_all_secrets() {
        assert_eq!(
            scrub("a hunter2 b hunter2", &["hunter2", ""]),
            "a *** b ***"
        );
    }

    #[test]
    fn server_message_shows_code() {
        let m = ServerMessage {
            message: "canceling statement due to lock timeout".into(),
            code: Some("55P03".into()),
        };
        assert_eq!(
            m.to_string(),
            "canceling statement due to lock timeout (sqlstate 55P03)"
        );
    }
}
