//! Test support for schemadiff: throwaway PostgreSQL databases and expected-output files.
//!
//! - [`TestDb`] gives each test its own uniquely named database on a real PostgreSQL server and
//!   drops it afterwards. The server comes from `SCHEMADIFF_TEST_DATABASE_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`). When nothing answers there, a throwaway
//!   cluster is started from the local PostgreSQL binaries (`initdb` / `pg_ctl`), once per test
//!   process. When neither works, the test fails with a message saying how to provide a server:
//!   it never passes silently.
//! - [`assert_file`] compares output with a reviewed file under `fixtures/`; with
//!   `UPDATE_EXPECT=1` it rewrites the file instead.
//!
//! - [`cases`] makes each fixture case its own named test (a `harness = false` test target),
//!   and finds expected files that belong to no case.
//!
//! This crate is used only as a dev-dependency.

pub mod cases;
mod db;
mod expect;

pub use db::{TestDb, server_major, server_url, unique_name};
pub use expect::{assert_file, workspace_root};
