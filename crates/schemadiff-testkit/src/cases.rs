//! Data-driven tests where each fixture case is its own named test: a test target with
//! `harness = false` builds one [`Trial`] per case and calls [`run`]. Under `cargo test` and
//! `cargo nextest run` a case is then listed, filtered, run in parallel and reported by name
//! (for example `diff::string-to-enum`).
//!
//! [`orphans`] lists the files of a fixture folder that belong to no case, so that a renamed or
//! removed case cannot leave a stale expected file behind.

pub use libtest_mimic::Trial;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// A test named `name` that fails with the returned message or with the panic's message.
pub fn trial(
    name: impl Into<String>,
    f: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Trial {
    Trial::test(name, move || match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(p) => Err(p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".to_string())
            .into()),
    })
}

/// Runs the trials with the arguments the test runner passed; exits the process.
pub fn run(trials: Vec<Trial>) -> ! {
    let args = libtest_mimic::Arguments::from_args();
    libtest_mimic::run(&args, trials).exit()
}

/// The entries of `dir` (files and folders), sorted; panics when it cannot be read.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    out.sort();
    out
}

/// Every file under `dir` (recursively) for which `belongs` is false, relative to `dir`.
pub fn orphans(dir: &Path, belongs: impl Fn(&Path) -> bool) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, belongs: &dyn Fn(&Path) -> bool, out: &mut Vec<String>) {
        for p in entries(dir) {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            if p.is_dir() {
                walk(root, &p, belongs, out);
            } else if !belongs(rel) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &belongs, &mut out);
    out
}

/// `Ok` when `orphans` is empty, else a message naming each file.
pub fn no_orphans(dir: &Path, orphans: Vec<String>) -> Result<(), String> {
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} file(s) under {} belong to no case (a renamed or removed case left them; \
             delete them or restore the case):\n  {}",
            orphans.len(),
            dir.display(),
            orphans.join("\n  ")
        ))
    }
}
