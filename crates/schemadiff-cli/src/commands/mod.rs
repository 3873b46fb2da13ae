//! One module per subcommand.

pub mod apply;
pub mod drift;
pub mod fmt;
pub mod inspect;
pub mod online;
pub mod plan;
pub mod validate;
