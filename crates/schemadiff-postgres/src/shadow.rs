//! Shadow databases: replay SQL migrations on a real server, then introspect the result.
//!
//! The offline reader (`schemadiff-sqlfile`) models the DDL it understands; PostgreSQL itself
//! is exact for everything (procedural `DO` blocks, `CREATE TABLE … AS`, functions that build
//! tables). [`replay_migrations`] creates a scratch database with a unique name on the server of
//! the given URL, runs each script there in order, introspects it, and drops it again, on
//! success and on every error after its creation.

use crate::error::{Error, ServerMessage};
use crate::url::ConnectOptions;
use crate::{IntrospectOptions, connect, introspect};
use schemadiff_model::Schema;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// One migration script: its name for messages (`20240101_init/migration.sql`) and its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// How to name the script in messages.
    pub name: String,
    /// Its SQL text, run as one simple-query batch (as a migration tool runs a file).
    pub sql: String,
}

/// A database name no other run uses: process id, time and a counter.
fn scratch_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "schemadiff_shadow_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Replays `scripts` into a new scratch database on the server of `opts` (the URL's own
/// database is only used to create and drop the scratch one, never changed) and introspects it
/// in `schemas` (default `public`). The scratch database is always dropped afterwards.
pub async fn replay_migrations(
    opts: &ConnectOptions,
    scripts: &[Script],
    schemas: Vec<String>,
) -> Result<Schema, Error> {
    let secrets: Vec<&str> = opts.secrets.iter().map(String::as_str).collect();
    let admin = connect(opts).await?;
    let name = scratch_name();
    // The name is made here of `[a-z0-9_]` only, so it needs no quoting beyond the quotes.
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(|e| Error::Query {
            context: "creating the shadow database".into(),
            server: ServerMessage::from_pg(&e, &secrets),
        })?;
    let result = replay_and_introspect(opts, &name, scripts, schemas).await;
    let dropped = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let schema = result?;
    dropped.map_err(|e| Error::Query {
        context: format!("dropping the shadow database {name}"),
        server: ServerMessage::from_pg(&e, &secrets),
    })?;
    Ok(schema)
}

async fn replay_and_introspect(
    opts: &ConnectOptions,
    name: &str,
    scripts: &[Script],
    schemas: Vec<String>,
) -> Result<Schema, Error> {
    let secrets: Vec<&str> = opts.secrets.iter().map(String::as_str).collect();
    let mut scratch = opts.clone();
    scratch.config.dbname(name);
    let client = connect(&scratch).await?;
    for s in scripts {
        client
            .batch_execute(&s.sql)
            .await
            .map_err(|e| Error::Replay {
                script: s.name.clone(),
                server: ServerMessage::from_pg(&e, &secrets),
            })?;
        // A script's session state (search_path, temporary tables) does not carry over to the
        // next one, as when each migration runs on its own connection.
        client
            .batch_execute("DISCARD ALL")
            .await
            .map_err(|e| Error::Query {
                context: "resetting the shadow session".into(),
                server: ServerMessage::from_pg(&e, &secrets),
            })?;
    }
    let schema = introspect(&client, &IntrospectOptions::for_schemas(schemas)).await?;
    drop(client);
    Ok(schema)
}
