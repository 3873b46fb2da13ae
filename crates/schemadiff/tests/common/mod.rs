//! What the engine's database tests share: their runtime, and schemas read from DSL text.
// Each test file uses some of these.
#![allow(dead_code)]

use schemadiff::Loaded;
use schemadiff_testkit::workspace_root;

/// A runtime with two workers (the online tests run writers next to the runner).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The schema of DSL `text`, labelled `label`; the parser's diagnostics when it has errors.
pub fn try_dsl(label: &str, text: &str) -> Result<Loaded, String> {
    let l = schemadiff_dsl::load(label, text);
    if l.has_errors() {
        return Err(format!("{label}: {:?}", l.diagnostics));
    }
    Ok(Loaded {
        label: label.into(),
        schema: l.schema,
        names: Some(l.names),
        notes: Vec::new(),
        server_major: None,
    })
}

/// A schema written in the DSL, as the engine loads a schema file; panics on errors.
pub fn dsl(label: &str, text: &str) -> Loaded {
    try_dsl(label, text).unwrap_or_else(|e| panic!("{e}"))
}

/// The schema file at `path` under the workspace root.
pub fn file(path: &str) -> Loaded {
    let p = workspace_root().join(path);
    dsl(path, &std::fs::read_to_string(&p).expect("fixture"))
}
