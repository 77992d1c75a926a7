//! Reading `If-Match` and `If-None-Match` from a request. Only their syntax can fail here
//! (400); what they ask is decided by the store (`If-Match`, atomically with the write) or
//! against the answer (`If-None-Match`).

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use tasks_domain::{Precondition, TaskId};

use super::{TagList, TaskTag};
use crate::error::ApiError;

/// The list of header `name`, spelled `spelling` in the 400's detail.
fn tag_list(
    req: &HttpRequest,
    name: HeaderName,
    spelling: &'static str,
) -> Result<Option<TagList>, ApiError> {
    TagList::parse(req.headers().get_all(name).map(HeaderValue::as_bytes))
        .map_err(|_| ApiError::MalformedPrecondition(spelling))
}

/// What `If-Match` requires of task `id`: any version when absent or `*`, else the
/// versions its strong tags name of this task (none, when they name no version of it).
pub fn if_match(req: &HttpRequest, id: TaskId) -> Result<Precondition, ApiError> {
    Ok(match tag_list(req, header::IF_MATCH, "If-Match")? {
        None | Some(TagList::Any) => Precondition::Always,
        Some(TagList::Tags(tags)) => Precondition::VersionIn(
            tags.iter()
                .filter_map(|tag| TaskTag::version_named(id, tag))
                .collect(),
        ),
    })
}

/// The tags of `If-None-Match`, if sent.
pub fn if_none_match(req: &HttpRequest) -> Result<Option<TagList>, ApiError> {
    tag_list(req, header::IF_NONE_MATCH, "If-None-Match")
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use tasks_domain::Version;

    use super::*;

    fn request(lines: &[&str]) -> HttpRequest {
        lines
            .iter()
            .fold(TestRequest::default(), |request, line| {
                request.append_header((header::IF_MATCH, *line))
            })
            .to_http_request()
    }

    fn precondition(lines: &[&str]) -> Result<Precondition, ApiError> {
        if_match(&request(lines), TaskId::new(7))
    }

    #[test]
    fn absent_or_star_is_always() {
        assert_eq!(precondition(&[]).unwrap(), Precondition::Always);
        assert_eq!(precondition(&["*"]).unwrap(), Precondition::Always);
    }

    #[test]
    fn tags_name_this_tasks_versions_only() {
        let versions = |lines: &[&str]| match precondition(lines).unwrap() {
            Precondition::VersionIn(versions) => versions,
            Precondition::Always => panic!("{lines:?} is not a list"),
        };
        assert_eq!(versions(&["\"7.2\""]), [Version::new(2)]);
        assert_eq!(
            versions(&["\"7.2\", \"8.3\", W/\"7.4\"", "\"other\", \"7.5\""]),
            [Version::new(2), Version::new(5)]
        );
        assert_eq!(
            versions(&["\"8.3\""]),
            [],
            "another task's tag matches nothing"
        );
        assert_eq!(versions(&["W/\"7.2\""]), [], "weak tags never match");
    }

    #[test]
    fn malformed_headers_name_themselves() {
        assert_eq!(
            precondition(&["nope"]).unwrap_err().to_string(),
            "Malformed If-Match header"
        );
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"a\" \"b\""))
            .to_http_request();
        assert_eq!(
            if_none_match(&req).unwrap_err().to_string(),
            "Malformed If-None-Match header"
        );
    }
}
