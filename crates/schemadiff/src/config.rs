//! `schemadiff.toml`: what a team sets once (docs/config.md).
//!
//! The file is optional. [`Config::find`] looks for it in a directory and its parents up to the
//! repository root (the first directory holding `.git`); `--config FILE` names it instead
//! ([`Config::load`]). Paths in it are relative to the file's directory. Every key is checked:
//! an unknown key is an error naming the key path and the closest known key; a value of the
//! wrong kind is an error naming the key. Command-line flags override every value (the CLI
//! applies them; the engine only reads the file).

use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const FILE_NAME: &str = "schemadiff.toml";

/// Top-level keys, in the order docs/config.md lists them.
pub const KEYS: &[&str] = &[
    "schema",
    "migrations",
    "mapping",
    "database_url_env",
    "lock_timeout",
    "statement_timeout",
    "allow_hazards",
    "online",
];

/// Keys of the `[online]` table.
pub const ONLINE_KEYS: &[&str] = &["batch_size", "batch_pause", "lock_timeout"];

/// A parsed `schemadiff.toml`. Every field is `None` (empty) when the file does not set it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file read (absent for [`Config::default`]).
    pub path: Option<PathBuf>,
    /// `schema`: the schema file or folder (resolved against the file's directory).
    pub schema: Option<PathBuf>,
    /// `migrations`: the migrations folder (resolved).
    pub migrations: Option<PathBuf>,
    /// `mapping`: the mapping file used when `--map` is not given (resolved).
    pub mapping: Option<PathBuf>,
    /// `database_url_env`: the environment variable holding the database URL.
    pub database_url_env: Option<String>,
    /// `lock_timeout` as written (`"5s"`); the CLI parses durations.
    pub lock_timeout: Option<String>,
    /// `statement_timeout` as written.
    pub statement_timeout: Option<String>,
    /// `allow_hazards`: hazard codes the team allows (each a known code or `all`).
    pub allow_hazards: Vec<String>,
    /// `[online]`: defaults for online (batched, low-lock) mode, kept as written.
    pub online: Online,
}

/// The `[online]` table: defaults that online mode reads. Durations are kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Online {
    /// `batch_size`: rows per batch of a backfill.
    pub batch_size: Option<u64>,
    /// `batch_pause`: pause between batches (`"100ms"`).
    pub batch_pause: Option<String>,
    /// `lock_timeout`: lock timeout of each online step.
    pub lock_timeout: Option<String>,
}

impl Config {
    /// Finds `schemadiff.toml` in `start` or a parent, stopping at the repository root (the
    /// first directory that holds `.git`) or the filesystem root, and reads it. `Ok(None)`
    /// when there is none.
    pub fn find(start: &Path) -> anyhow::Result<Option<Config>> {
        match find_file(start) {
            Some(path) => Config::load(&path).map(Some),
            None => Ok(None),
        }
    }

    /// Reads the file at `path` (an error when it is missing or invalid).
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base)
            .with_context(|| format!("config file {}", path.display()))
            .map(|c| Config {
                path: Some(path.to_path_buf()),
                ..c
            })
    }

    /// Parses config text; relative paths are taken against `base`.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Config> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        let mut c = Config::default();
        let path = |v: &toml::Value, key: &str| -> anyhow::Result<PathBuf> {
            let s = string(v, key)?;
            if s.is_empty() {
                bail!("`{key}` is empty");
            }
            Ok(base.join(s))
        };
        for (key, value) in &table {
            match key.as_str() {
                "schema" => c.schema = Some(path(value, key)?),
                "migrations" => c.migrations = Some(path(value, key)?),
                "mapping" => c.mapping = Some(path(value, key)?),
                "database_url_env" => {
                    let s = string(value, key)?;
                    if s.is_empty() || !s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                    {
                        bail!(
                            "`database_url_env` must be an environment variable name (letters, digits, `_`), not `{s}`"
                        );
                    }
                    c.database_url_env = Some(s.to_string());
                }
                "lock_timeout" => c.lock_timeout = Some(string(value, key)?.to_string()),
                "statement_timeout" => c.statement_timeout = Some(string(value, key)?.to_string()),
                "allow_hazards" => {
                    let items = value
                        .as_array()
                        .with_context(|| format!("`{key}` must be a list of hazard codes"))?;
                    for (i, item) in items.iter().enumerate() {
                        let code = string(item, &format!("{key}[{i}]"))?;
                        if code != "all" && !schemadiff_plan::HAZARD_CODES.contains(&code) {
                            bail!(
                                "`{key}[{i}]`: unknown hazard code `{code}`{}; valid codes: all, {} (docs/hazards.md)",
                                did_you_mean(code, schemadiff_plan::HAZARD_CODES),
                                schemadiff_plan::HAZARD_CODES.join(", ")
                            );
                        }
                        c.allow_hazards.push(code.to_string());
                    }
                }
                "online" => c.online = online(value)?,
                other => bail!(
                    "unknown key `{other}`{}; known keys: {}",
                    did_you_mean(other, KEYS),
                    KEYS.join(", ")
                ),
            }
        }
        Ok(c)
    }
}

