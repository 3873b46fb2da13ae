//! `schemadiff validate FILE|FOLDER...`: a folder is one multi-file schema. Exit 0 when every file is clean, 1 with diagnostics.

use crate::cli::ValidateArgs;
use crate::output;

/// Runs the command.
pub fn run(args: &ValidateArgs) -> anyhow::Result<u8> {
    let mut failed = false;
    for file in &args.files {
        // A folder is one multi-file schema; a file is a schema on its own.
        let sources = schemadiff::schema_folder::read(file)?;
        let lowered = sources.load();
        if lowered.diagnostics.is_empty() {
            continue;
        }
        let errors = lowered
            .diagnostics
            .iter()
            .any(|d| d.severity == schemadiff_dsl::Severity::Error);
        failed |= errors;
        eprint!(
            "{}",
            sources.render(&lowered.diagnostics, output::stderr_color())
        );
    }
    Ok(if failed { 1 } else { 0 })
}
