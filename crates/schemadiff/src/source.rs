//! SOURCE arguments: where a schema comes from.
//!
//! A SOURCE is `empty`, a `postgres://` / `postgresql://` URL, a `.sql` file or a directory of SQL
//! migration scripts, or a schema file in the DSL or a folder of them ([`crate::schema_folder`]).
//! Each is read into the same model. A database is read in one READ ONLY transaction; SQL
//! migrations are read offline, or replayed on a shadow server ([`LoadOptions::shadow_db`]).
//!
//! What the user must see besides the result (DSL diagnostics, SQL statements that could not be
//! read) goes to the [`LoadOptions::report`] callback, already rendered; the engine never
//! prints.

#[cfg(any(feature = "db", feature = "sqlfile"))]
use anyhow::Context;
use anyhow::bail;
use schemadiff_model::{QualifiedName, Schema};
use std::path::{Path, PathBuf};

/// How to load: whether diagnostics are coloured, where rendered reports go, and where SQL
/// migrations are replayed.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    /// Colour the rendered diagnostics (ANSI escapes).
    pub color: bool,
    /// Receives rendered text meant for the user (it ends with a newline), in order.
    pub report: &'a dyn Fn(&str),
    /// A server on which SQL migration sources are replayed into a scratch (shadow) database,
    /// created and always dropped, then introspected (`--shadow-db URL`); `None` reads them
    /// with the offline reader.
    pub shadow_db: Option<&'a str>,
}

fn ignore(_: &str) {}

impl Default for LoadOptions<'_> {
    /// No colour; reports are dropped (an error still says what failed).
    fn default() -> Self {
        LoadOptions {
            color: false,
            report: &ignore,
            shadow_db: None,
        }
    }
}

/// What a SOURCE argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A database with nothing in it.
    Empty,
    /// A schema file in the DSL.
    Dsl(PathBuf),
    /// A SQL script or a directory of migration scripts.
    Sql(PathBuf),
    /// A live database.
    Database(String),
}

/// Classifies a SOURCE argument (without touching the file system beyond `is_dir`).
pub fn classify(arg: &str) -> SourceKind {
    if arg == "empty" {
        return SourceKind::Empty;
    }
    if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
        return SourceKind::Database(arg.to_string());
    }
    let path = PathBuf::from(arg);
    if crate::schema_folder::is_schema_folder(&path) {
        return SourceKind::Dsl(path);
    }
    if path.is_dir() || path.extension().is_some_and(|e| e == "sql") {
        SourceKind::Sql(path)
    } else {
        SourceKind::Dsl(path)
    }
}

/// A schema read from a SOURCE, with what is needed to talk about it.
pub struct Loaded {
    /// How to name the source in output (a path, `empty`, or a URL without its password).
    pub label: String,
    /// The schema.
    pub schema: Schema,
    /// DSL names, when the source is a schema file (for mapping-file keys and messages).
    pub names: Option<schemadiff_dsl::NameMap>,
    /// Things the user must know about the source: objects not managed, statements not modelled.
    pub notes: Vec<String>,
    /// For a database: its PostgreSQL major version (`server_version_num / 10000`).
    pub server_major: Option<u32>,
}

/// Reads a DSL file or a folder of them (a multi-file schema, [`crate::schema_folder`]);
/// reports its diagnostics and fails when it has errors.
pub fn load_dsl(path: &Path, lo: LoadOptions<'_>) -> anyhow::Result<Loaded> {
    let label = path.display().to_string();
    let sources = crate::schema_folder::read(path)?;
    let lowered = sources.load();
    let errors = lowered
        .diagnostics
        .iter()
        .filter(|d| d.severity == schemadiff_dsl::Severity::Error)
        .count();
    if !lowered.diagnostics.is_empty() {
        (lo.report)(&sources.render(&lowered.diagnostics, lo.color));
    }
    if errors > 0 {
        bail!(
            "{label} has {errors} error{}; fix it first (`schemadiff validate {label}`)",
            if errors == 1 { "" } else { "s" }
        );
    }
    let notes = lowered
        .not_managed
        .iter()
        .map(|n| format!("not managed: {} {} ({})", n.kind, n.name, n.detail))
        .collect();
    Ok(Loaded {
        label,
        schema: lowered.schema,
        names: Some(lowered.names),
        notes,
        server_major: None,
    })
}

