//! The TLS parameters of a database URL, read as libpq reads them. tokio-postgres knows
//! only `sslmode=disable|prefer|require` and no `sslrootcert`, so both parameters are taken
//! out of the URL here, before tokio-postgres parses the rest.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use tokio_postgres::config::SslMode as Negotiation;

use crate::SetupError;

/// What a connection asks of TLS, as a URL's `sslmode` and `sslrootcert` say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TlsPolicy {
    /// Whether TLS is tried, and whether it is a must.
    pub(crate) negotiation: Negotiation,
    pub(crate) verification: Verification,
}

/// How much of the server's certificate is checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verification {
    /// Nothing: encrypted, but anyone on the path could pose as the server.
    Nothing,
    /// The certificate chains up to a trusted root; its names are not looked at.
    Chain(Roots),
    /// The chain, and the certificate names the host the URL connects to.
    ChainAndHostName(Roots),
}

/// The certificate authorities that a verified server certificate must chain up to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Roots {
    /// Mozilla's root program (`webpki-roots`), when the URL names no `sslrootcert`: the
    /// CAs of hosted PostgreSQL services such as Neon, the same on every machine.
    Mozilla,
    /// `sslrootcert=system`: the operating system's trust store, as in libpq 16.
    System,
    /// `sslrootcert=<path>`: a PEM file of one or more CA certificates.
    File(PathBuf),
}

/// libpq's `sslmode` values that this adapter supports (not `allow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, SetupError> {
        match value {
            "disable" => Ok(Self::Disable),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            other => Err(SetupError::InvalidSslMode(other.to_owned())),
        }
    }

    fn negotiation(self) -> Negotiation {
        match self {
            Self::Disable => Negotiation::Disable,
            Self::Prefer => Negotiation::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => Negotiation::Require,
        }
    }

    /// A mode that tokio-postgres parsed itself, from a `key=value` connection string.
    fn from_negotiation(negotiation: Negotiation) -> Self {
        match negotiation {
            Negotiation::Disable => Self::Disable,
            Negotiation::Prefer => Self::Prefer,
            // `Require` and any mode tokio-postgres may add later: insist on TLS.
            _ => Self::Require,
        }
    }
}

/// The TLS parameters found in a URL's query string.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsParameters {
    ssl_mode: Option<SslMode>,
    root_certificates: Option<Roots>,
}

impl TlsParameters {
    /// Splits `url` into the URL without `sslmode` and `sslrootcert` (for tokio-postgres)
    /// and those parameters. Other parameters stay as they were, in order; a string that is
    /// not a `postgres://` URL (a `key=value` connection string) is left alone.
    pub(crate) fn take_from(url: &str) -> Result<(String, Self), SetupError> {
        let Some((address, query)) = split_query(url) else {
            return Ok((url.to_owned(), Self::default()));
        };
        let mut parameters = Self::default();
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = || percent_decode_str(value).decode_utf8_lossy();
            match percent_decode_str(key).decode_utf8_lossy().as_ref() {
                "sslmode" => parameters.ssl_mode = Some(SslMode::parse(&value())?),
                "sslrootcert" => {
                    parameters.root_certificates = Some(match value().as_ref() {
                        "system" => Roots::System,
                        path => Roots::File(PathBuf::from(path)),
                    });
                }
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            address.to_owned()
        } else {
            format!("{address}?{}", kept.join("&"))
        };
        Ok((url, parameters))
    }

    /// The policy, given the mode tokio-postgres parsed from what was left (its default,
    /// `prefer`, unless a `key=value` string set another).
    ///
    /// Without `sslmode`, TLS is preferred, as in libpq: used when the server offers it,
    /// unverified. `prefer` and `require` verify nothing, unless `sslrootcert` names
    /// roots: then the chain is verified, as libpq does when it has a root certificate.
    pub(crate) fn policy(self, parsed: Negotiation) -> TlsPolicy {
        let ssl_mode = self
            .ssl_mode
            .unwrap_or_else(|| SslMode::from_negotiation(parsed));
        let roots = self.root_certificates;
        let verification = match ssl_mode {
            SslMode::Disable => Verification::Nothing,
            SslMode::Prefer | SslMode::Require => {
                roots.map_or(Verification::Nothing, Verification::Chain)
            }
            SslMode::VerifyCa => Verification::Chain(roots.unwrap_or(Roots::Mozilla)),
            SslMode::VerifyFull => Verification::ChainAndHostName(roots.unwrap_or(Roots::Mozilla)),
        };
        TlsPolicy {
            negotiation: ssl_mode.negotiation(),
            verification,
        }
    }
}

