//! GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`), the
//! `--format github` output of `validate`, `plan` and `drift`.
//!
//! Escaping follows the runner's rules: in the message `%`, CR and LF are percent-encoded; in a
//! property value (`file`, `title`) also `:` and `,`, which would otherwise end the value or
//! the property list. A message may hold `::` (only the first `::` after the properties ends
//! them), but a file name or title with `::` is encoded.

use std::fmt;
use std::path::Path;

/// The annotation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `::error`
    Error,
    /// `::warning`
    Warning,
    /// `::notice`
    Notice,
}

/// One workflow annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Its level.
    pub level: Level,
    /// The file it points at (a path relative to the repository root works best).
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub col: Option<usize>,
    /// Short title.
    pub title: Option<String>,
    /// The message (may span lines).
    pub message: String,
}

impl Annotation {
    /// An annotation with only a level and a message.
    pub fn new(level: Level, message: impl Into<String>) -> Self {
        Annotation {
            level,
            file: None,
            line: None,
            col: None,
            title: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = &self.file {
            props.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = self.line {
            props.push(format!("line={line}"));
        }
        if let Some(col) = self.col {
            props.push(format!("col={col}"));
        }
        if let Some(title) = &self.title {
            props.push(format!("title={}", escape_property(title)));
        }
        let sep = if props.is_empty() { "" } else { " " };
        write!(
            f,
            "::{level}{sep}{}::{}",
            props.join(","),
            escape_data(&self.message)
        )
    }
}

/// Escapes a workflow-command message: `%`, CR, LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// 1-based line and column (in characters) of a byte offset of `text` (the DSL's own, so
/// annotations and diagnostics count the same way).
pub use schemadiff_dsl::line_col;

/// Finds where models and enums are declared in the schema files of a plan's or drift's
/// sides; each side's files are read once.
pub struct Locator<'a> {
    /// Per side (in the order given): its DSL names and its files (path, text).
    sides: Vec<(&'a schemadiff::Loaded, Vec<(String, String)>)>,
}

impl<'a> Locator<'a> {
    /// Reads the schema files of the sides that are schema files (others are skipped).
    pub fn new(sides: &[&'a schemadiff::Loaded]) -> Locator<'a> {
        let sides = sides
            .iter()
            .filter(|s| s.names.is_some() && Path::new(&s.label).exists())
            .filter_map(|s| {
                let sources = schemadiff::schema_folder::read(Path::new(&s.label)).ok()?;
                let files = sources
                    .files()
                    .iter()
                    .map(|f| (f.path.clone(), f.text.clone()))
                    .collect();
                Some((*s, files))
            })
            .collect();
        Locator { sides }
    }

    /// The first schema file read (for an annotation whose object is not declared there).
    pub fn first_file(&self) -> Option<&str> {
        self.sides.first().map(|(s, _)| s.label.as_str())
    }

    /// Where a plan step's object (a table, `schema.table`, an enum or an index name, as the
    /// plan names it) is declared: the model of a table found through the side's DSL names,
    /// else a model or enum of that name.
    pub fn find(&self, object: &str) -> Option<(String, usize, usize)> {
        let qn = match object.split_once('.') {
            Some((schema, name)) => schemadiff_model::QualifiedName::new(schema, name),
            None => schemadiff_model::QualifiedName::public(object),
        };
        for (side, files) in &self.sides {
            let model = side
                .names
                .as_ref()
                .and_then(|n| n.model_of_table(&qn))
                .unwrap_or(&qn.name);
            if let Some(found) = declaration(files, model) {
                return Some(found);
            }
        }
        None
    }

    /// An annotation at `object`'s declaration, or on the first schema file without a line
    /// when the object is not declared there (a dropped table, an index).
    pub fn at_object(
        &self,
        level: Level,
        object: &str,
        title: &str,
        message: String,
    ) -> Annotation {
        let mut a = Annotation::new(level, message);
        a.title = Some(title.to_string());
        match self.find(object) {
            Some((file, line, col)) => {
                a.file = Some(file);
                a.line = Some(line);
                a.col = Some(col);
            }
            None => a.file = self.first_file().map(str::to_string),
        }
        a
    }
}

/// Where `model NAME` (or `enum NAME`, `view NAME`) is declared in the files: the file, line
/// and column of the keyword.
fn declaration(files: &[(String, String)], name: &str) -> Option<(String, usize, usize)> {
    for (path, text) in files {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let mut words = trimmed.split_whitespace();
            if let (Some(kw), Some(n)) = (words.next(), words.next())
                && matches!(kw, "model" | "enum" | "view")
                && n.trim_end_matches('{') == name
            {
                let at = offset + (line.len() - trimmed.len());
                let (l, c) = line_col(text, at);
                return Some((path.clone(), l, c));
            }
            offset += line.len();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        let a = Annotation {
            level: Level::Error,
            file: Some("dir,x/a:b.prisma".into()),
            line: Some(3),
            col: Some(7),
            title: Some("schemadiff: drop-column".into()),
            message: "100% lost\r\nsecond line :: with colons".into(),
        };
        assert_eq!(
            a.to_string(),
            "::error file=dir%2Cx/a%3Ab.prisma,line=3,col=7,title=schemadiff%3A drop-column::100%25 lost%0D%0Asecond line :: with colons"
        );
        assert_eq!(
            Annotation::new(Level::Notice, "ok").to_string(),
            "::notice::ok"
        );
        // One annotation is one line, whatever the message holds.
        assert_eq!(
            Annotation::new(Level::Warning, "a\nb\n::error::c")
                .to_string()
                .lines()
                .count(),
            1
        );
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (2, 4));
        assert_eq!(line_col(t, 8), (3, 1));
        assert_eq!(line_col(t, 99), (3, 2));
    }
}
