use actix_web::HttpRequest;
use actix_web::http::Method;

use crate::routes::TEMPLATES;

/// The standard methods keep their name; any other becomes `OTHER`.
const METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
    Method::CONNECT,
    Method::TRACE,
];

/// A request's method as a label: one of [`METHODS`] or `OTHER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct MethodLabel(u8);

impl MethodLabel {
    const OTHER: Self = Self(METHODS.len() as u8);

    pub(super) fn of(method: &Method) -> Self {
        METHODS
            .iter()
            .position(|known| known == method)
            .map_or(Self::OTHER, |index| Self(index as u8))
    }

    pub(super) fn as_str(self) -> &'static str {
        METHODS
            .get(usize::from(self.0))
            .map_or("OTHER", Method::as_str)
    }
}

/// The route that served a request, as its template in the route table, or `unmatched`.
/// Each resource of the route table carries its own as app data (see `routes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RouteLabel(u8);

impl RouteLabel {
    pub(super) const UNMATCHED: Self = Self(TEMPLATES.len() as u8);

    /// Every label, in index order, `unmatched` last.
    pub(super) fn all() -> impl Iterator<Item = Self> {
        (0..=Self::UNMATCHED.0).map(Self)
    }

    /// The label of a route table `template`; `unmatched` for anything else.
    pub(crate) fn of(template: &str) -> Self {
        TEMPLATES
            .iter()
            .position(|known| *known == template)
            .map_or(Self::UNMATCHED, |index| Self(index as u8))
    }

    /// The route of a request that has been answered. A request answered before routing
    /// (a CORS preflight, say) carries no label: its path is matched against the route
    /// table's resource names, which are their templates.
    pub(super) fn of_request(request: &HttpRequest) -> Self {
        match request.app_data::<Self>() {
            Some(label) => *label,
            None => request.match_name().map_or(Self::UNMATCHED, Self::of),
        }
    }

    pub(super) fn index(self) -> usize {
        usize::from(self.0)
    }

    pub(super) fn as_str(self) -> &'static str {
        TEMPLATES.get(self.index()).copied().unwrap_or("unmatched")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_keep_their_name() {
        for method in [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
        ] {
            let parsed = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(MethodLabel::of(&parsed).as_str(), method);
        }
    }

    #[test]
    fn any_other_method_is_other() {
        for method in ["FOO", "get", "PROPFIND", "X-RANDOM-1234"] {
            let parsed = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(MethodLabel::of(&parsed).as_str(), "OTHER", "{method}");
        }
    }

    #[test]
    fn routes_are_their_templates_and_anything_else_is_unmatched() {
        for template in TEMPLATES {
            assert_eq!(RouteLabel::of(template).as_str(), template);
        }
        assert_eq!(RouteLabel::of("/api/alice/tasks").as_str(), "unmatched");
        assert_eq!(RouteLabel::of("").as_str(), "unmatched");
        let all: Vec<_> = RouteLabel::all().collect();
        assert_eq!(all.len(), TEMPLATES.len() + 1);
        assert!(
            all.iter()
                .enumerate()
                .all(|(index, label)| label.index() == index)
        );
    }
}
