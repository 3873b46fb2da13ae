//! Puts the commit into `--version`: `SCHEMADIFF_COMMIT` is `git rev-parse --short HEAD` when
//! the source is a git checkout with git installed, and empty otherwise (a source tarball).

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&manifest)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_default();
    println!("cargo:rustc-env=SCHEMADIFF_COMMIT={commit}");
    // Rebuild when HEAD moves: the git dir (a worktree's own, or the checkout's) holds HEAD and
    // the refs it points to.
    if let Some(git_dir) = git_path(&manifest, "--git-dir") {
        let common = git_path(&manifest, "--git-common-dir").unwrap_or(git_dir.clone());
        let mut watch = vec![git_dir.join("HEAD"), common.join("packed-refs")];
        if let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD"))
            && let Some(r) = head.trim().strip_prefix("ref: ")
        {
            watch.push(git_dir.join(r));
            watch.push(common.join(r));
        }
        for p in watch.iter().filter(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// `git rev-parse <flag>` as an absolute path.
fn git_path(manifest: &str, flag: &str) -> Option<std::path::PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", flag])
        .current_dir(manifest)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let s = String::from_utf8(out.stdout).ok()?;
    let p = Path::new(manifest).join(s.trim());
    Some(p)
}
