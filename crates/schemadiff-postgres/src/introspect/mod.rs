//! Introspection: reads PostgreSQL's catalog into a [`schemadiff_model::Schema`].
//!
//! The cost is fixed: eight queries (see `src/queries/*.sql`), one per object kind, each
//! filtered by `nspname = ANY($1)` and ordered, whatever the number of tables.
//! Objects the model does not cover are listed in `Schema.not_managed`; nothing found is
//! silently dropped. The conventions of docs/model.md are followed so that a database
//! created from a schema introspects to exactly the model the DSL front end produces.

mod mapping;
mod objects;

use crate::error::{Error, ServerMessage};
use schemadiff_model::{Enum, NotManaged, QualifiedName, Schema, Table};
use std::collections::BTreeMap;
use tokio_postgres::{Client, Row};

const SCHEMAS_SQL: &str = include_str!("../queries/schemas.sql");
const ENUMS_SQL: &str = include_str!("../queries/enums.sql");
const TABLES_SQL: &str = include_str!("../queries/tables.sql");
const COLUMNS_SQL: &str = include_str!("../queries/columns.sql");
const INDEXES_SQL: &str = include_str!("../queries/indexes.sql");
const CONSTRAINTS_SQL: &str = include_str!("../queries/constraints.sql");
const OTHERS_SQL: &str = include_str!("../queries/others.sql");
const EXTENSIONS_SQL: &str = include_str!("../queries/extensions.sql");

/// Prisma's migration history table. A database that Prisma manages has it; it is never part
/// of a schema, so introspection never reads it (in any namespace): `drift` does not report
/// it, a plan never drops it, `inspect` does not print it.
pub const PRISMA_MIGRATIONS_TABLE: &str = "_prisma_migrations";

/// What to introspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// PostgreSQL schemas (namespaces) to read; default `["public"]` (also when empty).
    pub schemas: Vec<String>,
    /// Tables to leave out, by name (`_prisma_migrations`) or qualified name
    /// (`audit.log`). Their indexes, keys, triggers and policies are left out too.
    pub exclude_tables: Vec<String>,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions {
            schemas: vec![QualifiedName::DEFAULT_SCHEMA.to_string()],
            exclude_tables: Vec::new(),
        }
    }
}

impl IntrospectOptions {
    /// Options for these schemas, excluding nothing.
    pub fn for_schemas(schemas: Vec<String>) -> Self {
        IntrospectOptions {
            schemas,
            exclude_tables: Vec::new(),
        }
    }

    fn excludes(&self, schema: &str, table: &str) -> bool {
        table == PRISMA_MIGRATIONS_TABLE
            || self.exclude_tables.iter().any(|e| match e.split_once('.') {
                Some((s, t)) => s == schema && t == table,
                None => e == table,
            })
    }
}

/// Counters and findings of one introspection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntrospectStats {
    /// Number of queries sent to the server (fixed: it does not depend on the database).
    pub queries: usize,
    /// Requested schemas that do not exist in the database (a misspelled `?schema=`, or a
    /// schema still to be created). Not an error: they simply hold nothing.
    pub missing_schemas: Vec<String>,
}

/// Reads the schemas named in `opts` into the model.
pub async fn introspect(client: &Client, opts: &IntrospectOptions) -> Result<Schema, Error> {
    introspect_with_stats(client, opts).await.map(|(s, _)| s)
}

