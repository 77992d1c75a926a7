//! `pgbouncer=true` in a database URL, as Prisma reads it: the URL goes through a
//! transaction-mode pooler. tokio-postgres refuses parameters it does not know, so the flag
//! is taken out of the URL here.

use percent_encoding::percent_decode_str;

use crate::SetupError;
use crate::ssl_mode::split_query;

const PARAMETER: &str = "pgbouncer";

/// Splits `url` into the URL without `pgbouncer` (other parameters stay, in order) and
/// whether it was `true`. A string that is not a `postgres://` URL is left alone.
pub(crate) fn take_from(url: &str) -> Result<(String, bool), SetupError> {
    let Some((address, query)) = split_query(url) else {
        return Ok((url.to_owned(), false));
    };
    let mut through_pooler = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode_str(key).decode_utf8_lossy() != PARAMETER {
            kept.push(pair);
            continue;
        }
        through_pooler = match percent_decode_str(value).decode_utf8_lossy().as_ref() {
            "true" => true,
            "false" => false,
            other => return Err(SetupError::InvalidPoolerFlag(other.to_owned())),
        };
    }
    let url = if kept.is_empty() {
        address.to_owned()
    } else {
        format!("{address}?{}", kept.join("&"))
    };
    Ok((url, through_pooler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_taken_out_and_the_rest_kept() {
        assert_eq!(
            take_from("postgres://u:p@h/db?sslmode=require&pgbouncer=true&application_name=a")
                .unwrap(),
            (
                "postgres://u:p@h/db?sslmode=require&application_name=a".to_owned(),
                true
            )
        );
        assert_eq!(
            take_from("postgres://h/db?pgbouncer=false").unwrap(),
            ("postgres://h/db".to_owned(), false)
        );
        assert_eq!(
            take_from("postgres://h/db").unwrap(),
            ("postgres://h/db".to_owned(), false)
        );
        assert_eq!(
            take_from("host=h dbname=db").unwrap(),
            ("host=h dbname=db".to_owned(), false)
        );
    }

    #[test]
    fn other_values_are_refused() {
        assert!(matches!(
            take_from("postgres://h/db?pgbouncer=yes"),
            Err(SetupError::InvalidPoolerFlag(value)) if value == "yes"
        ));
    }
}
