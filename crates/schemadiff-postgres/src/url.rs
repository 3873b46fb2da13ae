//! Connection strings: parsing `postgres://` / `postgresql://` URLs, Prisma's extra query
//! parameters, `DATABASE_URL` / `.env` resolution, and password redaction.
//!
//! Prisma users write `postgresql://u:p@h:5432/db?schema=app&connection_limit=5`. The driver
//! rejects parameters it does not know, so the ones only Prisma understands are removed here:
//! `schema` selects the schemas to introspect (comma-separated list allowed), `sslmode` and
//! `sslrootcert` are handled by this crate's TLS setup (the driver knows neither `verify-ca`
//! nor `verify-full`), and Prisma's pool/engine settings are dropped.

use crate::error::{Error, scrub};
use std::path::{Path, PathBuf};

/// How to use TLS, following libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Plain TCP, never TLS.
    Disable,
    /// Try TLS (without certificate verification); use plain TCP when the server refuses TLS
    /// or the handshake fails. The default, as in libpq.
    #[default]
    Prefer,
    /// TLS required, certificate not verified (libpq's meaning of `require`).
    Require,
    /// TLS required, certificate chain verified against the Mozilla roots plus `sslrootcert`.
    /// The host name is checked too: this crate treats `verify-ca` as `verify-full`.
    VerifyFull,
}

/// Connect timeout used unless the URL sets `connect_timeout` (seconds).
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

/// Query parameters that only Prisma understands; dropped before the URL reaches the driver.
const PRISMA_ONLY: &[&str] = &[
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "statement_cache_size",
    "socket_timeout",
    "sslaccept",
    "sslidentity",
    "sslpassword",
    "sslcert",
    "schema",
];

/// Where to connect and what to introspect, parsed from a URL.
#[derive(Clone)]
pub struct ConnectOptions {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) ssl_mode: SslMode,
    pub(crate) root_cert: Option<PathBuf>,
    pub(crate) schemas: Vec<String>,
    pub(crate) redacted: String,
    pub(crate) secrets: Vec<String>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &self.redacted)
            .field("ssl_mode", &self.ssl_mode)
            .field("root_cert", &self.root_cert)
            .field("schemas", &self.schemas)
            .finish()
    }
}

impl ConnectOptions {
    /// Parses a `postgres://` or `postgresql://` URL (Prisma's `?schema=` allowed).
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let redacted = scrub_after_authority(&redact_url(url), &url_secrets(url));
        let invalid = |reason: String| Error::InvalidUrl {
            url: redacted.clone(),
            reason,
        };
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
            return Err(invalid(
                "expected a url starting with postgres:// or postgresql://".into(),
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut secrets = Vec::new();
        if let Some(pw) = url_password(base) {
            secrets.push(percent_decode(&pw));
            secrets.push(pw);
        }
        let mut kept = Vec::new();
        let mut schemas = Vec::new();
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(v);
            match k {
                "schema" => schemas.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                ),
                "sslmode" => {
                    ssl_mode = match value.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" | "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(invalid(format!(
                                "unknown sslmode {other:?} (expected disable, prefer, require, verify-ca or verify-full)"
                            )));
                        }
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(value)),
                "password" => {
                    secrets.push(value.clone());
                    secrets.push(v.to_string());
                    kept.push(pair);
                }
                _ if PRISMA_ONLY.contains(&k) => {}
                _ => kept.push(pair),
            }
        }
        if schemas.is_empty() {
            schemas.push("public".to_string());
        }
        let driver_url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let mut config: tokio_postgres::Config = driver_url
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(scrub(&e.to_string(), &secret_refs)))?;
        if config.get_user().is_none() {
            config.user(std::env::var("USER").unwrap_or_else(|_| "postgres".into()));
        }
        config.application_name("schemadiff");
        if config.get_connect_timeout().is_none() {
            // An unreachable (firewalled) host would otherwise hang forever.
            config.connect_timeout(std::time::Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS));
        }
        Ok(ConnectOptions {
            config,
            ssl_mode,
            root_cert,
            schemas,
            redacted,
            secrets,
        })
    }

    /// The URL from the argument, else `DATABASE_URL`, else `DATABASE_URL=` in `./.env`.
    pub fn resolve(arg: Option<&str>) -> Result<Self, Error> {
        let env = std::env::var("DATABASE_URL").ok();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::from_url(&resolve_url(arg, env.as_deref(), &cwd)?)
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        self.redacted.clone()
    }

    /// The schemas to introspect (`?schema=`, default `public`).
    pub fn schemas(&self) -> Vec<String> {
        self.schemas.clone()
    }

    /// Introspection options for the URL's schemas, excluding nothing.
    pub fn introspect_options(&self) -> crate::IntrospectOptions {
        crate::IntrospectOptions::for_schemas(self.schemas.clone())
    }

    /// The TLS mode.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    pub(crate) fn secret_refs(&self) -> Vec<&str> {
        self.secrets.iter().map(String::as_str).collect()
    }
}

