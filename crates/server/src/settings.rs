//! Settings, layered as the contract says: the built-in `config/default.toml`, then
//! `config/{APP_ENV}.toml`, then `APP__SECTION__KEY` variables, then the plain names
//! (`DATABASE_URL`, ...), which win. Read once at startup; a bad value stops startup with
//! one line that names it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment as EnvSource, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use tasks_auth_jwt::VerifierSettings;
use tasks_store_postgres::PostgresSettings;

use crate::metrics::MetricsSettings;

const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

/// Plain variable names and the settings they set. Later entries win, so
/// `BETTER_AUTH_URL` beats `NEXT_PUBLIC_BETTER_AUTH_URL`.
const PLAIN_NAMES: &[(&str, &str)] = &[
    ("HOST", "server.host"),
    ("PORT", "server.port"),
    ("DATABASE_URL", "database.url"),
    ("MIGRATION_DATABASE_URL", "database.migration_url"),
    ("BETTER_AUTH_SECRET", "auth.secret"),
    ("NEXT_PUBLIC_BETTER_AUTH_URL", "auth.better_auth_url"),
    ("BETTER_AUTH_URL", "auth.better_auth_url"),
    ("JWKS_URL", "auth.jwks_url"),
    ("JWT_ISSUER", "auth.issuer"),
    ("JWT_AUDIENCE", "auth.audience"),
    ("CORS_ORIGINS", "cors.origins"),
];

/// Where the embedded store lives when no `DATABASE_URL` is given (outside production).
pub const DEFAULT_SQLITE_PATH: &str = "data/tasks.db";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnvironment {
    Local,
    Production,
}

/// Every section, each read by the type of the crate it configures.
#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: AppEnvironment,
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub auth: VerifierSettings,
    pub cors_origins: Vec<String>,
    pub metrics: MetricsSettings,
    pub events: EventSettings,
    /// Settings that are legal but weaken a check; logged at startup.
    pub warnings: Vec<String>,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// 0 = one per core.
    pub workers: usize,
    #[serde(rename = "shutdown_timeout_secs", deserialize_with = "seconds")]
    pub shutdown_timeout: Duration,
    /// After SIGTERM, how long `/ready` answers 503 while requests are still served, before
    /// the graceful stop.
    #[serde(rename = "drain_period_secs", deserialize_with = "seconds")]
    pub drain_period: Duration,
    /// Longest time a client may take to send a request's head (actix closes the
    /// connection with 408 after it).
    #[serde(rename = "request_head_timeout_secs", deserialize_with = "seconds")]
    pub request_head_timeout: Duration,
    /// Longest time a client may take to send a request's body (a JSON 408 after it).
    #[serde(rename = "body_read_timeout_secs", deserialize_with = "seconds")]
    pub body_read_timeout: Duration,
    /// How long an idle keep-alive connection stays open.
    #[serde(rename = "keep_alive_secs", deserialize_with = "seconds")]
    pub keep_alive: Duration,
}

/// `[events]`: the live-update streams of one instance.
#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    /// Open streams per user; the next one gets 429.
    pub max_streams_per_user: usize,
    /// Events a stream may fall behind by before it is closed.
    pub buffer: usize,
    /// A keep-alive comment at least this often, so proxies keep an idle stream open.
    #[serde(rename = "heartbeat_secs", deserialize_with = "seconds")]
    pub heartbeat: Duration,
}

impl EventSettings {
    fn checked(self) -> Result<Self, SettingsError> {
        for (key, value) in [
            ("max_streams_per_user", self.max_streams_per_user),
            ("buffer", self.buffer),
            ("heartbeat_secs", self.heartbeat.as_secs() as usize),
        ] {
            if value == 0 {
                return Err(SettingsError(format!(
                    "invalid setting: events.{key} must be at least 1"
                )));
            }
        }
        Ok(self)
    }
}

