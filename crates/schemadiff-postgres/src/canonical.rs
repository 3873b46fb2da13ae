//! Puts `dbgenerated` default expressions in the form PostgreSQL stores them.
//!
//! PostgreSQL rewrites a default expression when it stores it (`'a' || 'b'` comes back from
//! `pg_get_expr` as `('a'::text || 'b'::text)`), so a schema file and the database it created
//! would never compare equal. When one side of a comparison is a live database, the other side's
//! expressions are rewritten here by that same server: each is set as the default of a column on
//! a temporary table, read back with `pg_get_expr`, and everything is rolled back.

use crate::{Client, Error, query_text};
use schemadiff_model::{ColumnType, DefaultValue, Schema};

/// Rewrites every `DefaultValue::Expression` of `schema` into PostgreSQL's stored form.
/// Expressions the server rejects, and columns of enum or array type, are left as written.
/// Changes nothing in the database (one transaction, rolled back). Returns how many changed.
pub async fn canonicalize_expressions(
    client: &Client,
    schema: &mut Schema,
) -> Result<usize, Error> {
    let mut targets = Vec::new();
    for (qn, t) in &schema.tables {
        for (i, c) in t.columns.iter().enumerate() {
            if let Some(DefaultValue::Expression(e)) = &c.default {
                let plain = !matches!(c.ty, ColumnType::Enum(_) | ColumnType::Array(_));
                if plain && !e.starts_with("GENERATED ") {
                    targets.push((qn.clone(), i, c.ty.to_string(), e.clone()));
                }
            }
        }
    }
    if targets.is_empty() {
        return Ok(0);
    }
    query_text(client, "BEGIN").await?;
    let mut changed = 0;
    for (qn, i, ty, expr) in targets {
        let sql = format!(
            "SAVEPOINT schemadiff_canon; \
             CREATE TEMP TABLE schemadiff_canon (c {ty} DEFAULT {expr}) ON COMMIT DROP; \
             SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d \
              WHERE d.adrelid = 'pg_temp.schemadiff_canon'::regclass; \
             ROLLBACK TO SAVEPOINT schemadiff_canon"
        );
        let canonical = match query_text(client, &sql).await {
            Ok(rows) => rows
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten()),
            Err(_) => {
                // The server rejected the expression: keep it as written; the plan will show it.
                query_text(client, "ROLLBACK TO SAVEPOINT schemadiff_canon").await?;
                None
            }
        };
        if let Some(c) = canonical
            && let Some(col) = schema
                .tables
                .get_mut(&qn)
                .and_then(|t| t.columns.get_mut(i))
            && col.default != Some(DefaultValue::Expression(c.clone()))
        {
            col.default = Some(DefaultValue::Expression(c));
            changed += 1;
        }
    }
    query_text(client, "ROLLBACK").await?;
    Ok(changed)
}
