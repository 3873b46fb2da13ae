//! Read-only database work: one statement per round trip, inside `READ ONLY` transactions.
//!
//! Every query this crate sends goes through the extended query protocol ([`query_text`]):
//! PostgreSQL parses one statement per `Parse` message and refuses a string holding several
//! (`cannot insert multiple commands into a prepared statement`), so no text, wherever it comes
//! from, can smuggle a `COMMIT` and a second statement into a query.
//!
//! Commands that only read (`inspect`, `drift`, `plan` with a database side, `apply --dry-run`
//! and `apply`'s pre-flight) do all their database work inside a [`ReadOnly`] transaction
//! (`BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ`, ended with `ROLLBACK`): the server itself
//! refuses any write, and every catalog query sees the same snapshot. They work for a role that
//! has only `CONNECT` and `SELECT` and `default_transaction_read_only = on`.

use crate::error::{Error, ServerMessage};
use tokio_postgres::types::{FromSql, Kind, Type};
use tokio_postgres::{Client, Statement};

/// A `READ ONLY` transaction on a client. Make it with [`ReadOnly::begin`], end it with
/// [`ReadOnly::finish`] (a `ROLLBACK`: there is nothing to keep). Dropped without `finish`, the
/// transaction stays open until the connection closes (the server then rolls it back).
pub struct ReadOnly<'a> {
    client: &'a Client,
}

impl<'a> ReadOnly<'a> {
    /// `BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ`. The client must not be inside a
    /// transaction already.
    pub async fn begin(client: &'a Client) -> Result<ReadOnly<'a>, Error> {
        execute(
            client,
            "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ",
            "starting a read-only transaction",
        )
        .await?;
        Ok(ReadOnly { client })
    }

    /// The client, for functions that take one (`introspect`, `server_version_num`).
    pub fn client(&self) -> &'a Client {
        self.client
    }

    /// [`query_text`] inside this transaction.
    pub async fn query_text(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, Error> {
        query_text(self.client, sql).await
    }

    /// Ends the transaction with `ROLLBACK`.
    pub async fn finish(self) -> Result<(), Error> {
        execute(self.client, "ROLLBACK", "ending the read-only transaction").await
    }
}

/// Runs one statement with no parameters through the extended protocol.
pub(crate) async fn execute(client: &Client, sql: &str, what: &str) -> Result<(), Error> {
    client
        .execute(sql, &[])
        .await
        .map(|_| ())
        .map_err(|e| Error::Query {
            context: what.to_string(),
            server: ServerMessage::from_pg(&e, &[]),
        })
}

/// Runs ONE statement through the extended protocol and returns every row as text (`None` =
/// NULL), as PostgreSQL's output functions print the values (`t`/`f` for booleans).
/// A string with several statements is an error from the server, never run.
pub async fn query_text(client: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, Error> {
    let err = |e: tokio_postgres::Error| Error::Query {
        context: "query".into(),
        server: ServerMessage::from_pg(&e, &[]),
    };
    let stmt = client.prepare(sql).await.map_err(err)?;
    let stmt = if stmt.columns().iter().all(|c| decodable(c.type_())) {
        stmt
    } else {
        // Let the server print the other types: wrap the query and cast those columns to text.
        let cols: Vec<String> = (1..=stmt.columns().len())
            .map(|i| format!("c{i}"))
            .collect();
        let select: Vec<String> = stmt
            .columns()
            .iter()
            .zip(&cols)
            .map(|(c, name)| {
                if decodable(c.type_()) {
                    format!("q.{name}")
                } else {
                    format!("q.{name}::text")
                }
            })
            .collect();
        let wrapped = format!(
            "SELECT {} FROM ({sql}\n) AS q({})",
            select.join(", "),
            cols.join(", ")
        );
        client.prepare(&wrapped).await.map_err(err)?
    };
    rows_as_text(client, &stmt).await.map_err(err)
}

async fn rows_as_text(
    client: &Client,
    stmt: &Statement,
) -> Result<Vec<Vec<Option<String>>>, tokio_postgres::Error> {
    let rows = client.query(stmt, &[]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            let v: Option<AsText> = row.try_get(i)?;
            values.push(v.map(|t| t.0));
        }
        out.push(values);
    }
    Ok(out)
}

/// Types whose binary form this module turns into the server's text form.
fn decodable(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::BOOL
            | Type::INT2
            | Type::INT4
            | Type::INT8
            | Type::OID
            | Type::TEXT
            | Type::VARCHAR
            | Type::BPCHAR
            | Type::NAME
            | Type::UNKNOWN
            | Type::CHAR
            | Type::JSON
            | Type::JSONB
    ) || matches!(ty.kind(), Kind::Enum(_))
}

/// A value in the server's text form.
struct AsText(String);

