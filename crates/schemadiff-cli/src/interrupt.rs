//! Ctrl-C (SIGINT) and SIGTERM while `apply` changes the database.
//!
//! Killing the process would leave PostgreSQL running the current statement until it notices
//! the lost client. Instead, [`run_cancellable`] lets the apply run; on the first signal it
//! sends PostgreSQL a cancel request for the running statement and keeps waiting: the
//! statement fails, the apply rolls its transaction back and releases the advisory lock, and
//! the caller says what state the database is in and exits with 128 + the signal number.

use std::fmt;
use std::future::Future;
use tokio::signal::unix::{SignalKind, signal};

/// The signal that interrupted the apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

impl Interrupt {
    /// The conventional exit code: 128 + the signal number (130, 143).
    pub fn exit_code(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        })
    }
}

/// Runs `work` to its end. When SIGINT or SIGTERM arrives first, runs `cancel` once (the
/// cancel request) and goes on waiting for `work`, which then fails and rolls back. Returns
/// what `work` returned and the signal, if one arrived.
pub async fn run_cancellable<T, E: fmt::Display>(
    work: impl Future<Output = T>,
    cancel: impl Future<Output = Result<(), E>>,
) -> (T, Option<Interrupt>) {
    let (mut int, mut term) = match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(i), Ok(t)) => (i, t),
        // No signal handling available: run as before (a signal kills the process and the
        // server rolls back the transaction of the lost session).
        _ => return (work.await, None),
    };
    tokio::pin!(work);
    tokio::pin!(cancel);
    let mut got = None;
    loop {
        tokio::select! {
            biased;
            out = &mut work => return (out, got),
            _ = int.recv(), if got.is_none() => got = Some(Interrupt::Int),
            _ = term.recv(), if got.is_none() => got = Some(Interrupt::Term),
        }
        if let Some(sig) = got {
            eprintln!(
                "{sig} received: cancelling the running statement; waiting for PostgreSQL to roll back …"
            );
            if let Err(e) = (&mut cancel).await {
                crate::output::warn(&format!(
                    "the cancel request failed ({e}); the statement ends when PostgreSQL notices the lost connection"
                ));
            }
        }
    }
}

/// The `cancel` of a runner that looks at `stop` before each transaction: raise it (no next
/// transaction starts), then ask PostgreSQL to cancel the running statement.
pub async fn stop_and_cancel(
    stop: &std::sync::atomic::AtomicBool,
    conn: &schemadiff_postgres::ConnectOptions,
    token: &schemadiff_postgres::CancelToken,
) -> Result<(), schemadiff_postgres::Error> {
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    schemadiff_postgres::cancel_running(conn, token).await
}
