use serde::de::{DeserializeOwned, Error as _};

/// Parses a JSON object into `T`. Serde also fills structs from JSON arrays, which no JOSE
/// structure is, so anything but an object is refused first.
pub(crate) fn from_object<T: DeserializeOwned>(json: &[u8]) -> Result<T, serde_json::Error> {
    if json.trim_ascii_start().first() != Some(&b'{') {
        return Err(serde_json::Error::custom("expected a JSON object"));
    }
    serde_json::from_slice(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Named {
        name: String,
    }

    #[test]
    fn accepts_objects_only() {
        assert_eq!(
            from_object::<Named>(br#" {"name": "a"}"#).unwrap().name,
            "a"
        );
        assert!(from_object::<Named>(br#"["a"]"#).is_err());
        assert!(from_object::<Named>(b"").is_err());
    }

    #[test]
    fn rejects_duplicate_members() {
        assert!(from_object::<Named>(br#"{"name": "a", "name": "b"}"#).is_err());
    }
}
