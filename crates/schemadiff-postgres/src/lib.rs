//! schemadiff-postgres: talks to a live PostgreSQL database.
//!
//! - [`ConnectOptions`] / [`connect`]: a `postgres://` or `postgresql://` URL (argument,
//!   `DATABASE_URL`, or `.env`), Prisma's `?schema=`, TLS per `sslmode` with rustls.
//! - [`introspect`]: the catalog → [`schemadiff_model::Schema`], in a fixed number of queries,
//!   following docs/model.md; what the model cannot hold goes to `Schema.not_managed`.
//! - [`apply`] / [`apply_and_verify`]: planned SQL batches under an advisory lock, with
//!   timeouts, per-batch transactions and progress events.
//!
//! Passwords never appear in an error or a `Debug` output: see [`redact_url`].

mod apply;
mod connect;
mod error;
mod introspect;
mod url;

pub use apply::{
    ADVISORY_LOCK_KEY, ApplyOptions, ApplyReport, Phase, Progress, SqlBatch, SqlStatement, apply,
    apply_and_verify, query_text, server_version,
};
pub use connect::connect;
pub use error::{Error, ServerMessage};
pub use introspect::{IntrospectOptions, IntrospectStats, introspect, introspect_with_stats};
pub use tokio_postgres::Client;
pub use url::{ConnectOptions, SslMode, redact_url};
