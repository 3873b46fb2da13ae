//! Multi-file schemas: a folder of `.prisma` files read as one schema (the datasource and
//! generator in one file, models and enums spread over the others).
//!
//! Every `.prisma` file under the folder is read, subfolders included, in path order; hidden
//! entries and a `migrations` subfolder (SQL, not schema) are skipped. The DSL crate joins them
//! ([`schemadiff_dsl::Sources`]) and maps every diagnostic back to its file.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// True when `dir` is a folder holding at least one `.prisma` file (then it is a multi-file
/// schema, not a folder of SQL migrations).
pub fn is_schema_folder(dir: &Path) -> bool {
    dir.is_dir() && schema_files(dir).is_ok_and(|f| !f.is_empty())
}

/// The `.prisma` files under `dir`, sorted by path.
pub fn schema_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if name != "migrations" && name != "node_modules" {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "prisma") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a schema file, or every schema file of a folder, as one [`schemadiff_dsl::Sources`].
pub fn read(path: &Path) -> anyhow::Result<schemadiff_dsl::Sources> {
    let files = if path.is_dir() {
        let files = schema_files(path)
            .with_context(|| format!("cannot read schema folder {}", path.display()))?;
        if files.is_empty() {
            anyhow::bail!("{} holds no .prisma file", path.display());
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut sources = Vec::with_capacity(files.len());
    for f in files {
        let text = std::fs::read_to_string(&f)
            .with_context(|| format!("cannot read schema file {}", f.display()))?;
        sources.push(schemadiff_dsl::SourceFile {
            path: f.display().to_string(),
            text,
        });
    }
    Ok(schemadiff_dsl::Sources::new(sources))
}
