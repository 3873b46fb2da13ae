//! The statements a plan runs, grouped in transactions: made by `schemadiff-plan`, run by
//! `schemadiff-postgres`. It lives here, below both, so that there is one type and the
//! database crate never depends on the planner.

use serde::Serialize;

/// One SQL statement and what it does, for progress and errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlStatement {
    /// What the step of the statement does (`Create table "User" (3 columns)`).
    pub description: String,
    /// The SQL text (one statement, without trailing `;`).
    pub sql: String,
}

/// A run of statements that share one transaction, or (when `transactional` is false) that
/// must each run outside any transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlBatch {
    /// True: `BEGIN … COMMIT` around the statements.
    pub transactional: bool,
    /// The statements, in order.
    pub statements: Vec<SqlStatement>,
}
