//! Comparing `dbgenerated` default expressions as PostgreSQL understands them.
//!
//! PostgreSQL rewrites a default expression when it stores it (`'a' || 'b'` comes back from
//! `pg_get_expr` as `('a'::text || 'b'::text)`), so a schema file and the database it created
//! would never compare equal as text. When one side of a comparison is a live database, the
//! server is asked whether the file's expression and the stored one are the same: each is
//! planned, never run, as `EXPLAIN (VERBOSE, COSTS OFF) SELECT CAST((expr) AS type)` and the
//! two plans are compared. When they are equal, the file side takes the stored text.
//!
//! Safety: the expression is text from a schema file. It is sent only inside a `READ ONLY`
//! transaction (see [`crate::ReadOnly`]), one statement per round trip through the extended
//! protocol (several statements are a parse error, never run), inside `EXPLAIN` without
//! `ANALYZE` (nothing is executed), each in its own savepoint. The column type is checked first
//! with `to_regtype($1)` (a parameter), which accepts a lone type name only; an expression or
//! type the server rejects is left as written and the comparison shows it.

use crate::error::Error;
use crate::readonly::{ReadOnly, execute};
use schemadiff_model::{DefaultValue, QualifiedName, Schema};
use std::collections::BTreeMap;
use tokio_postgres::Client;

/// Where `schema` and `reference` (the database) both have an expression default on the same
/// column and the texts differ, asks the server whether they are the same expression; if so,
/// `schema` takes `reference`'s text. Runs in the read-only transaction `ro`; changes nothing.
/// Returns how many defaults were rewritten.
pub async fn canonicalize_expressions(
    ro: &ReadOnly<'_>,
    schema: &mut Schema,
    reference: &Schema,
) -> Result<usize, Error> {
    align_expressions(ro.client(), schema, reference).await
}

/// [`canonicalize_expressions`] in whatever transaction `client` is in (used by
/// `apply_and_verify_target` inside the apply's own transaction, before `COMMIT`).
pub(crate) async fn align_expressions(
    client: &Client,
    schema: &mut Schema,
    reference: &Schema,
) -> Result<usize, Error> {
    let mut targets: Vec<(QualifiedName, usize, String, String, String)> = Vec::new();
    for (qn, t) in &schema.tables {
        let Some(rt) = reference.tables.get(qn) else {
            continue;
        };
        for (i, c) in t.columns.iter().enumerate() {
            let Some(DefaultValue::Expression(mine)) = &c.default else {
                continue;
            };
            let Some(rc) = rt.column(&c.name) else {
                continue;
            };
            let Some(DefaultValue::Expression(theirs)) = &rc.default else {
                continue;
            };
            if mine == theirs || mine.starts_with("GENERATED ") || theirs.starts_with("GENERATED ")
            {
                continue;
            }
            targets.push((
                qn.clone(),
                i,
                c.ty.to_string(),
                mine.clone(),
                theirs.clone(),
            ));
        }
    }
    let mut types: BTreeMap<String, bool> = BTreeMap::new();
    let mut changed = 0;
    for (qn, i, ty, mine, theirs) in targets {
        let ok = match types.get(&ty) {
            Some(ok) => *ok,
            None => {
                let ok = is_type_name(client, &ty).await?;
                types.insert(ty.clone(), ok);
                ok
            }
        };
        if !ok {
            continue;
        }
        let (Some(a), Some(b)) = (
            explain(client, &mine, &ty).await?,
            explain(client, &theirs, &ty).await?,
        ) else {
            continue;
        };
        if a == b
            && let Some(col) = schema
                .tables
                .get_mut(&qn)
                .and_then(|t| t.columns.get_mut(i))
        {
            col.default = Some(DefaultValue::Expression(theirs));
            changed += 1;
        }
    }
    Ok(changed)
}

/// True when `ty` is one type name the server knows (`to_regtype` parses exactly one type
/// name, so such text cannot carry anything else into a statement).
async fn is_type_name(client: &Client, ty: &str) -> Result<bool, Error> {
    let ok = in_savepoint(client, async {
        client
            .query_one("SELECT to_regtype($1) IS NOT NULL", &[&ty])
            .await
            .map(|r| r.get::<_, bool>(0))
    })
    .await?;
    Ok(ok == Some(true))
}

/// The plan of `SELECT CAST((expr) AS ty)`, or `None` when the server rejects it.
async fn explain(client: &Client, expr: &str, ty: &str) -> Result<Option<String>, Error> {
    let sql = format!("EXPLAIN (VERBOSE, COSTS OFF) SELECT CAST(({expr}\n) AS {ty})");
    in_savepoint(client, async {
        client.query(&sql, &[]).await.map(|rows| {
            rows.iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
                .join("\n")
        })
    })
    .await
}

/// Runs `f` in a savepoint; an error from it rolls back to the savepoint and gives `None`.
async fn in_savepoint<T>(
    client: &Client,
    f: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<Option<T>, Error> {
    execute(client, "SAVEPOINT schemadiff_canon", "savepoint").await?;
    match f.await {
        Ok(v) => {
            execute(client, "RELEASE SAVEPOINT schemadiff_canon", "savepoint").await?;
            Ok(Some(v))
        }
        Err(_) => {
            execute(
                client,
                "ROLLBACK TO SAVEPOINT schemadiff_canon",
                "savepoint",
            )
            .await?;
            Ok(None)
        }
    }
}
