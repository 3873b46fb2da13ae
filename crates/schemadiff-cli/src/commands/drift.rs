//! `schemadiff drift --schema FILE --db URL`: does the database match the schema file?
//!
//! Exit 0 when it matches, 2 when it has drifted, 1 on an error. The text output is a unified
//! diff of the two schemas written as DSL (database first), then the SQL that would bring the
//! database to the file. `json` is for tools; `github` prints workflow annotations.

use crate::cli::{DriftArgs, DriftFormat};
use crate::output;
use crate::settings;
use schemadiff::Loaded;
use schemadiff_plan::Mapping;
use schemadiff_render::RenderOptions;

/// Exit code when the database differs from the schema.
pub const DRIFTED: u8 = 2;

/// Runs the command.
pub async fn run(args: &DriftArgs) -> anyhow::Result<u8> {
    let lo = schemadiff::LoadOptions {
        shadow_db: args.shadow_db.as_deref(),
        ..output::load_options()
    };
    let schema = settings::given(args.schema.as_deref(), "--schema")?;
    let mut target = schemadiff::load(schema, &[], lo).await?;
    let ns = schemadiff::namespaces(&target.schema);
    let db = schemadiff::load_database(args.db.as_deref(), &ns, Some(&mut target.schema)).await?;
    let report = compare(&db, &target, args.strict_order)?;
    match args.format {
        DriftFormat::Text => print_text(&report),
        DriftFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("json")
        ),
        DriftFormat::Github => print_github(&report, &target),
    }
    Ok(if report.drifted { DRIFTED } else { 0 })
}

/// What `drift` found.
pub struct Report {
    /// True when the database differs from the schema.
    pub drifted: bool,
    /// The database, without its password.
    pub database: String,
    /// The schema source.
    pub schema: String,
    /// Unified diff of the schemas as DSL (database → file).
    pub diff: String,
    /// One line per differing object.
    pub differences: Vec<String>,
    /// The plan object of each difference (a table, an enum, an index), when it has one: where
    /// `--format github` looks for the declaration.
    pub objects: Vec<Option<String>>,
    /// The SQL that would reconcile the database with the file.
    pub sql: String,
    /// Objects in the database that the model does not manage.
    pub not_managed: Vec<String>,
    /// Differences that are not drift (enum labels in another order), unless `--strict-order`.
    pub notes: Vec<String>,
}

/// Compares a database with a target schema. With `strict_order`, enum labels in another order
/// are drift; otherwise they are notes.
pub fn compare(db: &Loaded, target: &Loaded, strict_order: bool) -> anyhow::Result<Report> {
    let order = schemadiff::enum_order_differences(&db.schema, &target.schema);
    let drifted =
        !schemadiff::same_schema(&db.schema, &target.schema) || (strict_order && !order.is_empty());
    // Printed in the file's column order: column order is not a difference.
    let db_text = schemadiff_dsl::print_schema(&schemadiff::with_columns_ordered_as(
        &db.schema,
        &target.schema,
    ));
    let file_text = schemadiff_dsl::print_schema(&target.schema);
    let diff = similar::TextDiff::from_lines(&db_text, &file_text)
        .unified_diff()
        .context_radius(3)
        .header(&format!("database ({})", db.label), &target.label)
        .to_string();
    let version = schemadiff::target_version(db, target, None)?;
    let plan = schemadiff_plan::plan_with(&db.schema, &target.schema, &Mapping::empty(), &version)?;
    let mut differences: Vec<String> = plan.steps.iter().map(|s| s.description.clone()).collect();
    let mut objects: Vec<_> = plan.steps.iter().map(|s| Some(s.object.clone())).collect();
    if drifted && differences.is_empty() {
        // Never "drifted" without saying what differs.
        differences = schemadiff::change_summaries(&db.schema, &target.schema);
        objects = vec![None; differences.len()];
    }
    let notes = if strict_order {
        objects.extend(order.iter().map(|_| None));
        differences.extend(order);
        Vec::new()
    } else {
        order
    };
    let opts = RenderOptions {
        from_label: db.label.clone(),
        to_label: target.label.clone(),
        not_managed: None,
    };
    let sql = if drifted {
        schemadiff_render::render_sql(&plan, &opts)
    } else {
        String::new()
    };
    Ok(Report {
        drifted,
        database: db.label.clone(),
        schema: target.label.clone(),
        diff,
        differences,
        objects,
        sql,
        not_managed: schemadiff::not_managed_notes(&db.schema),
        notes,
    })
}

impl Report {
    /// The `--format json` document (docs/schema/drift.schema.json).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": schemadiff_render::JSON_FORMAT_VERSION,
            "drifted": self.drifted,
            "database": self.database,
            "schema": self.schema,
            "differences": self.differences,
            "diff": self.diff,
            "sql": self.sql,
            "not_managed": self.not_managed,
            "notes": self.notes,
        })
    }
}

fn print_text(r: &Report) {
    for n in &r.not_managed {
        output::warn(n);
    }
    for n in &r.notes {
        output::note(&format!("{n}: not drift (--strict-order makes it drift)"));
    }
    if !r.drifted {
        println!("no drift: {} matches {}", r.database, r.schema);
        return;
    }
    println!(
        "drift: {} differs from {} ({} difference(s))",
        r.database,
        r.schema,
        r.differences.len()
    );
    for d in &r.differences {
        println!("  - {d}");
    }
    println!();
    print!("{}", r.diff);
    println!("\n-- SQL that would bring the database to {}:\n", r.schema);
    print!("{}", r.sql);
}

fn print_github(r: &Report, target: &Loaded) {
    use crate::github::{Annotation, Level, Locator};
    let titled = |level, title: &str, message: String| Annotation {
        title: Some(format!("schemadiff: {title}")),
        ..Annotation::new(level, message)
    };
    for n in &r.not_managed {
        println!("{}", titled(Level::Warning, "not managed", n.clone()));
    }
    for n in &r.notes {
        println!("{}", titled(Level::Notice, "not drift", n.clone()));
    }
    if !r.drifted {
        let m = format!("{} matches {}", r.database, r.schema);
        println!("{}", titled(Level::Notice, "no drift", m));
        return;
    }
    let locator = Locator::new(&[target]);
    for (d, object) in r.differences.iter().zip(&r.objects) {
        let mut a = titled(Level::Error, "schema drift", d.clone());
        match object.as_deref().and_then(|o| locator.find(o)) {
            Some((file, line, col)) => {
                a.file = Some(file);
                a.line = Some(line);
                a.col = Some(col);
            }
            None => a.file = Some(r.schema.clone()),
        }
        println!("{a}");
    }
    println!("::group::SQL that would reconcile the database");
    print!("{}", r.sql);
    println!("::endgroup::");
}