/// Which task store serves: PostgreSQL in production, or the embedded SQLite file.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    Postgres(DatabaseSettings),
    Sqlite { path: PathBuf },
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub connection: PostgresSettings,
    pub migration_url: SecretString,
    pub migrate_on_start: bool,
}

/// The binary's own keys of `[database]`; the rest is [`PostgresSettings`].
#[derive(Deserialize)]
struct StoreChoice {
    url: SecretString,
    migration_url: SecretString,
    migrate_on_start: bool,
}

/// The keys of `[auth]` that only set defaults of [`VerifierSettings`].
#[derive(Deserialize)]
struct AuthDefaults {
    better_auth_url: String,
}

#[derive(Deserialize)]
struct CorsSettings {
    origins: String,
}

impl Settings {
    /// Reads the settings from `config_dir` and `env` (the process environment, or a
    /// test's own map, so tests never see a developer's variables).
    pub fn load(config_dir: &Path, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let environment = match env.get("APP_ENV").map(String::as_str) {
            None | Some("local") => AppEnvironment::Local,
            Some("production") => AppEnvironment::Production,
            Some(other) => {
                return Err(SettingsError(format!(
                    "APP_ENV must be \"local\" or \"production\", not {other:?}"
                )));
            }
        };
        let file_name = match environment {
            AppEnvironment::Local => "local.toml",
            AppEnvironment::Production => "production.toml",
        };
        let mut builder = Config::builder()
            .add_source(File::from_str(BUILT_IN_DEFAULTS, FileFormat::Toml))
            .add_source(File::from(config_dir.join("default.toml")).required(false))
            .add_source(File::from(config_dir.join(file_name)).required(false))
            .add_source(
                EnvSource::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(env.clone().into_iter().collect())),
            );
        for (variable, key) in PLAIN_NAMES {
            if let Some(value) = env.get(*variable) {
                builder = builder
                    .set_override(*key, value.as_str())
                    .map_err(|error| SettingsError(format!("{variable}: {error}")))?;
            }
        }
        let config = builder
            .build()
            .map_err(|error| SettingsError(format!("invalid setting: {error}")))?;
        let sections: Sections = deserialize(&config)?;
        let own_keys: OwnKeys = deserialize(&config)?;
        let mut warnings = Vec::new();
        Ok(Self {
            environment,
            server: sections.server,
            store: resolve_store(environment, sections.database, own_keys.database)?,
            auth: with_better_auth_defaults(sections.auth, own_keys.auth, &mut warnings),
            cors_origins: parse_origins(&sections.cors.origins)?,
            metrics: sections.metrics,
            events: sections.events.checked()?,
            warnings,
        })
    }
}

/// Every section, as the crate it configures reads it.
#[derive(Deserialize)]
struct Sections {
    server: ServerSettings,
    database: PostgresSettings,
    auth: VerifierSettings,
    cors: CorsSettings,
    metrics: MetricsSettings,
    events: EventSettings,
}

/// The keys of those sections that only the binary reads.
#[derive(Deserialize)]
struct OwnKeys {
    database: StoreChoice,
    auth: AuthDefaults,
}