/// Picks the URL: the argument, else the `DATABASE_URL` value, else `dir/.env`.
pub(crate) fn resolve_url(
    arg: Option<&str>,
    env: Option<&str>,
    dir: &Path,
) -> Result<String, Error> {
    if let Some(a) = arg.filter(|a| !a.trim().is_empty()) {
        return Ok(a.to_string());
    }
    if let Some(e) = env.filter(|e| !e.trim().is_empty()) {
        return Ok(e.to_string());
    }
    let path = dir.join(".env");
    match std::fs::read_to_string(&path) {
        Ok(text) => dotenv_database_url(&text).ok_or(Error::NoUrl),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoUrl),
        Err(e) => Err(Error::EnvFile {
            path: path.display().to_string(),
            reason: e.to_string().to_lowercase(),
        }),
    }
}

/// The value of `DATABASE_URL` in `.env` text, read by dotenvy (`export` prefix, quotes,
/// comments and `${VAR}` substitution; lines it cannot read are skipped). Nothing is put into
/// the process environment.
pub(crate) fn dotenv_database_url(text: &str) -> Option<String> {
    dotenvy::from_read_iter(text.as_bytes())
        .filter_map(Result::ok)
        .find(|(key, value)| key == "DATABASE_URL" && !value.is_empty())
        .map(|(_, value)| value)
}

/// Every spelling of the passwords in a URL (user info and `password=`), raw and decoded.
fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let base = url.split('?').next().unwrap_or(url);
    if let Some(pw) = url_password(base) {
        secrets.push(percent_decode(&pw));
        secrets.push(pw);
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some(v) = pair.strip_prefix("password=") {
                secrets.push(percent_decode(v));
                secrets.push(v.to_string());
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// Scrubs secrets from the path and query of a (redacted) URL, where a server could echo
/// them (a database named like the password); scheme and user info are left readable.
fn scrub_after_authority(url: &str, secrets: &[String]) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let cut = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    format!("{}{}", &url[..cut], scrub(&url[cut..], &refs))
}

/// The raw (still percent-encoded) password of a URL's user info, if any.
fn url_password(base: &str) -> Option<String> {
    let start = base.find("://")? + 3;
    let rest = &base[start..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let (_, pw) = userinfo.split_once(':')?;
    Some(pw.to_string())
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hides the password of a connection string: the user-info password of a URL and any
/// `password=` query parameter or key/value pair become `***`. Anything else is unchanged.
///
/// `redact_url("postgres://u:secret@h/db?password=x")` is `postgres://u:***@h/db?password=***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let rest = &out[start..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            out = format!("{}:***{}", &out[..start + colon], &out[start + at..]);
        }
    }
    // `password=...` in a query string or a key/value connection string.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(pos) = find_password_key(rest) {
        let value_start = pos + "password=".len();
        result.push_str(&rest[..value_start]);
        result.push_str("***");
        let after = &rest[value_start..];
        let end = if let Some(q) = after.strip_prefix('\'') {
            q.find('\'').map(|i| i + 2).unwrap_or(after.len())
        } else {
            after.find(['&', ' ']).unwrap_or(after.len())
        };
        rest = &after[end..];
    }
    result.push_str(rest);
    result
}