/// `(address, query)` of a `postgres://` URL with a query string. The query starts at the
/// first `?` after the credentials, where tokio-postgres looks for it too.
pub(crate) fn split_query(url: &str) -> Option<(&str, &str)> {
    let rest = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))?;
    let authority_start = url.len() - rest.len();
    let after_credentials = rest.find('@').map_or(0, |at| at + 1);
    let question_mark =
        authority_start + after_credentials + rest[after_credentials..].find('?')?;
    Some((&url[..question_mark], &url[question_mark + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(url: &str) -> TlsPolicy {
        let (rest, parameters) = TlsParameters::take_from(url).unwrap();
        let parsed: tokio_postgres::Config = rest.parse().unwrap();
        parameters.policy(parsed.get_ssl_mode())
    }

    fn file(path: &str) -> Roots {
        Roots::File(PathBuf::from(path))
    }

    #[test]
    fn takes_out_only_the_tls_parameters() {
        let (rest, parameters) = TlsParameters::take_from(
            "postgres://u:p%3F@h/db?application_name=a&sslmode=verify-full&channel_binding=require&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u:p%3F@h/db?application_name=a&channel_binding=require"
        );
        assert_eq!(
            parameters,
            TlsParameters {
                ssl_mode: Some(SslMode::VerifyFull),
                root_certificates: Some(file("/etc/ca.pem")),
            }
        );
    }

    #[test]
    fn leaves_urls_without_tls_parameters_as_they_are() {
        for url in [
            "postgres://h/db",
            "postgresql://u:p@h:5433/db?connect_timeout=3",
            "host=h sslmode=require",
            // A `?` in an unencoded password is not the start of the query.
            "postgres://u:a?b@h/db",
        ] {
            let (rest, parameters) = TlsParameters::take_from(url).unwrap();
            assert_eq!(rest, url);
            assert_eq!(parameters, TlsParameters::default());
        }
        let (rest, _) = TlsParameters::take_from("postgres://h/db?sslmode=require").unwrap();
        assert_eq!(rest, "postgres://h/db");
        let (rest, _) = TlsParameters::take_from("postgres://h/db?&sslmode=require&&a=b").unwrap();
        assert_eq!(rest, "postgres://h/db?a=b");
    }

    #[test]
    fn each_mode_gets_its_negotiation_and_verification() {
        let cases = [
            (
                "postgres://h/db",
                Negotiation::Prefer,
                Verification::Nothing,
            ),
            (
                "postgres://h/db?sslmode=disable",
                Negotiation::Disable,
                Verification::Nothing,
            ),
            (
                "postgres://h/db?sslmode=prefer",
                Negotiation::Prefer,
                Verification::Nothing,
            ),
            (
                "postgres://h/db?sslmode=require",
                Negotiation::Require,
                Verification::Nothing,
            ),
            (
                "postgres://h/db?sslmode=verify-ca",
                Negotiation::Require,
                Verification::Chain(Roots::Mozilla),
            ),
            (
                "postgres://h/db?sslmode=verify-full&sslrootcert=system",
                Negotiation::Require,
                Verification::ChainAndHostName(Roots::System),
            ),
            (
                "postgres://h/db?sslmode=require&sslrootcert=ca.pem",
                Negotiation::Require,
                Verification::Chain(file("ca.pem")),
            ),
            (
                "postgres://h/db?sslmode=disable&sslrootcert=ca.pem",
                Negotiation::Disable,
                Verification::Nothing,
            ),
            (
                "host=h sslmode=require",
                Negotiation::Require,
                Verification::Nothing,
            ),
        ];
        for (url, negotiation, verification) in cases {
            assert_eq!(
                policy(url),
                TlsPolicy {
                    negotiation,
                    verification
                },
                "{url}"
            );
        }
    }

    #[test]
    fn an_unknown_sslmode_is_refused_by_name() {
        for mode in ["allow", "verify_full", ""] {
            let url = format!("postgres://h/db?sslmode={mode}");
            assert!(
                matches!(
                    TlsParameters::take_from(&url),
                    Err(SetupError::InvalidSslMode(value)) if value == mode
                ),
                "{url}"
            );
        }
    }
}
