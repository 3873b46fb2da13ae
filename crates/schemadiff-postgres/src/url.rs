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
    /// Parses a connection string: a `postgres://` or `postgresql://` URL (Prisma's `?schema=`
    /// allowed), or a `key=value` string as libpq writes it.
    ///
    /// One parser: the `url` crate splits a URL and decodes its parameters, the driver's own
    /// `Config` parser reads the rest (and the `key=value` form). An error never shows any part
    /// of the input after the scheme: it may hold a password in a place no redaction can guess.
    pub fn from_url(input: &str) -> Result<Self, Error> {
        let input = input.trim();
        match ::url::Url::parse(input) {
            Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") => Self::from_uri(u),
            _ => Self::from_key_value(input),
        }
    }

    fn from_uri(u: ::url::Url) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: format!("{}://…", u.scheme()),
            reason,
        };
        if !u.has_host() {
            return Err(invalid(format!(
                "expected {}://[user[:password]@]host[:port]/database",
                u.scheme()
            )));
        }
        let mut secrets = Vec::new();
        if let Some(pw) = u.password() {
            secrets.push(pw.to_string());
            secrets.push(decode(pw));
        }
        let mut kept: Vec<(String, String)> = Vec::new();
        let mut shown: Vec<(String, String)> = Vec::new();
        let mut schemas = Vec::new();
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        for (n, (k, v)) in u.query_pairs().enumerate() {
            let (k, v) = (k.into_owned(), v.into_owned());
            if is_secret_key(&k) {
                secrets.push(v.clone());
            }
            match k.as_str() {
                "schema" => schemas.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                ),
                "sslmode" => {
                    ssl_mode = match v.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" | "verify-full" => SslMode::VerifyFull,
                        _ => {
                            return Err(invalid(
                                "unknown sslmode (expected disable, prefer, require, verify-ca or verify-full)".into(),
                            ));
                        }
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(&v)),
                _ if PRISMA_ONLY.contains(&k.as_str()) => {}
                _ if DRIVER_KEYS.contains(&k.as_str()) => kept.push((k.clone(), v.clone())),
                _ => {
                    return Err(invalid(format!(
                        "query parameter {} is not one schemadiff or the driver knows (names and values are not shown: they may hold a password)",
                        n + 1
                    )));
                }
            }
            let value = if is_secret_key(&k) {
                "***".to_string()
            } else {
                v
            };
            shown.push((k, value));
        }
        if schemas.is_empty() {
            schemas.push("public".to_string());
        }
        let mut driver = u.clone();
        driver.set_query(None);
        if !kept.is_empty() {
            driver.query_pairs_mut().extend_pairs(&kept);
        }
        let mut config: tokio_postgres::Config = driver
            .as_str()
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(driver_reason(&e)))?;
        let mut label = u.clone();
        if u.password().is_some() {
            let _ = label.set_password(Some("***"));
        }
        label.set_query(None);
        if !shown.is_empty() {
            label.query_pairs_mut().extend_pairs(&shown);
        }
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let redacted = scrub_after_authority(label.as_str(), &refs);
        Ok(Self::finish(
            &mut config,
            ssl_mode,
            root_cert,
            schemas,
            redacted,
            secrets,
        ))
    }

    fn from_key_value(input: &str) -> Result<Self, Error> {
        let mut config: tokio_postgres::Config = input.parse().map_err(|e| Error::InvalidUrl {
            url: "(not shown)".into(),
            reason: format!(
                "expected a postgres:// or postgresql:// url or a key=value connection string ({})",
                driver_reason(&e)
            ),
        })?;
        let mut secrets = Vec::new();
        if let Some(pw) = config.get_password() {
            secrets.push(String::from_utf8_lossy(pw).into_owned());
        }
        use tokio_postgres::config::{Host, SslMode as Driver};
        let ssl_mode = match config.get_ssl_mode() {
            Driver::Disable => SslMode::Disable,
            Driver::Require => SslMode::Require,
            _ => SslMode::Prefer,
        };
        let mut parts = Vec::new();
        for h in config.get_hosts() {
            match h {
                Host::Tcp(h) => parts.push(format!("host={h}")),
                Host::Unix(p) => parts.push(format!("host={}", p.display())),
            }
        }
        for p in config.get_ports() {
            parts.push(format!("port={p}"));
        }
        if let Some(d) = config.get_dbname() {
            parts.push(format!("dbname={d}"));
        }
        if let Some(u) = config.get_user() {
            parts.push(format!("user={u}"));
        }
        if config.get_password().is_some() {
            parts.push("password=***".into());
        }
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let redacted = scrub(&parts.join(" "), &refs);
        Ok(Self::finish(
            &mut config,
            ssl_mode,
            None,
            vec!["public".to_string()],
            redacted,
            secrets,
        ))
    }

    fn finish(
        config: &mut tokio_postgres::Config,
        ssl_mode: SslMode,
        root_cert: Option<PathBuf>,
        schemas: Vec<String>,
        redacted: String,
        mut secrets: Vec<String>,
    ) -> Self {
        if config.get_user().is_none() {
            config.user(std::env::var("USER").unwrap_or_else(|_| "postgres".into()));
        }
        config.application_name("schemadiff");
        if config.get_connect_timeout().is_none() {
            // An unreachable (firewalled) host would otherwise hang forever.
            config.connect_timeout(std::time::Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS));
        }
        secrets.retain(|s| !s.is_empty());
        ConnectOptions {
            config: config.clone(),
            ssl_mode,
            root_cert,
            schemas,
            redacted,
            secrets,
        }
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