/// [`introspect`], also returning how many queries it cost.
pub async fn introspect_with_stats(
    client: &Client,
    opts: &IntrospectOptions,
) -> Result<(Schema, IntrospectStats), Error> {
    let default_schemas = vec![QualifiedName::DEFAULT_SCHEMA.to_string()];
    let schemas = if opts.schemas.is_empty() {
        &default_schemas
    } else {
        &opts.schemas
    };
    let mut q = Querier {
        client,
        schemas,
        stats: IntrospectStats::default(),
    };
    let mut schema = Schema::empty();

    let mut existing = Vec::new();
    for row in q.run("schemas.sql", SCHEMAS_SQL).await? {
        existing.push(text(&row, 0)?);
    }
    let mut missing: Vec<String> = schemas
        .iter()
        .filter(|s| !existing.contains(s))
        .cloned()
        .collect();
    missing.sort();
    missing.dedup();

    let mut extensions = BTreeMap::new();
    for row in q.run("extensions.sql", EXTENSIONS_SQL).await? {
        let name = text(&row, 0)?;
        extensions.insert(
            name.clone(),
            schemadiff_model::Extension {
                name,
                schema: Some(text(&row, 1)?),
                version: Some(text(&row, 2)?),
            },
        );
    }
    schema.extensions = Some(extensions);

    for row in q.run("enums.sql", ENUMS_SQL).await? {
        let name = QualifiedName::new(text(&row, 0)?, text(&row, 1)?);
        let values: Vec<String> = get(&row, 2)?;
        schema.add_enum(Enum { name, values });
    }

    let mut tables: BTreeMap<QualifiedName, Table> = BTreeMap::new();
    for row in q.run("tables.sql", TABLES_SQL).await? {
        let (s, t) = (text(&row, 0)?, text(&row, 1)?);
        if opts.excludes(&s, &t) {
            continue;
        }
        let name = QualifiedName::new(s, t);
        let relkind = text(&row, 2)?;
        let is_partition: bool = get(&row, 3)?;
        let parents: Option<String> = get(&row, 4)?;
        let unlogged: bool = get(&row, 5)?;
        let options: Option<String> = get(&row, 6)?;
        let mut table_options = Vec::new();
        if unlogged {
            table_options.push("UNLOGGED".to_string());
        }
        if let Some(o) = options.filter(|o| !o.is_empty()) {
            table_options.push(format!("WITH ({o})"));
        }
        if !table_options.is_empty() {
            schema.not_managed.push(NotManaged {
                kind: "table option".into(),
                name: name.clone(),
                detail: format!("{} not represented in the model", table_options.join(", ")),
            });
        }
        let why = if relkind == "p" {
            Some("partitioned table".to_string())
        } else if is_partition {
            Some(format!("partition of {}", parents.unwrap_or_default()))
        } else {
            parents.map(|p| format!("inherits from {p}"))
        };
        match why {
            Some(detail) => schema.not_managed.push(NotManaged {
                kind: "table".into(),
                name,
                detail,
            }),
            None => {
                tables.insert(name.clone(), Table::new(name));
            }
        }
    }

    let columns = q.run("columns.sql", COLUMNS_SQL).await?;
    objects::add_columns(&mut tables, &columns, &mut schema.not_managed)?;
    let indexes = q.run("indexes.sql", INDEXES_SQL).await?;
    objects::add_indexes(&mut tables, &indexes, &mut schema.not_managed)?;
    let constraints = q.run("constraints.sql", CONSTRAINTS_SQL).await?;
    objects::add_constraints(&mut tables, &constraints, &mut schema.not_managed)?;

    for row in q.run("others.sql", OTHERS_SQL).await? {
        let s = text(&row, 1)?;
        let table: Option<String> = get(&row, 3)?;
        if table.as_deref().is_some_and(|t| opts.excludes(&s, t)) {
            continue;
        }
        schema.not_managed.push(NotManaged {
            kind: text(&row, 0)?,
            name: QualifiedName::new(s, text(&row, 2)?),
            detail: get::<Option<String>>(&row, 4)?
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        });
    }

    for (_, mut table) in tables {
        table.canonicalize();
        schema.add_table(table);
    }
    schema.not_managed.sort();
    schema.not_managed.dedup();
    let mut stats = q.stats;
    stats.missing_schemas = missing;
    Ok((schema, stats))
}

struct Querier<'a> {
    client: &'a Client,
    schemas: &'a Vec<String>,
    stats: IntrospectStats,
}

impl Querier<'_> {
    async fn run(&mut self, file: &str, sql: &str) -> Result<Vec<Row>, Error> {
        self.stats.queries += 1;
        self.client
            .query(sql, &[self.schemas])
            .await
            .map_err(|e| Error::Query {
                context: format!("introspection query {file}"),
                server: ServerMessage::from_pg(&e, &[]),
            })
    }
}

/// A column of a catalog row, with a clear error when its type is unexpected.
pub(crate) fn get<'r, T: tokio_postgres::types::FromSql<'r>>(
    row: &'r Row,
    idx: usize,
) -> Result<T, Error> {
    row.try_get(idx).map_err(|e| {
        let name = row
            .columns()
            .get(idx)
            .map(|c| c.name().to_string())
            .unwrap_or_else(|| idx.to_string());
        Error::Catalog(format!("column {name}: {e}"))
    })
}

/// A non-null text column.
pub(crate) fn text(row: &Row, idx: usize) -> Result<String, Error> {
    get::<Option<String>>(row, idx)?.ok_or_else(|| {
        let name = row
            .columns()
            .get(idx)
            .map(|c| c.name().to_string())
            .unwrap_or_default();
        Error::Catalog(format!("column {name} is null"))
    })
}
