//! Shared test helpers: locating fixture cases and printing a loaded model.
#![allow(dead_code)]

pub mod catalog;

use schemadiff_sqlfile::{Loaded, load_path};
use schemadiff_testkit::workspace_root;
use std::path::PathBuf;

/// The directory of fixture case `name` (fixtures/sqlfile/<name>).
pub fn case_dir(name: &str) -> PathBuf {
    workspace_root().join("fixtures/sqlfile").join(name)
}

/// The migration source of a case: its `migrations/` folder or its `migration.sql`.
pub fn source(name: &str) -> PathBuf {
    let dir = case_dir(name);
    let m = dir.join("migrations");
    if m.is_dir() {
        m
    } else {
        dir.join("migration.sql")
    }
}

/// The scripts of a case in the order they apply (for running them on a database).
pub fn scripts(name: &str) -> Vec<String> {
    let src = source(name);
    if src.is_file() {
        return vec![std::fs::read_to_string(src).unwrap()];
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("migration.sql").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| std::fs::read_to_string(d.join("migration.sql")).unwrap())
        .collect()
}

/// Loads a case, panicking on I/O errors.
pub fn load(name: &str) -> Loaded {
    load_path(&source(name)).unwrap_or_else(|e| panic!("cannot load case {name}: {e}"))
}

/// The reviewed text of a loaded case: the schema's `{:#?}` and the reports.
pub fn dump(loaded: &Loaded) -> String {
    let mut out = format!(
        "{:#?}\n\n# reports ({})\n",
        loaded.schema,
        loaded.reports.len()
    );
    for r in &loaded.reports {
        out.push_str(&format!("{r}\n"));
    }
    out
}