/// Parameters the driver's `Config` parser knows.
const DRIVER_KEYS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// A parameter whose value is a secret (`password`, `sslpassword`, any spelling).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("secret") || k.contains("token")
}

/// Why the driver refused a connection string, naming a parameter only when it is one of the
/// driver's own (a fixed word, never text from the input).
fn driver_reason(e: &tokio_postgres::Error) -> String {
    let text = crate::error::describe(e);
    let named = DRIVER_KEYS
        .iter()
        .chain(["sslmode"].iter())
        .find(|k| text.contains(&format!("`{k}`")));
    match named {
        Some(k) if text.contains("invalid value") => format!("invalid value for {k}"),
        _ => "the driver cannot read it".into(),
    }
}

/// Decodes `%XX` escapes the way the `url` crate does.
fn decode(s: &str) -> String {
    ::url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Scrubs secrets from the path and query of a (redacted) URL, where a server could echo
/// them (a database named like the password); scheme and user info are left readable.
fn scrub_after_authority(url: &str, secrets: &[&str]) -> String {
    match ::url::Url::parse(url) {
        Ok(u) => {
            let cut = u[..::url::Position::AfterPort].len();
            format!("{}{}", &url[..cut], scrub(&url[cut..], secrets))
        }
        Err(_) => scrub(url, secrets),
    }
}

/// A connection string as it may be shown: parsed, its password (user info, `password=`,
/// `sslpassword=`, any spelling) replaced by `***`. A string that does not parse is not shown
/// at all: `(connection string not shown)`.
///
/// `redact_url("postgres://u:secret@h/db?password=x")` is `postgres://u:***@h/db?password=***`.
pub fn redact_url(url: &str) -> String {
    match ConnectOptions::from_url(url) {
        Ok(o) => o.redacted,
        Err(_) => "(connection string not shown)".into(),
    }
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
            "host=h user=u password=***"
        );
        assert_eq!(
            redact_url("postgres://h/db?mypassword=1"),
            "(connection string not shown)"
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
        assert!(e.starts_with("invalid database url postgres://…: "), "{e}");
        assert!(!e.contains("nonsense"), "{e}");
    }

    /// Every shape of connection string the issue found leaking, and more: whether it parses
    /// or not, neither the error nor the label nor `Debug` shows the password, and an error
    /// shows nothing of the input after the scheme.
    #[test]
    fn no_shape_of_connection_string_shows_its_password() {
        const PW: &str = "Zq9-secret";
        let cases: &[&str] = &[
            "user:Zq9-secret@h/db",
            "//user:Zq9-secret@h/db",
            "postgres:/user:Zq9-secret@h/db",
            "postgres:user:Zq9-secret@h/db",
            "postgres//user:Zq9-secret@h/db",
            "http://user:Zq9-secret@h/db",
            "host=h password = Zq9-secret user=u",
            "host = h password= 'Zq9-secret' dbname =db",
            r"host=h password='a\' Zq9-secret' user=u",
            r"host=h password='a\' Zq9-secret",
            "host=h password=Zq9-secret bogus=1",
            "postgres://u@h/db?sslpassword=Zq9-secret",
            "postgres://u@h/db?pass%77ord=Zq9-secret",
            "postgres://u@h/db?PASSWORD=Zq9-secret",
            "postgres://u@h/db?password=Zq9-secret&sslmode=bogus",
            "postgres://u:Zq9-secret@h/db?Zq9-secret=1",
            "postgres://u:Zq9-secret@h:notaport/db",
            "postgres://u:Zq9-secret@h:99999/db",
            "postgres://u:Zq9-secret@[::1/db",
            "postgres://u:Zq9%2Dsecret@h/db",
            "postgres://u:Zq9-secret@h/Zq9-secret",
            "postgresql://u:Zq9-secret@h/db?connect_timeout=x",
            "postgresql://:Zq9-secret@h/db",
            "postgres://u:Zq9-secret@/db",
            "postgres://u:Zq9-secret@h,h2/db",
            "  postgres://u:Zq9-secret@h/db  ",
            "Zq9-secret",
            "",
        ];
        for input in cases {
            let shown = match ConnectOptions::from_url(input) {
                Ok(o) => {
                    let shown = format!("{} {o:?}", o.redacted());
                    assert!(!shown.contains(PW), "{input}: label shows it: {shown}");
                    shown
                }
                Err(e) => {
                    let text = format!("{e} {e:?}");
                    assert!(!text.contains(PW), "{input}: error shows it: {text}");
                    assert!(
                        !text.contains("h/db"),
                        "{input}: error echoes input: {text}"
                    );
                    text
                }
            };
            assert!(!shown.contains("Zq9"), "{input}: {shown}");
            assert!(!redact_url(input).contains("Zq9"), "{input}");
        }
        // The password still reaches the driver.
        for input in [
            "postgres://u@h/db?pass%77ord=Zq9-secret",
            "host=h password = Zq9-secret user=u",
            "postgres://u:Zq9%2Dsecret@h/db",
        ] {
            let o = ConnectOptions::from_url(input).unwrap();
            assert_eq!(o.config.get_password(), Some(PW.as_bytes()), "{input}");
        }
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
