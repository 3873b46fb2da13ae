//! Random round trips (differential testing) for the whole pipeline.
//!
//! [`generate`] turns a seed into a [`Case`]: two schemas written as DSL text (`from`, `to`),
//! the mapping file between them, and `INSERT`s that fill a database built from `from`. The
//! integration tests of this crate plan `from → to`, apply the plan to such a database and check
//! it against [`oracle::expect`], which says what every row must hold afterwards. The oracle
//! reads only the two schemas, the mapping file (parsed here, not by the planner) and the rows
//! as they were before the plan, so a fixture saved from a failing case can be replayed without
//! the generator.
//!
//! The generator is deterministic: a hand-written SplitMix64 ([`Rng`]) and ordered collections,
//! so a seed names the same case on every machine and with every dependency version.

pub mod generate;
pub mod oracle;
mod rng;

pub use generate::{Case, generate};
pub use rng::Rng;