/// Reads any SOURCE. A database is introspected in the namespaces its URL names (default
/// `public`) plus `also` (the namespaces the other side of a comparison uses).
pub async fn load(arg: &str, also: &[String], lo: LoadOptions<'_>) -> anyhow::Result<Loaded> {
    match classify(arg) {
        SourceKind::Empty => Ok(Loaded {
            label: "empty".into(),
            schema: Schema::empty(),
            names: None,
            notes: Vec::new(),
            server_major: None,
        }),
        SourceKind::Dsl(p) => load_dsl(&p, lo),
        #[cfg(all(feature = "sqlfile", feature = "db"))]
        SourceKind::Sql(p) if lo.shadow_db.is_some() => {
            load_sql_shadow(&p, lo.shadow_db.unwrap_or_default(), also).await
        }
        #[cfg(not(all(feature = "sqlfile", feature = "db")))]
        SourceKind::Sql(_) if lo.shadow_db.is_some() => {
            bail!("{arg}: --shadow-db needs the `sqlfile` and `db` features")
        }
        #[cfg(feature = "sqlfile")]
        SourceKind::Sql(p) => load_sql(&p, lo),
        #[cfg(not(feature = "sqlfile"))]
        SourceKind::Sql(_) => bail!("{arg}: reading SQL migrations needs the `sqlfile` feature"),
        #[cfg(feature = "db")]
        SourceKind::Database(url) => load_database(Some(&url), also, None).await,
        #[cfg(not(feature = "db"))]
        SourceKind::Database(_) => {
            let _ = also;
            bail!("reading a database needs the `db` feature")
        }
    }
}

/// Reads two SOURCEs for a comparison: files first, so that a database side is introspected in
/// every namespace the file side uses; a file side compared with a database has its default
/// expressions put in the form that database stores them in (on the same connection).
pub async fn load_pair(
    from: &str,
    to: &str,
    lo: LoadOptions<'_>,
) -> anyhow::Result<(Loaded, Loaded)> {
    use anyhow::Context as _;
    let db_url = |a: &str| match classify(a) {
        SourceKind::Database(url) => Some(url),
        _ => None,
    };
    match (db_url(from), db_url(to)) {
        #[cfg(feature = "db")]
        (Some(url), None) => {
            let mut to = load(to, &[], lo).await.context("cannot read --to")?;
            let ns = namespaces(&to.schema);
            let from = load_database(Some(&url), &ns, Some(&mut to.schema))
                .await
                .context("cannot read --from")?;
            Ok((from, to))
        }
        #[cfg(feature = "db")]
        (None, Some(url)) => {
            let mut from = load(from, &[], lo).await.context("cannot read --from")?;
            let ns = namespaces(&from.schema);
            let to = load_database(Some(&url), &ns, Some(&mut from.schema))
                .await
                .context("cannot read --to")?;
            Ok((from, to))
        }
        _ => {
            let from = load(from, &[], lo).await.context("cannot read --from")?;
            let to = load(to, &namespaces(&from.schema), lo)
                .await
                .context("cannot read --to")?;
            Ok((from, to))
        }
    }
}

