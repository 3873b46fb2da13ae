//! Expected-output files: the reviewed text a test compares its output with.

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding `crates/`, `fixtures/`, `schemas/`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(Path::parent)
        .expect("testkit lives in crates/schemadiff-testkit")
        .to_path_buf()
}

/// Asserts that `actual` equals the content of `path`.
///
/// With `UPDATE_EXPECT=1` in the environment the file is (re)written instead, so a reviewer
/// sees the change as a diff in the pull request. A missing file is an error otherwise.
#[track_caller]
pub fn assert_file(path: impl AsRef<Path>, actual: &str) {
    let path = path.as_ref();
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create expected-file directory");
        }
        std::fs::write(path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read expected file {}: {e}\n(run with UPDATE_EXPECT=1 to create it, then review it)", path.display())
    });
    if expected != actual {
        let mut msg = format!(
            "output differs from {}\n(run with UPDATE_EXPECT=1 to accept, then review the diff)\n",
            path.display()
        );
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                msg.push_str(&format!(
                    "first difference at line {}:\n  expected: {e}\n  actual:   {a}\n",
                    i + 1
                ));
                break;
            }
        }
        msg.push_str(&format!(
            "expected {} lines, got {} lines\n--- actual ---\n{actual}",
            expected.lines().count(),
            actual.lines().count()
        ));
        panic!("{msg}");
    }
}