impl<'a> FromSql<'a> for AsText {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let text = match *ty {
            Type::BOOL => if bool::from_sql(ty, raw)? { "t" } else { "f" }.to_string(),
            Type::INT2 => i16::from_sql(ty, raw)?.to_string(),
            Type::INT4 => i32::from_sql(ty, raw)?.to_string(),
            Type::INT8 => i64::from_sql(ty, raw)?.to_string(),
            Type::OID => u32::from_sql(ty, raw)?.to_string(),
            Type::CHAR => (i8::from_sql(ty, raw)? as u8 as char).to_string(),
            Type::JSONB => match raw.split_first() {
                Some((1, rest)) => std::str::from_utf8(rest)?.to_string(),
                _ => return Err("unsupported jsonb version".into()),
            },
            _ => std::str::from_utf8(raw)?.to_string(),
        };
        Ok(AsText(text))
    }

    fn accepts(ty: &Type) -> bool {
        decodable(ty)
    }
}

/// Runs a pre-flight query (made by the planner) in a read-only transaction and returns its
/// rows as text.
///
/// The planner's invalid-JSON check for PostgreSQL 13 to 15 comes as two statements: a
/// session-local helper function, then the `SELECT` that calls it. Creating a function is a
/// write, so it is never sent: the same answer (`rows`, `example`) is computed read-only
/// instead, by casting the column's distinct values, each in its own savepoint.
pub async fn preflight_rows(
    ro: &ReadOnly<'_>,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, Error> {
    const HELPER: &str = "CREATE OR REPLACE FUNCTION pg_temp.schemadiff_is_";
    if !sql.starts_with(HELPER) {
        return ro.query_text(sql).await;
    }
    let bad = |why: &str| Error::Catalog(format!("unexpected pre-flight query ({why})"));
    let ty = sql[HELPER.len()..]
        .split('(')
        .next()
        .filter(|t| matches!(*t, "json" | "jsonb"))
        .ok_or_else(|| bad("not a json check"))?;
    let select = sql
        .split_once("\nSELECT ")
        .map(|(_, s)| s)
        .ok_or_else(|| bad("no select"))?;
    // `… count(*)::text AS rows FROM {table} WHERE {column} IS NOT NULL AND NOT pg_temp…`
    let after_from = select
        .split_once("AS rows FROM ")
        .map(|(_, s)| s)
        .ok_or_else(|| bad("no table"))?;
    let marker = format!(" IS NOT NULL AND NOT pg_temp.schemadiff_is_{ty}(");
    let (head, _) = after_from
        .split_once(&marker)
        .ok_or_else(|| bad("no column"))?;
    let (table, column) = head.rsplit_once(" WHERE ").ok_or_else(|| bad("no where"))?;
    if !is_quoted_name(table) || !is_quoted_name(column) {
        return Err(bad("names are not quoted identifiers"));
    }
    let values = ro
        .query_text(&format!(
            "SELECT {column}::text, count(*)::text FROM {table} WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY 1"
        ))
        .await?;
    let client = ro.client();
    let check = client
        .prepare(&format!("SELECT $1::text::{ty} IS NULL"))
        .await
        .map_err(|e| Error::Query {
            context: "pre-flight json check".into(),
            server: ServerMessage::from_pg(&e, &[]),
        })?;
    let mut total: u64 = 0;
    let mut examples = Vec::new();
    for row in values {
        let (Some(Some(v)), Some(Some(n))) = (row.first(), row.get(1)) else {
            continue;
        };
        execute(client, "SAVEPOINT schemadiff_json", "pre-flight savepoint").await?;
        let valid = client.query(&check, &[v]).await.is_ok();
        let end = if valid {
            "RELEASE SAVEPOINT schemadiff_json"
        } else {
            "ROLLBACK TO SAVEPOINT schemadiff_json"
        };
        execute(client, end, "pre-flight savepoint").await?;
        if !valid {
            total += n.parse::<u64>().unwrap_or(0);
            if examples.len() < 5 {
                examples.push(v.clone());
            }
        }
    }
    let total = Some(total.to_string());
    if examples.is_empty() {
        return Ok(vec![vec![total, None]]);
    }
    Ok(examples
        .into_iter()
        .map(|e| vec![total.clone(), Some(e)])
        .collect())
}

/// `"a"` or `"s"."t"`: double-quoted identifiers only (what the planner writes).
fn is_quoted_name(s: &str) -> bool {
    let mut rest = s;
    loop {
        let Some(r) = rest.strip_prefix('"') else {
            return false;
        };
        let mut chars = r.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().map(|(_, c)| *c) == Some('"') {
                    chars.next();
                } else {
                    end = Some(i);
                    break;
                }
            }
        }
        let Some(end) = end else { return false };
        rest = &r[end + 1..];
        if rest.is_empty() {
            return true;
        }
        match rest.strip_prefix('.') {
            Some(r) => rest = r,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names() {
        assert!(is_quoted_name("\"a\""));
        assert!(is_quoted_name("\"s\".\"t \"\"x\"\"\""));
        assert!(!is_quoted_name("a"));
        assert!(!is_quoted_name("\"a\"; DROP"));
        assert!(!is_quoted_name("\"a\" WHERE \"b\""));
    }
}
