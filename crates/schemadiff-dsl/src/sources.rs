//! Multi-file schemas: a folder of schema files read as one schema.
//!
//! The files are joined into one text (each ending with a newline, in the order given), parsed
//! and checked as a whole, so that a model in one file can refer to an enum or model in another
//! and the datasource can live in any of them. [`Sources`] maps every byte of the joined text
//! back to its file, so that diagnostics point at `file:line:col` of the file that holds the
//! culprit.

use crate::Lowered;
use crate::ast::Span;
use crate::diagnostics::Diagnostic;

/// One schema file: its name for messages and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// How to name the file in messages (usually its path).
    pub path: String,
    /// Its content.
    pub text: String,
}

/// Several schema files read as one schema.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// Byte offset of each file in `joined`.
    starts: Vec<usize>,
    joined: String,
}

impl Sources {
    /// Joins the files in the order given.
    pub fn new(files: Vec<SourceFile>) -> Self {
        let mut joined = String::with_capacity(files.iter().map(|f| f.text.len() + 1).sum());
        let mut starts = Vec::with_capacity(files.len());
        for f in &files {
            starts.push(joined.len());
            joined.push_str(&f.text);
            if !f.text.is_empty() && !f.text.ends_with('\n') {
                joined.push('\n');
            }
        }
        Sources {
            files,
            starts,
            joined,
        }
    }

    /// The files, in order.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The joined text that is parsed.
    pub fn text(&self) -> &str {
        &self.joined
    }

    /// The file holding a byte offset of the joined text, and the offset within that file.
    pub fn locate(&self, offset: usize) -> Option<(usize, usize)> {
        if self.files.is_empty() {
            return None;
        }
        let i = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let local = (offset - self.starts[i]).min(self.files[i].text.len());
        Some((i, local))
    }

    /// Diagnostics of the joined text, grouped by file, with spans within their file.
    pub fn split(&self, diags: &[Diagnostic]) -> Vec<(&SourceFile, Vec<Diagnostic>)> {
        let mut out: Vec<(&SourceFile, Vec<Diagnostic>)> = Vec::new();
        for (i, f) in self.files.iter().enumerate() {
            let mut mine = Vec::new();
            for d in diags {
                let Some((fi, start)) = self.locate(d.span.start) else {
                    continue;
                };
                if fi != i {
                    continue;
                }
                let end = (d.span.end.max(d.span.start) - self.starts[i]).min(f.text.len());
                let mut local = d.clone();
                local.span = Span::new(start, end.max(start));
                mine.push(local);
            }
            if !mine.is_empty() {
                out.push((f, mine));
            }
        }
        out
    }

    /// Renders diagnostics of the joined text file by file, as the command line prints them.
    pub fn render(&self, diags: &[Diagnostic], color: bool) -> String {
        self.split(diags)
            .into_iter()
            .map(|(f, d)| crate::render_diagnostics(&d, &f.path, &f.text, color))
            .collect()
    }

    /// Parses, validates and lowers the files as one schema (see [`crate::load`]).
    pub fn load(&self) -> Lowered {
        crate::load("", &self.joined)
    }
}
