/// `Link` to the next page: the same path and query with `offset` advanced. Relative, so
/// it is right behind any proxy.
pub fn next_page_link(path: &str, query: &str, next_offset: i64) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "offset" {
            serializer.append_pair(&name, &value);
        }
    }
    serializer.append_pair("offset", &next_offset.to_string());
    format!("<{path}?{}>; rel=\"next\"", serializer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_other_parameters_and_advances_offset() {
        assert_eq!(
            next_page_link("/api/u/tasks", "limit=2&q=a+b&offset=2", 4),
            r#"</api/u/tasks?limit=2&q=a+b&offset=4>; rel="next""#
        );
        assert_eq!(
            next_page_link("/api/u/tasks", "", 100),
            r#"</api/u/tasks?offset=100>; rel="next""#
        );
    }
}
