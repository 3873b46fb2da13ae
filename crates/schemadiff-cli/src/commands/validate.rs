//! `schemadiff validate FILE...`: exit 0 when every file is clean, 1 with diagnostics.

use crate::cli::ValidateArgs;
use crate::output;
use anyhow::Context;

/// Runs the command.
pub fn run(args: &ValidateArgs) -> anyhow::Result<u8> {
    let mut failed = false;
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let path = file.display().to_string();
        let lowered = schemadiff_dsl::load(&path, &text);
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
            schemadiff_dsl::render_diagnostics(
                &lowered.diagnostics,
                &path,
                &text,
                output::stderr_color()
            )
        );
    }
    Ok(if failed { 1 } else { 0 })
}
