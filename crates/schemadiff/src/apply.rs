//! Applying a plan to a live database: the plan's batches as the database crate runs them, the
//! session advisory lock, and the choice between one verified transaction and batch by batch.

use schemadiff_model::Schema;
use schemadiff_plan::Plan;
use schemadiff_postgres::{
    ApplyOptions, ApplyReport, Client, IntrospectOptions, Progress, SqlBatch,
};

/// The plan's statements grouped in transactions, as [`schemadiff_postgres::apply`] runs them
/// (the plan and the database crate share the one batch type of the model crate).
pub fn batches(plan: &Plan) -> Vec<SqlBatch> {
    plan.batches()
}

/// True when the batches run as one transaction, verified before its `COMMIT`. Several batches
/// exist only where PostgreSQL forbids one transaction (a new enum label must be committed
/// before use), so they are never merged.
pub fn one_transaction(batches: &[SqlBatch]) -> bool {
    matches!(batches, [only] if only.transactional)
}

/// Takes the schemadiff advisory lock for this session (waiting when `wait`, refusing
/// otherwise). Session advisory locks nest, so [`apply_batches`] can take it once more and
/// release it once. Release it with [`release_lock`] (or hold it with [`with_lock`], which
/// does both): a lock left to the end of the session is held until the server has noticed
/// that end, after the process is gone, and a command started right after would find it held.
pub async fn hold_lock(client: &Client, wait: bool) -> anyhow::Result<()> {
    if !schemadiff_postgres::advisory_lock(client, wait).await? {
        anyhow::bail!(
            "another schemadiff apply holds the lock on this database; retry later or pass --wait"
        );
    }
    Ok(())
}

/// Releases the schemadiff advisory lock this session holds (every hold of it), after rolling
/// back a transaction an early return left open. Best effort: when the connection is broken
/// the server releases the lock with the session, so there is nothing to report.
pub async fn release_lock(client: &Client) {
    let _ = schemadiff_postgres::advisory_unlock(client).await;
}

/// Runs `body` holding the schemadiff advisory lock ([`hold_lock`]), and releases it
/// ([`release_lock`]) before returning, whatever `body` returned: success, error or early
/// return. When the lock cannot be had, `body` does not run.
pub async fn with_lock<T>(
    client: &mut Client,
    wait: bool,
    body: impl AsyncFnOnce(&mut Client) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    hold_lock(client, wait).await?;
    let result = body(client).await;
    release_lock(client).await;
    result
}

/// What [`apply_batches`] did.
#[derive(Debug)]
pub struct Applied {
    /// The database crate's report.
    pub report: ApplyReport,
    /// True when everything ran in one transaction checked before its `COMMIT`.
    pub one_transaction: bool,
}

/// Why [`apply_batches`] failed.
#[derive(Debug)]
pub enum ApplyError {
    /// One transaction: a statement failed or the check refused; nothing was changed.
    OneTransaction(schemadiff_postgres::Error),
    /// Batch by batch: a batch failed; the batches before it are committed.
    Batch(schemadiff_postgres::Error),
    /// Every batch was committed (the report), but the database could not be read back to
    /// check it.
    ReadBack(ApplyReport, schemadiff_postgres::Error),
    /// Every batch was committed (the report), but the database differs from the target (the
    /// check's words).
    Differs(ApplyReport, String),
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::OneTransaction(e) | ApplyError::Batch(e) | ApplyError::ReadBack(_, e) => {
                write!(f, "{e}")
            }
            ApplyError::Differs(_, why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Applies `batches`: when they are [`one_transaction`], in one transaction that `verify`
/// checks (introspected with `iopts`) before `COMMIT`; otherwise batch by batch, each
/// committing on its own, and then the database is read back in a READ ONLY transaction and
/// checked (a failed check can only be reported: the batches are committed). Before `verify`
/// sees the result, its `dbgenerated` expressions that the server says are the same as
/// `target`'s take `target`'s text, so that `verify` can compare it with `target` directly.
///
/// The engine handles no signal: a caller that wants Ctrl-C to stop the apply sends
/// PostgreSQL a cancel request (`schemadiff_postgres::cancel_running`) while it awaits this
/// future; the running statement then fails and its transaction is rolled back.
pub async fn apply_batches(
    client: &mut Client,
    batches: &[SqlBatch],
    aopts: &ApplyOptions,
    iopts: &IntrospectOptions,
    target: &Schema,
    progress: &mut dyn FnMut(Progress),
    verify: impl Fn(&Schema) -> Result<(), String>,
) -> Result<Applied, ApplyError> {
    if one_transaction(batches) {
        let (report, _) = schemadiff_postgres::apply_and_verify_target(
            client,
            batches,
            aopts,
            iopts,
            Some(target),
            progress,
            &verify,
        )
        .await
        .map_err(ApplyError::OneTransaction)?;
        return Ok(Applied {
            report,
            one_transaction: true,
        });
    }
    let report = schemadiff_postgres::apply(client, batches, aopts, progress)
        .await
        .map_err(ApplyError::Batch)?;
    let read_back = async {
        let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
        let mut after = schemadiff_postgres::introspect(ro.client(), iopts).await?;
        schemadiff_postgres::canonicalize_expressions(&ro, &mut after, target).await?;
        ro.finish().await?;
        Ok::<_, schemadiff_postgres::Error>(after)
    };
    let after = match read_back.await {
        Ok(after) => after,
        Err(e) => return Err(ApplyError::ReadBack(report, e)),
    };
    if let Err(why) = verify(&after) {
        return Err(ApplyError::Differs(report, why));
    }
    Ok(Applied {
        report,
        one_transaction: false,
    })
}