/// Reads the whole configuration as `T`; a bad value is named by its key.
fn deserialize<T: for<'de> Deserialize<'de>>(config: &Config) -> Result<T, SettingsError> {
    config
        .clone()
        .try_deserialize()
        .map_err(|error| SettingsError(format!("invalid setting: {error}")))
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

/// `sqlite://PATH` or no URL (outside production) is the embedded store; anything else
/// is a PostgreSQL URL.
fn resolve_store(
    environment: AppEnvironment,
    connection: PostgresSettings,
    choice: StoreChoice,
) -> Result<StoreSettings, SettingsError> {
    let url = choice.url.expose_secret().trim();
    if url.is_empty() {
        return match environment {
            AppEnvironment::Local => Ok(StoreSettings::Sqlite {
                path: PathBuf::from(DEFAULT_SQLITE_PATH),
            }),
            AppEnvironment::Production => Err(SettingsError(
                "DATABASE_URL is not set: production needs a PostgreSQL URL (or an explicit sqlite://PATH)".into(),
            )),
        };
    }
    if url.starts_with("sqlite:") {
        let path = tasks_store_sqlite::sqlite_path_from_url(url).ok_or_else(|| {
            SettingsError(format!(
                "DATABASE_URL: {url:?} is not a SQLite URL like sqlite://data/tasks.db"
            ))
        })?;
        return Ok(StoreSettings::Sqlite { path });
    }
    let connection = PostgresSettings {
        url: SecretString::from(url),
        ..connection
    };
    let migration_url = match choice.migration_url.expose_secret().trim() {
        "" => connection.url.clone(),
        migration_url => SecretString::from(migration_url),
    };
    Ok(StoreSettings::Postgres(DatabaseSettings {
        connection,
        migration_url,
        migrate_on_start: choice.migrate_on_start,
    }))
}

/// The setting, the claim it checks, and what an unchecked claim lets in.
const ISSUER: (&str, &str, &str) = ("JWT_ISSUER", "iss", "issuer");
const AUDIENCE: (&str, &str, &str) = ("JWT_AUDIENCE", "aud", "audience (service)");

/// `BETTER_AUTH_URL` gives the JWKS location, `iss` and `aud` that are not set
/// explicitly; an explicit empty `iss` or `aud` turns that check off, with a warning.
fn with_better_auth_defaults(
    mut auth: VerifierSettings,
    defaults: AuthDefaults,
    warnings: &mut Vec<String>,
) -> VerifierSettings {
    let better_auth_url =
        Some(defaults.better_auth_url.trim().trim_end_matches('/')).filter(|url| !url.is_empty());
    if auth.jwks_url.is_none() {
        auth.jwks_url = better_auth_url.map(|base| format!("{base}/api/auth/jwks"));
    }
    auth.issuer = resolve_claim_check(ISSUER, auth.issuer, better_auth_url, warnings);
    auth.audience = resolve_claim_check(AUDIENCE, auth.audience, better_auth_url, warnings);
    auth
}

/// `iss`/`aud`: an explicit value wins; unset falls back to Better Auth's URL; the empty
/// string, or neither being set, turns the check off, with a warning.
fn resolve_claim_check(
    (name, claim, purpose): (&str, &str, &str),
    explicit: Option<String>,
    better_auth_url: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    match explicit {
        Some(value) if value.trim().is_empty() => {
            warnings.push(format!(
                "{name} is empty: the token's {claim} claim is not checked"
            ));
            None
        }
        Some(value) => Some(value.trim().to_owned()),
        None if better_auth_url.is_some() => better_auth_url.map(str::to_owned),
        None => {
            warnings.push(format!(
                "neither {name} nor BETTER_AUTH_URL is set: the token's {claim} claim is not \
                 checked, so a token for another {purpose} signed with a trusted key is accepted"
            ));
            None
        }
    }
}

/// Comma-separated `scheme://host[:port]` origins; `*` is refused because the API
/// allows credentials.
fn parse_origins(value: &str) -> Result<Vec<String>, SettingsError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['/', '*', ' ', '?', '#']) => {
                    Ok(origin.to_owned())
                }
                _ => Err(SettingsError(format!(
                    "CORS_ORIGINS: {origin:?} is not an origin like https://app.example.com (no path, no wildcard)"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(Path::new("/nonexistent"), &env)
    }

    fn minimal(extra: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut vars = vec![
            ("DATABASE_URL", "postgres://db/tasks"),
            ("BETTER_AUTH_SECRET", SECRET),
        ];
        vars.extend_from_slice(extra);
        load(&vars)
    }

    #[test]
    fn defaults() {
        let settings = minimal(&[]).unwrap();
        assert_eq!(settings.environment, AppEnvironment::Local);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert_eq!(settings.server.port, 8000);
        assert_eq!(settings.cors_origins, ["http://localhost:3000"]);
        assert_eq!(settings.auth.leeway, Duration::from_secs(30));
        assert_eq!(settings.server.request_head_timeout, Duration::from_secs(5));
        assert_eq!(settings.server.body_read_timeout, Duration::from_secs(10));
        assert_eq!(settings.server.keep_alive, Duration::from_secs(5));
        assert_eq!(settings.auth.issuer, None);
        let StoreSettings::Postgres(database) = &settings.store else {
            panic!("a PostgreSQL URL selects PostgreSQL");
        };
        assert_eq!(
            database.migration_url.expose_secret(),
            database.connection.url.expose_secret()
        );
        assert!(database.migrate_on_start);
        assert_eq!(settings.events.max_streams_per_user, 10);
        assert_eq!(settings.events.heartbeat, Duration::from_secs(15));
    }

    #[test]
    fn event_stream_bounds_must_be_positive() {
        for key in [
            "APP__EVENTS__MAX_STREAMS_PER_USER",
            "APP__EVENTS__BUFFER",
            "APP__EVENTS__HEARTBEAT_SECS",
        ] {
            let error = minimal(&[(key, "0")]).unwrap_err();
            let named = key.trim_start_matches("APP__EVENTS__").to_lowercase();
            assert!(error.to_string().contains(&named), "{error}");
        }
        let settings = minimal(&[("APP__EVENTS__MAX_STREAMS_PER_USER", "3")]).unwrap();
        assert_eq!(settings.events.max_streams_per_user, 3);
    }

    #[test]
    fn plain_names_beat_app_variables() {
        let settings = minimal(&[
            ("APP__SERVER__PORT", "9000"),
            ("PORT", "9100"),
            ("APP__DATABASE__MAX_CONNECTIONS", "3"),
        ])
        .unwrap();
        assert_eq!(settings.server.port, 9100);
        let StoreSettings::Postgres(database) = &settings.store else {
            panic!("a PostgreSQL URL selects PostgreSQL");
        };
        assert_eq!(database.connection.max_connections, 3);
    }

    #[test]
    fn better_auth_url_sets_jwks_issuer_and_audience() {
        let settings = load(&[
            ("DATABASE_URL", "postgres://db/tasks"),
            ("NEXT_PUBLIC_BETTER_AUTH_URL", "http://ignored:3000"),
            ("BETTER_AUTH_URL", "http://localhost:3000/"),
        ])
        .unwrap();
        assert_eq!(
            settings.auth.jwks_url.as_deref(),
            Some("http://localhost:3000/api/auth/jwks")
        );
        assert_eq!(
            settings.auth.issuer.as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            settings.auth.audience.as_deref(),
            Some("http://localhost:3000")
        );
        assert!(settings.auth.secret.is_none());
    }

    #[test]
    fn empty_issuer_turns_the_check_off_with_a_warning() {
        let settings = minimal(&[
            ("BETTER_AUTH_URL", "http://a"),
            ("JWT_ISSUER", ""),
            ("JWT_AUDIENCE", "api"),
        ])
        .unwrap();
        assert_eq!(settings.auth.issuer, None);
        assert_eq!(settings.auth.audience.as_deref(), Some("api"));
        assert_eq!(settings.warnings.len(), 1);
        assert!(settings.warnings[0].contains("JWT_ISSUER"));
    }

    #[test]
    fn unchecked_issuer_and_audience_are_warned_about() {
        for only in [
            ("BETTER_AUTH_SECRET", SECRET),
            ("JWKS_URL", "https://auth.example/jwks"),
        ] {
            let settings = load(&[("DATABASE_URL", "postgres://db"), only]).unwrap();
            assert_eq!(settings.auth.issuer, None);
            assert_eq!(settings.warnings.len(), 2, "{:?}", settings.warnings);
            for (warning, name) in settings.warnings.iter().zip(["JWT_ISSUER", "JWT_AUDIENCE"]) {
                assert!(warning.contains(name), "{warning}");
                assert!(warning.contains("not checked"), "{warning}");
            }
        }
        let explicit = minimal(&[("JWT_ISSUER", "a"), ("JWT_AUDIENCE", "b")]).unwrap();
        assert_eq!(explicit.warnings, Vec::<String>::new());
        let derived = minimal(&[("BETTER_AUTH_URL", "http://a")]).unwrap();
        assert_eq!(derived.warnings, Vec::<String>::new());
    }

    #[test]
    fn short_secret_stops_startup() {
        let error = load(&[
            ("DATABASE_URL", "postgres://db"),
            ("BETTER_AUTH_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("BETTER_AUTH_SECRET"), "{error}");
    }

    #[test]
    fn an_empty_pool_stops_startup() {
        let error = minimal(&[("APP__DATABASE__MAX_CONNECTIONS", "0")]).unwrap_err();
        assert!(error.to_string().contains("max_connections"), "{error}");
    }

    #[test]
    fn no_database_url_means_the_embedded_store_locally() {
        let settings = load(&[("BETTER_AUTH_SECRET", SECRET)]).unwrap();
        assert!(
            matches!(&settings.store, StoreSettings::Sqlite { path } if path == Path::new(DEFAULT_SQLITE_PATH))
        );
        let settings = load(&[
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "sqlite://tmp/x.db"),
        ])
        .unwrap();
        assert!(
            matches!(&settings.store, StoreSettings::Sqlite { path } if path == Path::new("tmp/x.db"))
        );
    }

    #[test]
    fn production_never_picks_sqlite_silently() {
        let error = load(&[("APP_ENV", "production"), ("BETTER_AUTH_SECRET", SECRET)]).unwrap_err();
        assert!(error.to_string().contains("DATABASE_URL"), "{error}");
        let settings = load(&[
            ("APP_ENV", "production"),
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "sqlite:///var/lib/tasks.db"),
        ])
        .unwrap();
        assert!(matches!(settings.store, StoreSettings::Sqlite { .. }));
    }

    #[test]
    fn bad_values_are_named() {
        let error = minimal(&[("PORT", "eighty")]).unwrap_err();
        assert!(error.to_string().contains("port"), "{error}");
        let error = minimal(&[("CORS_ORIGINS", "*")]).unwrap_err();
        assert!(error.to_string().contains("CORS_ORIGINS"), "{error}");
        let error = minimal(&[("APP_ENV", "staging")]).unwrap_err();
        assert!(error.to_string().contains("APP_ENV"), "{error}");
    }

    #[test]
    fn several_origins() {
        let settings = minimal(&[(
            "CORS_ORIGINS",
            "http://localhost:3000, https://app.example.com",
        )])
        .unwrap();
        assert_eq!(
            settings.cors_origins,
            ["http://localhost:3000", "https://app.example.com"]
        );
    }

    #[test]
    fn production_listens_everywhere() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let env = [
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://db"),
            ("BETTER_AUTH_SECRET", SECRET),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let settings = Settings::load(&dir, &env).unwrap();
        assert_eq!(settings.server.host, "0.0.0.0");
        assert_eq!(settings.metrics.host, "0.0.0.0");
        assert!(
            !settings.auth.allow_plain_http_jwks,
            "https only off loopback"
        );
        assert!(
            minimal(&[]).unwrap().auth.allow_plain_http_jwks,
            "locally anything"
        );
    }

    #[test]
    fn metrics_are_on_locally_on_loopback_port_9100_and_can_be_turned_off() {
        let metrics = minimal(&[]).unwrap().metrics;
        assert!(metrics.enabled);
        assert_eq!((metrics.host.as_str(), metrics.port), ("127.0.0.1", 9100));
        let metrics = minimal(&[
            ("APP__METRICS__ENABLED", "false"),
            ("APP__METRICS__PORT", "9200"),
        ])
        .unwrap()
        .metrics;
        assert!(!metrics.enabled);
        assert_eq!(metrics.port, 9200);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let settings = minimal(&[("DATABASE_URL", "postgres://u:hunter2@db/tasks")]).unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains(SECRET));
    }
}
