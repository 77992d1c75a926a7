//! Settings, layered as the contract says: the built-in `config/default.toml`, then
//! `config/{APP_ENV}.toml`, then `APP__SECTION__KEY` variables, then the plain names
//! (`DATABASE_URL`, ...), which win. Read once at startup; a bad value stops startup with
//! one line that names it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment as EnvSource, File, FileFormat};
use serde::Deserialize;

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

const MIN_SECRET_BYTES: usize = 32;

/// Where the embedded store lives when no `DATABASE_URL` is given (outside production).
pub const DEFAULT_SQLITE_PATH: &str = "data/tasks.db";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnvironment {
    Local,
    Production,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: AppEnvironment,
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub auth: AuthSettings,
    pub cors_origins: Vec<String>,
    /// Settings that are legal but weaken a check; logged at startup.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// 0 = one per core.
    pub workers: usize,
    pub shutdown_timeout: Duration,
}

/// Which task store serves: PostgreSQL in production, or the embedded SQLite file.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    Postgres(DatabaseSettings),
    Sqlite { path: PathBuf },
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub migration_url: Secret,
    pub migrate_on_start: bool,
    pub max_connections: usize,
    pub pipeline_reads: bool,
    pub pool_wait_timeout: Duration,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub secret: Option<Secret>,
    pub jwks_url: Option<String>,
    /// `None`: not checked.
    pub issuer: Option<String>,
    /// `None`: not checked.
    pub audience: Option<String>,
    pub leeway: Duration,
    pub jwks_fetch_timeout: Duration,
}

#[derive(Deserialize)]
struct Raw {
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    cors: RawCors,
}

#[derive(Deserialize)]
struct RawServer {
    host: String,
    port: u16,
    workers: usize,
    shutdown_timeout_secs: u64,
}

#[derive(Deserialize)]
struct RawDatabase {
    url: String,
    migration_url: String,
    migrate_on_start: bool,
    max_connections: usize,
    pipeline_reads: bool,
    pool_wait_timeout_secs: u64,
    connect_timeout_secs: u64,
    statement_timeout_secs: u64,
}

#[derive(Deserialize)]
struct RawAuth {
    secret: String,
    better_auth_url: String,
    jwks_url: String,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
    jwks_fetch_timeout_secs: u64,
}

#[derive(Deserialize)]
struct RawCors {
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
        let raw: Raw = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|error| SettingsError(format!("invalid setting: {error}")))?;
        Self::validate(environment, raw)
    }

    fn validate(environment: AppEnvironment, raw: Raw) -> Result<Self, SettingsError> {
        let mut warnings = Vec::new();
        let auth = resolve_auth(raw.auth, &mut warnings)?;
        let store = resolve_store(environment, raw.database)?;
        Ok(Self {
            environment,
            server: ServerSettings {
                host: raw.server.host,
                port: raw.server.port,
                workers: raw.server.workers,
                shutdown_timeout: Duration::from_secs(raw.server.shutdown_timeout_secs),
            },
            store,
            auth,
            cors_origins: parse_origins(&raw.cors.origins)?,
            warnings,
        })
    }
}

/// `sqlite://PATH` or no URL (outside production) is the embedded store; anything else
/// is a PostgreSQL URL.
fn resolve_store(
    environment: AppEnvironment,
    raw: RawDatabase,
) -> Result<StoreSettings, SettingsError> {
    let url = raw.url.trim();
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
    if raw.max_connections == 0 {
        return Err(SettingsError(
            "database.max_connections must be at least 1".into(),
        ));
    }
    let url = Secret(url.to_owned());
    let migration_url = match non_empty(raw.migration_url) {
        Some(migration_url) => Secret(migration_url),
        None => url.clone(),
    };
    Ok(StoreSettings::Postgres(DatabaseSettings {
        url,
        migration_url,
        migrate_on_start: raw.migrate_on_start,
        max_connections: raw.max_connections,
        pipeline_reads: raw.pipeline_reads,
        pool_wait_timeout: Duration::from_secs(raw.pool_wait_timeout_secs),
        connect_timeout: Duration::from_secs(raw.connect_timeout_secs),
        statement_timeout: Duration::from_secs(raw.statement_timeout_secs),
    }))
}

fn non_empty(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `iss`/`aud`: an explicit value wins; unset falls back to Better Auth's URL; the empty
/// string turns the check off, with a warning.
fn resolve_claim_check(
    name: &str,
    explicit: Option<String>,
    better_auth_url: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    match explicit {
        Some(value) if value.trim().is_empty() => {
            warnings.push(format!(
                "{name} is empty: the token's {name} claim is not checked"
            ));
            None
        }
        Some(value) => Some(value.trim().to_owned()),
        None => better_auth_url.map(str::to_owned),
    }
}

fn resolve_auth(raw: RawAuth, warnings: &mut Vec<String>) -> Result<AuthSettings, SettingsError> {
    let better_auth_url =
        non_empty(raw.better_auth_url).map(|url| url.trim_end_matches('/').to_owned());
    let jwks_url = non_empty(raw.jwks_url).or_else(|| {
        better_auth_url
            .as_ref()
            .map(|base| format!("{base}/api/auth/jwks"))
    });
    let secret = non_empty(raw.secret);
    if let Some(secret) = &secret {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SettingsError(format!(
                "BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {}); generate one with: openssl rand -base64 32",
                secret.len()
            )));
        }
    }
    if secret.is_none() && jwks_url.is_none() {
        return Err(SettingsError(
            "no token verification configured: set BETTER_AUTH_URL (or JWKS_URL) for Better Auth's JWKS, or BETTER_AUTH_SECRET for HS256 tokens".into(),
        ));
    }
    Ok(AuthSettings {
        secret: secret.map(Secret),
        jwks_url,
        issuer: resolve_claim_check(
            "JWT_ISSUER",
            raw.issuer,
            better_auth_url.as_deref(),
            warnings,
        ),
        audience: resolve_claim_check(
            "JWT_AUDIENCE",
            raw.audience,
            better_auth_url.as_deref(),
            warnings,
        ),
        leeway: Duration::from_secs(raw.leeway_secs),
        jwks_fetch_timeout: Duration::from_secs(raw.jwks_fetch_timeout_secs),
    })
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
        assert_eq!(settings.auth.issuer, None);
        let StoreSettings::Postgres(database) = &settings.store else {
            panic!("a PostgreSQL URL selects PostgreSQL");
        };
        assert_eq!(database.migration_url, database.url);
        assert!(database.migrate_on_start);
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
        assert_eq!(database.max_connections, 3);
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
    fn short_secret_stops_startup() {
        let error = load(&[
            ("DATABASE_URL", "postgres://db"),
            ("BETTER_AUTH_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("BETTER_AUTH_SECRET"), "{error}");
    }

    #[test]
    fn no_verifier_stops_startup() {
        let error = load(&[("DATABASE_URL", "postgres://db")]).unwrap_err();
        assert!(error.to_string().contains("BETTER_AUTH_URL"), "{error}");
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
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let settings = minimal(&[("DATABASE_URL", "postgres://u:hunter2@db/tasks")]).unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains(SECRET));
    }
}
