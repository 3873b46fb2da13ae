//! `schemadiff validate FILE|FOLDER...`: a folder is one multi-file schema. Exit 0 when every file is clean, 1 with diagnostics.

use crate::cli::{ValidateArgs, ValidateFormat};
use crate::github::{Annotation, Level, line_col};
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
        match args.format {
            ValidateFormat::Text => eprint!(
                "{}",
                sources.render(&lowered.diagnostics, output::stderr_color())
            ),
            ValidateFormat::Github => {
                for (file, diags) in sources.split(&lowered.diagnostics) {
                    for d in diags {
                        let (line, col) = line_col(&file.text, d.span.start);
                        let mut message = d.message.clone();
                        if let Some(help) = &d.help {
                            message.push_str(&format!("\nhelp: {help}"));
                        }
                        let level = if d.severity == schemadiff_dsl::Severity::Error {
                            Level::Error
                        } else {
                            Level::Warning
                        };
                        let a = Annotation {
                            file: Some(file.path.clone()),
                            line: Some(line),
                            col: Some(col),
                            title: Some(format!("schemadiff: {}", d.code)),
                            ..Annotation::new(level, message)
                        };
                        println!("{a}");
                    }
                }
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}