/// The PostgreSQL namespaces a schema's enums and tables live in.
pub fn namespaces(schema: &Schema) -> Vec<String> {
    let mut out: Vec<String> = schema
        .tables
        .keys()
        .chain(schema.enums.keys())
        .map(|q| q.schema.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(feature = "db")]
/// Introspection options: the URL's namespaces plus `also`, deduplicated.
pub fn introspect_options(
    opts: &schemadiff_postgres::ConnectOptions,
    also: &[String],
) -> schemadiff_postgres::IntrospectOptions {
    let mut schemas = opts.schemas();
    for s in also {
        if !schemas.contains(s) {
            schemas.push(s.clone());
        }
    }
    schemadiff_postgres::IntrospectOptions::for_schemas(schemas)
}

#[cfg(all(feature = "sqlfile", feature = "db"))]
/// Reads SQL migrations by replaying them into a scratch database on the shadow server
/// ([`LoadOptions::shadow_db`]; created and always dropped by
/// `schemadiff_postgres::replay_migrations`), then introspecting it in `public` plus `also`.
async fn load_sql_shadow(path: &Path, url: &str, also: &[String]) -> anyhow::Result<Loaded> {
    let label = path.display().to_string();
    let files = schemadiff_sqlfile::migration_scripts(path)
        .with_context(|| format!("cannot read SQL migrations {label}"))?;
    let mut scripts = Vec::with_capacity(files.len());
    for (name, file) in files {
        let sql = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        scripts.push(schemadiff_postgres::Script { name, sql });
    }
    let opts = schemadiff_postgres::ConnectOptions::from_url(url)?;
    let schemas = introspect_options(&opts, also).schemas;
    let schema = schemadiff_postgres::replay_migrations(&opts, &scripts, schemas)
        .await
        .with_context(|| {
            format!(
                "while replaying {label} on the shadow server {}",
                opts.redacted()
            )
        })?;
    let notes = not_managed_notes(&schema);
    Ok(Loaded {
        label,
        schema,
        names: None,
        notes,
        server_major: None,
    })
}

#[cfg(feature = "sqlfile")]
fn load_sql(path: &Path, lo: LoadOptions<'_>) -> anyhow::Result<Loaded> {
    let label = path.display().to_string();
    let loaded = schemadiff_sqlfile::load_path(path)
        .with_context(|| format!("cannot read SQL migrations {label}"))?;
    let mut notes = Vec::new();
    let mut errors = 0;
    for r in &loaded.reports {
        let sev = match r.severity {
            schemadiff_sqlfile::ReportSeverity::Error => {
                errors += 1;
                "error"
            }
            _ => "not modelled",
        };
        notes.push(format!(
            "{sev}: {}:{}: {} ({})",
            r.file, r.line, r.reason, r.statement
        ));
    }
    if errors > 0 {
        for n in &notes {
            (lo.report)(&format!("{n}\n"));
        }
        bail!(
            "{label}: {errors} statement(s) could not be read; the schema they produce is unknown"
        );
    }
    // The reports already name every object the reader put in `not_managed`.
    Ok(Loaded {
        label,
        schema: loaded.schema,
        names: None,
        notes,
        server_major: None,
    })
}

#[cfg(feature = "db")]
/// Reads a live database (URL argument, else `DATABASE_URL`, else `.env`), in the namespaces
/// of its URL plus `also`, in one READ ONLY transaction ([`read_database`]).
pub async fn load_database(
    url: Option<&str>,
    also: &[String],
    file_side: Option<&mut Schema>,
) -> anyhow::Result<Loaded> {
    let opts = schemadiff_postgres::ConnectOptions::resolve(url)?;
    let label = opts.redacted();
    let client = schemadiff_postgres::connect(&opts).await?;
    let iopts = introspect_options(&opts, also);
    // Read-only: every statement runs inside a READ ONLY transaction, one per round trip.
    let ro = schemadiff_postgres::ReadOnly::begin(&client).await?;
    let loaded = read_database(&ro, &label, &iopts, file_side).await?;
    ro.finish().await?;
    Ok(loaded)
}

#[cfg(feature = "db")]
/// Reads the database inside `ro`, a READ ONLY transaction the caller began and finishes (so
/// that `apply` can run its pre-flight in the same one): introspected with `iopts`, labelled
/// `label` (a URL without its password). When `file_side` is given (the schema from a file it
/// is compared with), that schema's `dbgenerated` expressions that this server says are the
/// same as the stored ones take the stored text, so that the comparison shows real differences
/// only.
pub async fn read_database(
    ro: &schemadiff_postgres::ReadOnly<'_>,
    label: &str,
    iopts: &schemadiff_postgres::IntrospectOptions,
    file_side: Option<&mut Schema>,
) -> anyhow::Result<Loaded> {
    let schema = schemadiff_postgres::introspect(ro.client(), iopts)
        .await
        .with_context(|| format!("while introspecting {label}"))?;
    if let Some(file_schema) = file_side {
        schemadiff_postgres::canonicalize_expressions(ro, file_schema, &schema)
            .await
            .with_context(|| format!("while comparing default expressions through {label}"))?;
    }
    let notes = not_managed_notes(&schema);
    let version = schemadiff_postgres::server_version_num(ro.client())
        .await
        .with_context(|| format!("while reading the server version of {label}"))?;
    Ok(Loaded {
        label: label.to_string(),
        schema,
        names: None,
        notes,
        server_major: Some(version / 10_000),
    })
}

/// One line per object the model does not manage.
pub fn not_managed_notes(schema: &Schema) -> Vec<String> {
    schema
        .not_managed
        .iter()
        .map(|n| format!("not managed: {} {} ({})", n.kind, n.name, n.detail))
        .collect()
}

/// Resolves mapping-file keys (DSL model and field names) to database names, using the DSL
/// names of the `to` schema first, then of the `from` schema, then taking keys as database
/// names in `public`.
pub struct Resolver<'a> {
    /// Name maps to consult, in order.
    pub maps: Vec<&'a schemadiff_dsl::NameMap>,
}

impl schemadiff_plan::NameResolver for Resolver<'_> {
    fn table(&self, model: &str) -> Option<QualifiedName> {
        self.maps
            .iter()
            .find_map(|m| m.table(model).cloned())
            .or_else(|| Some(QualifiedName::public(model)))
    }

    fn column(&self, model: &str, field: &str) -> Option<String> {
        self.maps
            .iter()
            .find_map(|m| m.column(model, field).map(str::to_string))
            .or_else(|| Some(field.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        assert_eq!(classify("empty"), SourceKind::Empty);
        assert_eq!(
            classify("postgres://u@h/db"),
            SourceKind::Database("postgres://u@h/db".into())
        );
        assert_eq!(
            classify("postgresql://u@h/db"),
            SourceKind::Database("postgresql://u@h/db".into())
        );
        assert_eq!(
            classify("x/schema.prisma"),
            SourceKind::Dsl("x/schema.prisma".into())
        );
        assert_eq!(classify("x/up.sql"), SourceKind::Sql("x/up.sql".into()));
    }
}
