//! One module per subcommand.

pub mod apply;
pub mod completions;
pub mod drift;
pub mod fmt;
pub mod inspect;
pub mod migrate;
pub mod online;
pub mod plan;
pub mod validate;
