//! `schemadiff inspect --db URL`: print a live database as a schema file, formatted as
//! `schemadiff fmt` formats it. Objects the model does not manage are listed as comments.

use crate::cli::InspectArgs;
use crate::output;
use anyhow::Context;

/// Runs the command.
pub async fn run(args: &InspectArgs) -> anyhow::Result<u8> {
    let opts = schemadiff_postgres::ConnectOptions::resolve(args.db.as_deref())?;
    let label = opts.redacted();
    let client = schemadiff_postgres::connect(&opts).await?;
    let iopts = if args.schemas.is_empty() {
        opts.introspect_options()
    } else {
        schemadiff_postgres::IntrospectOptions::for_schemas(args.schemas.clone())
    };
    let ro = schemadiff_postgres::ReadOnly::begin(&client).await?;
    let schema = schemadiff_postgres::introspect(ro.client(), &iopts)
        .await
        .with_context(|| format!("while introspecting {label}"))?;
    ro.finish().await?;
    let mut text = String::new();
    if !schema.not_managed.is_empty() {
        text.push_str(
            "// Objects schemadiff does not manage (not part of this schema, left untouched):\n",
        );
        for n in schemadiff::not_managed_notes(&schema) {
            output::warn(&n);
            text.push_str(&format!("//   {n}\n"));
        }
        text.push('\n');
    }
    text.push_str(&schemadiff_dsl::print_schema(&schema));
    print!("{text}");
    Ok(0)
}
