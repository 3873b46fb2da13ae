//! Opening a connection: TLS per `sslmode` (rustls with the ring provider), the connection
//! task, and password-free errors.
//!
//! TLS choices (libpq's meanings):
//! - `disable`: plain TCP.
//! - `prefer` (default): ask for TLS without verifying the certificate; if the server refuses
//!   TLS the driver continues in plain TCP, and if the TLS handshake itself fails the
//!   connection is retried once in plain TCP.
//! - `require`: TLS, certificate not verified.
//! - `verify-ca` / `verify-full`: TLS verified against the Mozilla roots (`webpki-roots`) plus
//!   the PEM certificates of `sslrootcert=path`; the host name is always checked.

use crate::error::{Error, describe, scrub};
use crate::url::{ConnectOptions, SslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode as DriverSslMode;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Connects, and spawns the connection task on the current tokio runtime.
pub async fn connect(opts: &ConnectOptions) -> Result<Client, Error> {
    match opts.ssl_mode {
        SslMode::Disable => connect_plain(opts).await,
        SslMode::Require => connect_tls(opts, no_verify_config(), DriverSslMode::Require).await,
        SslMode::VerifyFull => {
            let config = verified_config(opts)?;
            connect_tls(opts, config, DriverSslMode::Require).await
        }
        SslMode::Prefer => {
            match connect_tls(opts, no_verify_config(), DriverSslMode::Prefer).await {
                Err(Error::Connect { reason, .. })
                    if reason.contains("TLS") || reason.contains("tls") =>
                {
                    connect_plain(opts).await
                }
                other => other,
            }
        }
    }
}

async fn connect_plain(opts: &ConnectOptions) -> Result<Client, Error> {
    let mut config = opts.config.clone();
    config.ssl_mode(DriverSslMode::Disable);
    let (client, conn) = config
        .connect(NoTls)
        .await
        .map_err(|e| connect_error(opts, &e))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

async fn connect_tls(
    opts: &ConnectOptions,
    tls: ClientConfig,
    mode: DriverSslMode,
) -> Result<Client, Error> {
    let mut config = opts.config.clone();
    config.ssl_mode(mode);
    let (client, conn) = config
        .connect(MakeRustlsConnect::new(tls))
        .await
        .map_err(|e| connect_error(opts, &e))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

fn connect_error(opts: &ConnectOptions, e: &tokio_postgres::Error) -> Error {
    let reason = match e.as_db_error() {
        Some(db) => format!("{} (sqlstate {})", db.message(), db.code().code()),
        None => describe(e),
    };
    Error::Connect {
        url: opts.redacted(),
        reason: scrub(&reason, &opts.secret_refs()),
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
}

/// TLS that accepts any server certificate (but still checks handshake signatures).
fn no_verify_config() -> ClientConfig {
    builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider())))
        .with_no_client_auth()
}

/// TLS verified against the Mozilla roots plus the `sslrootcert` file.
fn verified_config(opts: &ConnectOptions) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &opts.root_cert {
        let tls_err = |reason: String| Error::Tls {
            url: opts.redacted(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| tls_err(format!("cannot read sslrootcert {}: {e}", path.display())))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_err(format!("bad pem in sslrootcert {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(tls_err(format!(
                "sslrootcert {} holds no certificate",
                path.display()
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| tls_err(format!("bad certificate in {}: {e}", path.display())))?;
        }
    }
    Ok(builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Asks the server to cancel the statement `token`'s session is running (a PostgreSQL cancel
/// request on a new connection, with the same TLS choice as `opts`). The session's transaction
/// then fails and is rolled back by whoever is waiting on it.
pub async fn cancel_running(
    opts: &ConnectOptions,
    token: &tokio_postgres::CancelToken,
) -> Result<(), Error> {
    let result = match opts.ssl_mode {
        SslMode::Disable => token.cancel_query(NoTls).await,
        _ => {
            token
                .cancel_query(MakeRustlsConnect::new(no_verify_config()))
                .await
        }
    };
    result.map_err(|e| connect_error(opts, &e))
}
