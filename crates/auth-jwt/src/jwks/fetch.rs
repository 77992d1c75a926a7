use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode, Url};

use super::keys::{KeySet, SkippedKey};
use crate::error::SetupError;

/// A JWKS is a few KiB; refuse to buffer an endless body.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Downloads the JWKS. Owned by the refresher task alone, so it needs no locking.
pub(crate) struct JwksFetcher {
    client: Client,
    url: Url,
    /// Unusable keys already logged, so each is reported once and not at every refresh.
    reported_unusable: HashSet<Option<String>>,
}

pub(crate) struct FetchedKeys {
    pub(crate) keys: KeySet,
    /// The response's `Cache-Control: max-age`, before clamping.
    pub(crate) max_age: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("answered HTTP {0}, not 200")]
    Status(StatusCode),
    #[error("body over {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("not a JWKS document: {0}")]
    NotJwks(#[source] serde_json::Error),
}

impl JwksFetcher {
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Self, SetupError> {
        let invalid_url = || SetupError::InvalidJwksUrl {
            url: url.to_owned(),
        };
        let parsed = Url::parse(url).map_err(|_| invalid_url())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid_url());
        }
        // The timeout covers the whole exchange, from connecting to the last body byte.
        // Redirects stay on the configured origin: the keys that sign tokens come from
        // there, never from wherever a redirect points.
        let client = Client::builder()
            .timeout(timeout)
            .redirect(same_origin_redirects())
            .build()
            .map_err(SetupError::HttpClient)?;
        Ok(Self {
            client,
            url: parsed,
            reported_unusable: HashSet::new(),
        })
    }

    pub(crate) async fn fetch(&mut self) -> Result<FetchedKeys, FetchError> {
        let mut response = self
            .client
            .get(self.url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            return Err(FetchError::Status(response.status()));
        }
        let max_age = max_age(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let (keys, skipped) = KeySet::from_jwks(&body).map_err(FetchError::NotJwks)?;
        for key in self.first_sightings(skipped) {
            tracing::warn!(
                kid = key.kid.as_deref().unwrap_or("(none)"),
                reason = key.reason,
                "skipping a JWKS key this service cannot use"
            );
        }
        Ok(FetchedKeys { keys, max_age })
    }

    fn first_sightings(&mut self, skipped: Vec<SkippedKey>) -> Vec<SkippedKey> {
        skipped
            .into_iter()
            .filter(|key| self.reported_unusable.insert(key.kid.clone()))
            .collect()
    }
}

/// Refuses a `http://` JWKS URL to a host other than loopback unless `allow_plain_http`.
/// URLs that do not parse are left to [`JwksFetcher::new`] to refuse.
pub(crate) fn check_transport(url: &str, allow_plain_http: bool) -> Result<(), SetupError> {
    let Ok(parsed) = Url::parse(url) else {
        return Ok(());
    };
    let loopback = parsed.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_matches(['[', ']'])
                .parse::<IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    });
    if parsed.scheme() == "http" && !loopback && !allow_plain_http {
        return Err(SetupError::PlainHttpJwks {
            url: url.to_owned(),
        });
    }
    Ok(())
}

/// Follows at most a few redirects, each to the same scheme, host and port as the
/// request it answers.
fn same_origin_redirects() -> Policy {
    const MAX_REDIRECTS: usize = 5;
    Policy::custom(|attempt| {
        let from = attempt.previous().last().map(Url::origin);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if from.as_ref() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.error("a redirect to another origin")
        }
    })
}

/// The `max-age` directive of the `Cache-Control` header(s), if any is readable.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|directive| {
            let (name, seconds) = directive.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("max-age") {
                return None;
            }
            seconds.trim().trim_matches('"').parse().ok()
        })
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(CACHE_CONTROL, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn reads_max_age_among_other_directives() {
        assert_eq!(
            max_age(&headers(&["public, max-age=600, must-revalidate"])),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            max_age(&headers(&["no-transform", "MAX-AGE = \"90\""])),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            max_age(&headers(&["s-maxage=5, max-age=7"])),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn absent_or_unreadable_max_age_is_none() {
        for values in [&[][..], &["no-cache"], &["max-age=soon"], &["max-age=-1"]] {
            assert_eq!(max_age(&headers(values)), None, "{values:?}");
        }
    }

    #[test]
    fn only_http_urls_are_accepted() {
        for url in [
            "",
            "not a url",
            "ftp://auth.example/jwks",
            "file:///etc/jwks",
        ] {
            assert!(
                matches!(
                    JwksFetcher::new(url, Duration::from_secs(5)),
                    Err(SetupError::InvalidJwksUrl { .. })
                ),
                "{url}"
            );
        }
        assert!(
            JwksFetcher::new("https://auth.example/api/auth/jwks", Duration::from_secs(5)).is_ok()
        );
    }

    #[test]
    fn plain_http_reaches_loopback_only_unless_allowed() {
        for url in [
            "https://auth.example/api/auth/jwks",
            "http://127.0.0.1:3000/api/auth/jwks",
            "http://localhost:3000/api/auth/jwks",
            "http://[::1]:3000/api/auth/jwks",
        ] {
            assert!(check_transport(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://frontend:3000/api/auth/jwks",
            "http://auth.example/api/auth/jwks",
            "http://10.0.0.7/jwks",
        ] {
            assert!(
                matches!(
                    check_transport(url, false),
                    Err(SetupError::PlainHttpJwks { .. })
                ),
                "{url}"
            );
            assert!(check_transport(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn reports_each_unusable_key_once() {
        let mut fetcher =
            JwksFetcher::new("http://127.0.0.1:9/jwks", Duration::from_secs(1)).unwrap();
        let skipped = |kid: &str| SkippedKey {
            kid: Some(kid.into()),
            reason: "Ed448 is not supported",
        };
        assert_eq!(
            fetcher.first_sightings(vec![skipped("a"), skipped("b")]),
            [skipped("a"), skipped("b")]
        );
        assert_eq!(
            fetcher.first_sightings(vec![skipped("b"), skipped("c")]),
            [skipped("c")]
        );
    }
}