fn online(value: &toml::Value) -> anyhow::Result<Online> {
    let table = value
        .as_table()
        .context("`online` must be a table (`[online]`)")?;
    let mut o = Online::default();
    for (key, v) in table {
        let path = format!("online.{key}");
        match key.as_str() {
            "batch_size" => {
                let n = v
                    .as_integer()
                    .filter(|n| *n > 0)
                    .with_context(|| format!("`{path}` must be a positive integer"))?;
                o.batch_size = Some(n as u64);
            }
            "batch_pause" => o.batch_pause = Some(string(v, &path)?.to_string()),
            "lock_timeout" => o.lock_timeout = Some(string(v, &path)?.to_string()),
            other => bail!(
                "unknown key `online.{other}`{}; known keys: {}",
                did_you_mean(other, ONLINE_KEYS),
                ONLINE_KEYS
                    .iter()
                    .map(|k| format!("online.{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(o)
}

fn string<'a>(v: &'a toml::Value, key: &str) -> anyhow::Result<&'a str> {
    v.as_str()
        .with_context(|| format!("`{key}` must be a string, not {}", v.type_str()))
}

/// ` (did you mean `x`?)` when a known name is close to `name`, else nothing.
pub fn did_you_mean(name: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, k)) if score >= 0.8 => format!(" (did you mean `{k}`?)"),
        _ => String::new(),
    }
}

/// The `schemadiff.toml` in `start` or its nearest parent, not above the repository root.
pub fn find_file(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

impl Online {
    /// The values set, by key, as written.
    pub fn as_map(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        if let Some(n) = self.batch_size {
            m.insert("batch_size", n.to_string());
        }
        for (k, v) in [
            ("batch_pause", &self.batch_pause),
            ("lock_timeout", &self.lock_timeout),
        ] {
            if let Some(v) = v {
                m.insert(k, v.clone());
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_and_paths_follow_the_file() {
        let c = Config::parse(
            r#"
schema = "prisma/schema.prisma"
migrations = "prisma/migrations"
mapping = "map.toml"
database_url_env = "APP_DATABASE_URL"
lock_timeout = "2s"
statement_timeout = "10min"
allow_hazards = ["table-rewrite", "all"]

[online]
batch_size = 500
batch_pause = "50ms"
"#,
            Path::new("/repo"),
        )
        .unwrap();
        assert_eq!(
            c.schema.as_deref(),
            Some(Path::new("/repo/prisma/schema.prisma"))
        );
        assert_eq!(
            c.migrations.as_deref(),
            Some(Path::new("/repo/prisma/migrations"))
        );
        assert_eq!(c.mapping.as_deref(), Some(Path::new("/repo/map.toml")));
        assert_eq!(c.database_url_env.as_deref(), Some("APP_DATABASE_URL"));
        assert_eq!(c.lock_timeout.as_deref(), Some("2s"));
        assert_eq!(c.statement_timeout.as_deref(), Some("10min"));
        assert_eq!(c.allow_hazards, ["table-rewrite", "all"]);
        assert_eq!(c.online.batch_size, Some(500));
        assert_eq!(c.online.as_map()["batch_pause"], "50ms");
        assert_eq!(
            Config::parse("", Path::new("/")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_with_suggestions() {
        let err = |t: &str| format!("{:#}", Config::parse(t, Path::new("/")).unwrap_err());
        let e = err("migration = \"m\"");
        assert!(
            e.contains("unknown key `migration` (did you mean `migrations`?)"),
            "{e}"
        );
        let e = err("[online]\nbatch_sise = 3");
        assert!(
            e.contains("unknown key `online.batch_sise` (did you mean `batch_size`?)"),
            "{e}"
        );
        let e = err("zzz = 1");
        assert!(e.contains("unknown key `zzz`; known keys: schema,"), "{e}");
        let e = err("allow_hazards = [\"drop-tabel\"]");
        assert!(e.contains("(did you mean `drop-table`?)"), "{e}");
        let e = err("schema = 3");
        assert!(e.contains("`schema` must be a string, not integer"), "{e}");
        let e = err("database_url_env = \"A; rm\"");
        assert!(e.contains("environment variable name"), "{e}");
        let e = err("[online]\nbatch_size = 0");
        assert!(e.contains("positive integer"), "{e}");
        let e = err("schema = ");
        assert!(!e.is_empty());
    }

    #[test]
    fn the_file_is_found_upward_but_not_past_the_repository_root() {
        let root = std::env::temp_dir().join(format!("sd-config-{}", std::process::id()));
        let deep = root.join("repo/a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        // Above the repository root: never read.
        std::fs::write(root.join(FILE_NAME), "schema = \"outside\"").unwrap();
        assert_eq!(Config::find(&deep).unwrap(), None);
        std::fs::write(root.join("repo").join(FILE_NAME), "schema = \"s.prisma\"").unwrap();
        let c = Config::find(&deep).unwrap().unwrap();
        assert_eq!(c.schema, Some(root.join("repo/s.prisma")));
        assert_eq!(c.path, Some(root.join("repo").join(FILE_NAME)));
        std::fs::write(root.join("repo/a").join(FILE_NAME), "nope = 1").unwrap();
        let e = format!("{:#}", Config::find(&deep).unwrap_err());
        assert!(
            e.contains("a/schemadiff.toml") && e.contains("unknown key `nope`"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
