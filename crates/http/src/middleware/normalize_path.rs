use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;
use actix_web::middleware::Next;

/// Merges runs of `/` and trims trailing ones (`/api/u/tasks/` → `/api/u/tasks`) before
/// routing, as actix's `NormalizePath::trim()` does, but without running a regex on every
/// request: paths that need nothing, nearly all of them, are left as they are.
pub async fn normalize_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(path) = normalized(req.path()) {
        let uri = with_path(req.uri(), &path);
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
    next.call(req).await
}

/// `path` with runs of `/` merged and trailing `/` removed (a lone `/` stays); `None` when
/// it is already so, or empty (a URI without a path, which a rewrite could make invalid).
fn normalized(path: &str) -> Option<String> {
    let trailing = path.len() > 1 && path.ends_with('/');
    if path.is_empty() || !(trailing || path.contains("//")) {
        return None;
    }
    let mut merged = String::with_capacity(path.len());
    for character in path.chars() {
        if !(character == '/' && merged.ends_with('/')) {
            merged.push(character);
        }
    }
    if merged.len() > 1 && merged.ends_with('/') {
        merged.pop();
    }
    Some(merged)
}

fn with_path(uri: &Uri, path: &str) -> Uri {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        PathAndQuery::try_from(path_and_query)
            .expect("a valid path with runs of '/' merged is still valid"),
    );
    Uri::from_parts(parts).expect("only the path changed")
}

#[cfg(test)]
mod tests {
    use super::normalized;

    #[test]
    fn plain_paths_are_left_alone() {
        for path in ["/", "/api/u/tasks", "/api/u/tasks/7/complete", ""] {
            assert_eq!(normalized(path), None, "{path}");
        }
    }

    #[test]
    fn slashes_are_merged_and_trailing_ones_trimmed() {
        for (path, expected) in [
            ("/api/u/tasks/", "/api/u/tasks"),
            ("/api//u///tasks", "/api/u/tasks"),
            ("//api/u/tasks//", "/api/u/tasks"),
            ("//", "/"),
            ("///", "/"),
        ] {
            assert_eq!(normalized(path).as_deref(), Some(expected), "{path}");
        }
    }
}