fn find_password_key(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("password=") {
        let pos = from + i;
        let prev = lower[..pos].chars().last();
        if matches!(prev, None | Some('?' | '&' | ' ')) {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_params() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgresql://u:p%40ss@h:5432/db?sslmode=require&password=x1&schema=a"),
            "postgresql://u:***@h:5432/db?sslmode=require&password=***&schema=a"
        );
        assert_eq!(
            redact_url("host=h password='a b' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            redact_url("postgres://h/db?mypassword=1"),
            "postgres://h/db?mypassword=1"
        );
    }

    #[test]
    fn parses_prisma_urls() {
        let o = ConnectOptions::from_url(
            "postgresql://u:pw@localhost:5433/app?schema=tenant&connection_limit=3&sslmode=disable",
        )
        .unwrap();
        assert_eq!(o.schemas(), vec!["tenant"]);
        assert_eq!(o.ssl_mode(), SslMode::Disable);
        assert_eq!(
            o.redacted(),
            "postgresql://u:***@localhost:5433/app?schema=tenant&connection_limit=3&sslmode=disable"
        );
        assert_eq!(o.config.get_dbname(), Some("app"));
        assert_eq!(o.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(
            o.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(
                DEFAULT_CONNECT_TIMEOUT_SECS
            ))
        );
        let t = ConnectOptions::from_url("postgres://u@h/db?connect_timeout=3").unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
        assert!(!format!("{o:?}").contains("pw@"));
        let d = ConnectOptions::from_url("postgres://u@h/db").unwrap();
        assert_eq!(d.schemas(), vec!["public"]);
        assert_eq!(d.ssl_mode(), SslMode::Prefer);
        let v =
            ConnectOptions::from_url("postgres://u@h/db?sslmode=verify-full&sslrootcert=/x.pem")
                .unwrap();
        assert_eq!(v.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(v.root_cert.as_deref(), Some(Path::new("/x.pem")));
    }

    #[test]
    fn bad_urls_are_errors_without_password() {
        let e = ConnectOptions::from_url("mysql://u:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("postgres://"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = ConnectOptions::from_url("postgres://u:hunter2@h/db?sslmode=bogus")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sslmode"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = ConnectOptions::from_url("postgres://u:hunter2@h/db?nonsense=1")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid database url postgres://u:***@h/db"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn dotenv_forms() {
        assert_eq!(
            dotenv_database_url("# c\nOTHER=1\nDATABASE_URL=\"postgres://a/b\" # x\n").as_deref(),
            Some("postgres://a/b")
        );
        assert_eq!(
            dotenv_database_url("export DATABASE_URL='postgres://a/c'").as_deref(),
            Some("postgres://a/c")
        );
        assert_eq!(
            dotenv_database_url("DATABASE_URL=postgres://a/d # comment").as_deref(),
            Some("postgres://a/d")
        );
        assert_eq!(dotenv_database_url("DATABASE_URL_X=1"), None);
        // A line that cannot be read does not hide the ones after it; single quotes keep `$`.
        assert_eq!(
            dotenv_database_url("NOT A LINE\nDATABASE_URL='postgres://u:pa$s@h/e'\n").as_deref(),
            Some("postgres://u:pa$s@h/e")
        );
    }

    #[test]
    fn resolution_order() {
        let dir = std::env::temp_dir().join(format!("sd-pg-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(resolve_url(None, None, &dir), Err(Error::NoUrl)));
        std::fs::write(dir.join(".env"), "DATABASE_URL=postgres://file/db\n").unwrap();
        assert_eq!(resolve_url(None, None, &dir).unwrap(), "postgres://file/db");
        assert_eq!(
            resolve_url(None, Some("postgres://env/db"), &dir).unwrap(),
            "postgres://env/db"
        );
        assert_eq!(
            resolve_url(Some("postgres://arg/db"), Some("postgres://env/db"), &dir).unwrap(),
            "postgres://arg/db"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
