//! The schemadiff engine: everything between the command line and the stage crates.
//!
//! - [`source`]: SOURCEs (a schema file or a folder of them ([`schema_folder`]), `empty`, a
//!   `postgres://` URL, a `.sql` file or a directory of SQL migrations) read into the model, a
//!   database side introspected in one READ ONLY transaction in every namespace the other side
//!   uses, SQL migrations read offline or replayed on a shadow server
//!   ([`LoadOptions::shadow_db`]);
//! - [`config`]: `schemadiff.toml`, found upward from a directory; [`discover`]: the schema of
//!   a Prisma project found where Prisma finds it;
//! - the one name [`Resolver`]: mapping-file keys (DSL model and field names) to database names;
//! - [`make_plan`]: the mapping file read with those names, the plan made for the PostgreSQL
//!   version [`target_version`] chooses; [`same_schema`], the check `drift` and `apply` make;
//! - [`batches`] and [`apply_batches`]: the plan's transactions, applied in one transaction
//!   verified before `COMMIT` when PostgreSQL allows it, else batch by batch and checked after,
//!   under the session advisory lock ([`with_lock`]: [`hold_lock`], then [`release_lock`] on
//!   every path); the result is read back with its `dbgenerated` text aligned with the target's.
//!
//! - [`migrations`]: migration folders in Prisma's layout, their checksums and status against
//!   `_prisma_migrations`, and [`migrations::deploy`] (one folder through [`apply_batches`] with
//!   Prisma's bookkeeping).
//!
//! Features (both on by default): `db` (database sources, [`apply`]; needs
//! `schemadiff-postgres`) and `sqlfile` (SQL migration sources). Without them the engine loads
//! schema files and `empty`, resolves names and plans, with no network or SQL parser in the
//! build (the fuzz targets use it so).
//!
//! The engine never prints: what the user must see while loading goes to
//! [`LoadOptions::report`]; errors are values. Rendering a plan as SQL, JSON or Markdown is
//! `schemadiff-render`'s job.
//!
//! # Example
//!
//! Plan the seed upgrade of this repository and walk its transactions:
//!
//! ```
//! use schemadiff::{LoadOptions, batches, load_pair, make_plan};
//! use std::path::Path;
//!
//! # fn main() -> anyhow::Result<()> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let (from, to) = rt.block_on(load_pair(
//!     "../../schemas/v1.2.prisma",
//!     "../../schemas/v2.0.prisma",
//!     LoadOptions::default(),
//! ))?;
//! let plan = make_plan(
//!     &from,
//!     &to,
//!     Some(Path::new("../../schemas/v1.2-to-v2.0.toml")),
//!     None, // no database side and no version asked for: the default, 13
//! )?;
//! assert_eq!(plan.pg_version, 13);
//! assert!(plan.refused(&[]).is_empty(), "the mapping file maps every legacy value");
//! let transactions = batches(&plan);
//! assert!(schemadiff::one_transaction(&transactions));
//! assert!(transactions[0].statements.iter().any(|s| s.sql.starts_with("CREATE TYPE")));
//! // A file compared with itself needs nothing.
//! assert!(schemadiff::same_schema(&to.schema, &to.schema));
//! # Ok(())
//! # }
//! ```
//!
//! Applying it to a live database (what `schemadiff apply` does, without the pre-flight and
//! the confirmation):
//!
//! ```no_run
//! # async fn run(from: schemadiff::Loaded, to: schemadiff::Loaded) -> anyhow::Result<()> {
//! use schemadiff_postgres::{ApplyOptions, ConnectOptions, connect};
//!
//! let conn = ConnectOptions::resolve(Some("postgres://postgres@127.0.0.1:5432/app"))?;
//! let mut client = connect(&conn).await?;
//! let plan = schemadiff::make_plan(&from, &to, None, None)?;
//! let iopts = schemadiff::introspect_options(&conn, &schemadiff::namespaces(&to.schema));
//! // The lock is held while the closure runs and released whatever it returns.
//! let applied = schemadiff::with_lock(&mut client, false, async |client| {
//!     let applied = schemadiff::apply_batches(
//!         client,
//!         &schemadiff::batches(&plan),
//!         &ApplyOptions::default(),
//!         &iopts,
//!         &to.schema,
//!         &mut |_progress| {},
//!         |after| {
//!             if schemadiff::same_schema(after, &to.schema) {
//!                 Ok(())
//!             } else {
//!                 Err("the database differs from the target".into())
//!             }
//!         },
//!     )
//!     .await?;
//!     Ok(applied)
//! })
//! .await?;
//! println!("{} statement(s)", applied.report.statements);
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "db")]
pub mod apply;
pub mod config;
pub mod discover;
pub mod migrations;
pub mod online;
pub mod plan;
pub mod schema_folder;
pub mod source;

#[cfg(feature = "db")]
pub use apply::{
    Applied, ApplyError, apply_batches, batches, hold_lock, one_transaction, release_lock,
    with_lock,
};
#[cfg(feature = "db")]
pub use online::{
    OnlineApplied, apply_online, online_in_progress, online_resume, online_revision, online_steps,
};
pub use online::{OnlineOrigin, make_online_plan};
pub use plan::{
    change_summaries, make_plan, parse_mapping, read_mapping, same_schema, target_version,
};
pub use schemadiff_diff::{enum_order_differences, with_columns_ordered_as};
pub use source::{
    LoadOptions, Loaded, Resolver, SourceKind, classify, load, load_dsl, load_pair, namespaces,
    not_managed_notes,
};
#[cfg(feature = "db")]
pub use source::{introspect_options, load_database, read_database};
