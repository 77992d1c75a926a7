//! How one connection is opened: the only code that makes sockets, so every connection,
//! pooled or migrating, gets the same bounds and TLS rules.

use std::time::Duration;

use diesel::{ConnectionError, ConnectionResult};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::metrics::ErrorKind;
use crate::ssl_mode::TlsParameters;
use crate::{SetupError, errors, tls};

/// Keepalive probes notice a vanished peer of an idle connection within about a minute.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

/// The server's statement timeout is the client's deadline plus this much: the client gives
/// up first and knows why (the server's own timeout would arrive as an unclassified database
/// error), and the server still stops the abandoned statement soon after.
const SERVER_TIMEOUT_GRACE: Duration = Duration::from_secs(1);

/// A parsed database URL and the bounds that every connection made from it gets.
pub(crate) struct ConnectionRecipe {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
}

impl ConnectionRecipe {
    /// `statement_timeout: None` leaves statements unbounded, for migrations, which may
    /// wait on the migration lock while another replica migrates. TLS follows the URL's
    /// `sslmode` and `sslrootcert`, as [`TlsParameters::policy`] explains.
    pub(crate) fn parse(
        url: &str,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Result<Self, SetupError> {
        let (url, tls_parameters) = TlsParameters::take_from(url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(SetupError::InvalidUrl)?;
        if config.get_hosts().is_empty() {
            return Err(SetupError::MissingHost);
        }
        let tls_policy = tls_parameters.policy(config.get_ssl_mode());
        let tls = tls::connector(&tls_policy.verification)?;
        config
            .ssl_mode(tls_policy.negotiation)
            .connect_timeout(connect_timeout)
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
        Ok(Self {
            config,
            tls,
            connect_timeout,
            statement_timeout,
        })
    }

    /// Opens a connection, giving up after the connect timeout (which bounds the whole
    /// handshake, not only the TCP connect).
    pub(crate) async fn establish(&self) -> ConnectionResult<AsyncPgConnection> {
        match tokio::time::timeout(self.connect_timeout, self.open()).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => {
                ErrorKind::ConnectFailed.count();
                Err(error)
            }
            Err(_) => {
                ErrorKind::ConnectTimeout.count();
                Err(ConnectionError::BadConnection(format!(
                    "no connection within {:?}",
                    self.connect_timeout
                )))
            }
        }
    }

    async fn open(&self) -> ConnectionResult<AsyncPgConnection> {
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|error| errors::from_connect(&error, &self.host_names()))?;
        let mut connection =
            AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
        if let Some(timeout) = self.statement_timeout {
            // A `SET` rather than a startup `options` parameter, which poolers such as
            // PgBouncer refuse.
            let milliseconds = (timeout + SERVER_TIMEOUT_GRACE).as_millis();
            connection
                .batch_execute(&format!("SET statement_timeout = {milliseconds}"))
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
        }
        Ok(connection)
    }

    /// The hosts that connections go to, for messages.
    fn host_names(&self) -> String {
        let names: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        names.join(",")
    }
}

#[cfg(test)]
mod tests {
    use tokio_postgres::config::{ChannelBinding, SslMode};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn unparsable_urls_are_refused() {
        for url in [
            "not a url",
            "postgres://host/db?nonsense=1",
            "postgres://:x/db",
        ] {
            assert!(
                matches!(
                    ConnectionRecipe::parse(url, TIMEOUT, None),
                    Err(SetupError::InvalidUrl(_))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn a_url_without_host_is_refused() {
        assert!(matches!(
            ConnectionRecipe::parse("postgres:///tasks", TIMEOUT, None),
            Err(SetupError::MissingHost)
        ));
    }

    #[test]
    fn the_tls_parameters_are_applied_and_the_rest_is_parsed() {
        let recipe = ConnectionRecipe::parse(
            "postgres://h/db?sslmode=verify-full&channel_binding=require",
            TIMEOUT,
            None,
        )
        .unwrap();
        assert_eq!(recipe.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(recipe.config.get_channel_binding(), ChannelBinding::Require);
        let recipe = ConnectionRecipe::parse("postgres://h/db", TIMEOUT, None).unwrap();
        assert_eq!(recipe.config.get_ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn tls_setting_mistakes_are_refused() {
        assert!(matches!(
            ConnectionRecipe::parse("postgres://h/db?sslmode=allow", TIMEOUT, None),
            Err(SetupError::InvalidSslMode(_))
        ));
        assert!(matches!(
            ConnectionRecipe::parse(
                "postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent.pem",
                TIMEOUT,
                None
            ),
            Err(SetupError::RootCertificateFile { .. })
        ));
    }

    #[test]
    fn bounds_apply_to_every_connection() {
        let recipe =
            ConnectionRecipe::parse("postgres://u:p@h:5433/db", TIMEOUT, Some(TIMEOUT)).unwrap();
        assert_eq!(recipe.config.get_connect_timeout(), Some(&TIMEOUT));
        assert!(recipe.config.get_keepalives());
        assert_eq!(recipe.config.get_keepalives_idle(), KEEPALIVE_IDLE);
    }
}
