//! Finding the schema of a Prisma project the way Prisma does, from the current directory
//! (docs/config.md, "Where the schema is found"):
//!
//! 1. `prisma.config.ts` (or `.mts`, `.js`, `.mjs`) whose `schema` property is a plain string
//!    literal, read as text (never run): the path is taken against the config file's
//!    directory. Any other `schema` value (a variable, `path.join(…)`, a template with `${}`)
//!    is an error asking for the flag, since it cannot be read without running TypeScript;
//! 2. `package.json`'s `"prisma": { "schema": "…" }`;
//! 3. `schema.prisma`, then `prisma/schema.prisma`, then a `prisma/schema/` folder of `.prisma`
//!    files (a multi-file schema).
//!
//! A path named by 1 or 2 must exist (else an error naming where it came from).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// Config files Prisma reads, in its order.
pub const PRISMA_CONFIG_FILES: &[&str] = &[
    "prisma.config.ts",
    "prisma.config.mts",
    "prisma.config.js",
    "prisma.config.mjs",
];

/// A schema found in a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The schema file or folder.
    pub path: PathBuf,
    /// Where the path came from (`prisma.config.ts`, `package.json`, `default location`).
    pub from: String,
}

/// The project's schema, looked for in `dir` as Prisma does. `Ok(None)` when there is none.
pub fn prisma_schema(dir: &Path) -> anyhow::Result<Option<Found>> {
    for name in PRISMA_CONFIG_FILES {
        let file = dir.join(name);
        if !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        match config_schema(&text) {
            Ok(Some(rel)) => return named(dir, &rel, &file).map(Some),
            Ok(None) => break,
            Err(why) => bail!(
                "{}: {why}; schemadiff reads this file without running it, so name the schema with a flag (`--to` for plan and apply, `--schema` for drift, a FILE for validate) or in schemadiff.toml (`schema = \"…\"`)",
                file.display()
            ),
        }
    }
    let package = dir.join("package.json");
    if package.is_file() {
        let text = std::fs::read_to_string(&package)
            .with_context(|| format!("cannot read {}", package.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", package.display()))?;
        if let Some(v) = json.get("prisma").and_then(|p| p.get("schema")) {
            let rel = v.as_str().with_context(|| {
                format!("{}: `prisma.schema` must be a string", package.display())
            })?;
            return named(dir, rel, &package).map(Some);
        }
    }
    for rel in ["schema.prisma", "prisma/schema.prisma"] {
        let p = dir.join(rel);
        if p.is_file() {
            return Ok(Some(Found {
                path: p,
                from: "default location".into(),
            }));
        }
    }
    let folder = dir.join("prisma/schema");
    if crate::schema_folder::is_schema_folder(&folder) {
        return Ok(Some(Found {
            path: folder,
            from: "default location".into(),
        }));
    }
    Ok(None)
}

fn named(dir: &Path, rel: &str, source: &Path) -> anyhow::Result<Found> {
    if rel.is_empty() {
        bail!("{}: the schema path is empty", source.display());
    }
    let base = source.parent().unwrap_or(dir);
    let path = base.join(rel);
    if !path.exists() {
        bail!(
            "{} names the schema `{rel}`, but {} does not exist",
            source.display(),
            path.display()
        );
    }
    let from = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Found { path, from })
}

/// The `schema` property of a Prisma config file: `Ok(Some(path))` for a plain string literal,
/// `Ok(None)` when the file sets no `schema`, `Err(why)` for any other value.
pub fn config_schema(text: &str) -> Result<Option<String>, String> {
    let code = strip_comments(text);
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find("schema") {
        let start = i + at;
        let end = start + "schema".len();
        i = end;
        // A property name: not part of a longer identifier, optionally quoted, then `:`.
        let before = code[..start].trim_end_matches(['"', '\'']);
        let prev = before.chars().next_back();
        if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.') {
            continue;
        }
        if bytes
            .get(end)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        {
            continue;
        }
        let rest = code[end..].trim_start_matches(['"', '\'']).trim_start();
        let Some(value) = rest.strip_prefix(':') else {
            // `schema,` shorthand or `schema(`: a value we cannot read.
            let next = rest.chars().next();
            if matches!(next, Some(',') | Some('}'))
                && prev.is_some_and(|c| c == '{' || c == ',' || c.is_whitespace())
            {
                return Err("its `schema` is a variable (shorthand property)".into());
            }
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next();
        let Some(q) = quote.filter(|c| matches!(c, '"' | '\'' | '`')) else {
            return Err("its `schema` is not a plain string".into());
        };
        let body = &value[1..];
        let Some(close) = body.find(q) else {
            return Err("its `schema` string is not closed".into());
        };
        let literal = &body[..close];
        if literal.contains('\\') || (q == '`' && literal.contains("${")) {
            return Err("its `schema` is not a plain string".into());
        }
        let after = body[close + 1..].trim_start();
        if !(after.is_empty() || after.starts_with(',') || after.starts_with('}')) {
            return Err("its `schema` is an expression, not a plain string".into());
        }
        return Ok(Some(literal.to_string()));
    }
    Ok(None)
}

/// The text with `//` and `/* */` comments blanked, strings kept.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_string_schemas_are_read_and_anything_else_is_refused() {
        let ok = |t: &str| config_schema(t).unwrap();
        assert_eq!(
            ok(r#"import { defineConfig } from "prisma/config";
export default defineConfig({
  // schema: "old.prisma",
  /* schema: 'older.prisma' */
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});"#)
            .as_deref(),
            Some("prisma/schema.prisma")
        );
        assert_eq!(
            ok("export default { 'schema': 'db/s.prisma' }").as_deref(),
            Some("db/s.prisma")
        );
        assert_eq!(
            ok("export default { schema: `db/schema` }").as_deref(),
            Some("db/schema")
        );
        assert_eq!(ok("export default defineConfig({ earlySchema: 1 })"), None);
        assert_eq!(ok("export default defineConfig({})"), None);
        for bad in [
            "export default { schema: path.join('prisma', 'schema.prisma') }",
            "const schema = 'x'; export default { schema }",
            "export default { schema: SCHEMA }",
            "export default { schema: `${dir}/schema.prisma` }",
            "export default { schema: 'a' + '.prisma' }",
            "export default { schema: process.env.SCHEMA }",
        ] {
            assert!(config_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_schema_is_found_in_prismas_order() {
        let root = std::env::temp_dir().join(format!("sd-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("prisma/schema")).unwrap();
        assert_eq!(prisma_schema(&root).unwrap(), None);
        std::fs::write(
            root.join("prisma/schema/a.prisma"),
            "model A { id Int @id }",
        )
        .unwrap();
        assert_eq!(
            prisma_schema(&root).unwrap().unwrap().path,
            root.join("prisma/schema")
        );
        std::fs::write(root.join("prisma/schema.prisma"), "").unwrap();
        assert_eq!(
            prisma_schema(&root).unwrap().unwrap().path,
            root.join("prisma/schema.prisma")
        );
        std::fs::create_dir_all(root.join("db")).unwrap();
        std::fs::write(root.join("db/main.prisma"), "").unwrap();
        std::fs::write(
            root.join("package.json"),
            r#"{"prisma": {"schema": "db/main.prisma"}}"#,
        )
        .unwrap();
        let f = prisma_schema(&root).unwrap().unwrap();
        assert_eq!(
            (f.path, f.from.as_str()),
            (root.join("db/main.prisma"), "package.json")
        );
        std::fs::write(
            root.join("prisma.config.ts"),
            "export default { schema: 'prisma/schema' }",
        )
        .unwrap();
        let f = prisma_schema(&root).unwrap().unwrap();
        assert_eq!(
            (f.path, f.from.as_str()),
            (root.join("prisma/schema"), "prisma.config.ts")
        );
        std::fs::write(
            root.join("prisma.config.ts"),
            "export default { schema: 'missing.prisma' }",
        )
        .unwrap();
        let e = format!("{:#}", prisma_schema(&root).unwrap_err());
        assert!(e.contains("names the schema `missing.prisma`"), "{e}");
        std::fs::write(
            root.join("prisma.config.ts"),
            "export default { schema: p() }",
        )
        .unwrap();
        let e = format!("{:#}", prisma_schema(&root).unwrap_err());
        assert!(
            e.contains("not a plain string") && e.contains("--schema"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
