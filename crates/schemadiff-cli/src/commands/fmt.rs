//! `schemadiff fmt [--check] FILE|FOLDER...`: format schema files in place, or check them
//! (every `.prisma` file of a folder).

use crate::cli::FmtArgs;
use crate::output;
use anyhow::Context;

/// Runs the command: exit 0 when every file is (now) formatted, 1 when a file has syntax
/// errors or, with `--check`, would change.
pub fn run(args: &FmtArgs) -> anyhow::Result<u8> {
    let mut code = 0;
    let mut files = Vec::new();
    for f in &args.files {
        if f.is_dir() {
            files.extend(
                schemadiff::schema_folder::schema_files(f)
                    .with_context(|| format!("cannot read schema folder {}", f.display()))?,
            );
        } else {
            files.push(f.clone());
        }
    }
    for file in &files {
        let path = file.display().to_string();
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {path}"))?;
        match schemadiff_dsl::format(&text) {
            Err(diags) => {
                eprint!(
                    "{}",
                    schemadiff_dsl::render_diagnostics(
                        &diags,
                        &path,
                        &text,
                        output::stderr_color()
                    )
                );
                code = 1;
            }
            Ok(formatted) if formatted == text => {}
            Ok(formatted) if args.check => {
                eprintln!("{path}: would be reformatted");
                let diff = similar::TextDiff::from_lines(&text, &formatted);
                eprint!(
                    "{}",
                    diff.unified_diff()
                        .context_radius(2)
                        .header(&path, &format!("{path} (formatted)"))
                );
                code = 1;
            }
            Ok(formatted) => {
                std::fs::write(file, formatted).with_context(|| format!("cannot write {path}"))?;
                eprintln!("formatted {path}");
            }
        }
    }
    Ok(code)
}
