//! The rustls client for a connection's [`Verification`], and the reading of its failures.

use std::error::Error as _;
use std::path::Path;
use std::sync::Arc;
use std::{fs, io};

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::ring;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::SetupError;
use crate::certificate_verifiers::{AnyCertificate, ChainOnly};
use crate::ssl_mode::{Roots, Verification};

/// PostgreSQL's ALPN protocol name. Servers from version 17 on require it for
/// `sslnegotiation=direct`, and older ones ignore it, so it is always offered, as libpq does.
const POSTGRESQL_ALPN: &[u8] = b"postgresql";

/// The TLS connector for `verification`; its root certificates are read here, once.
pub(crate) fn connector(verification: &Verification) -> Result<MakeRustlsConnect, SetupError> {
    // Named rather than the process-wide default provider, which may be unset or another.
    let provider = Arc::new(ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let builder = match verification {
        Verification::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate::new(algorithms))),
        Verification::Chain(roots) => {
            let roots = Arc::new(root_store(roots)?);
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly::new(roots, algorithms)))
        }
        Verification::ChainAndHostName(roots) => {
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(root_store(roots)?), provider)
                    .build()
                    .expect("the root store is not empty and there are no revocation lists");
            builder.with_webpki_verifier(verifier)
        }
    };
    let mut config = builder.with_no_client_auth();
    config.alpn_protocols = vec![POSTGRESQL_ALPN.to_vec()];
    Ok(MakeRustlsConnect::new(config))
}

/// The certificate problem that made a connection attempt fail, if that is what did.
pub(crate) fn certificate_error(error: &tokio_postgres::Error) -> Option<&CertificateError> {
    // tokio-rustls hands rustls's error over inside an `io::Error`.
    let io_error = error.source()?.downcast_ref::<io::Error>()?;
    match io_error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(problem) => Some(problem),
        _ => None,
    }
}

/// A certificate problem in words, with a hint at the usual remedy.
pub(crate) fn explain(problem: &CertificateError) -> String {
    match problem {
        CertificateError::UnknownIssuer => "it is not signed by a trusted certificate authority \
            (name the authority's certificate file in sslrootcert)"
            .to_owned(),
        other => other.to_string(),
    }
}

fn root_store(roots: &Roots) -> Result<RootCertStore, SetupError> {
    match roots {
        Roots::Mozilla => Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        Roots::System => system_roots(),
        Roots::File(path) => file_roots(path).map_err(|reason| SetupError::RootCertificateFile {
            path: path.clone(),
            reason,
        }),
    }
}

fn system_roots() -> Result<RootCertStore, SetupError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(loaded.certs);
    if store.is_empty() {
        let reasons: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(SetupError::NoSystemRootCertificates(reasons.join("; ")));
    }
    Ok(store)
}

fn file_roots(path: &Path) -> Result<RootCertStore, String> {
    let pem = fs::read(path).map_err(|error| error.to_string())?;
    let mut store = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|error| format!("not valid PEM: {error}"))?;
        store
            .add(certificate)
            .map_err(|error| format!("not a usable CA certificate: {error}"))?;
    }
    if store.is_empty() {
        return Err("it holds no PEM certificate".to_owned());
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn file_error(path: &Path) -> String {
        match connector(&Verification::ChainAndHostName(Roots::File(
            path.to_owned(),
        ))) {
            Err(error @ SetupError::RootCertificateFile { .. }) => error.to_string(),
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("{} was accepted", path.display()),
        }
    }

    #[test]
    fn every_verification_builds_a_connector() {
        for verification in [
            Verification::Nothing,
            Verification::Chain(Roots::Mozilla),
            Verification::ChainAndHostName(Roots::Mozilla),
        ] {
            assert!(connector(&verification).is_ok(), "{verification:?}");
        }
    }

    #[test]
    fn a_missing_root_certificate_file_is_named() {
        let path = PathBuf::from("/nonexistent/tasks-root.pem");
        let message = file_error(&path);
        assert!(
            message.starts_with("cannot use the sslrootcert file /nonexistent/tasks-root.pem: "),
            "{message}"
        );
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("tasks-empty-{}.pem", std::process::id()));
        fs::write(&path, "no certificate here\n").unwrap();
        let message = file_error(&path);
        fs::remove_file(&path).unwrap();
        assert!(
            message.ends_with("it holds no PEM certificate"),
            "{message}"
        );
    }
}
