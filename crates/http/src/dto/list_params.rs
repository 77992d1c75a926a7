use tasks_domain::{
    DomainError, Limit, ListQuery, Offset, SearchText, SortKey, SortOrder, StatusFilter,
};
use utoipa::IntoParams;
use validator::{Validate, ValidationError};

use super::schemas;
use super::validation::{into_api_error, rule_broken};
use crate::error::ApiError;

/// The list endpoint's query string, as sent. Unknown parameters are ignored; when one is
/// repeated, the last one counts.
#[derive(Debug, Default, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[validate(custom(function = "valid_status"))]
    #[param(schema_with = schemas::status)]
    pub status: Option<String>,
    #[validate(custom(function = "valid_sort"))]
    #[param(schema_with = schemas::sort)]
    pub sort: Option<String>,
    #[validate(custom(function = "valid_order"))]
    #[param(schema_with = schemas::order)]
    pub order: Option<String>,
    #[validate(custom(function = "valid_search"))]
    #[param(schema_with = schemas::search)]
    pub q: Option<String>,
    #[validate(custom(function = "valid_limit"))]
    #[param(schema_with = schemas::limit)]
    pub limit: Option<String>,
    #[validate(custom(function = "valid_offset"))]
    #[param(schema_with = schemas::offset)]
    pub offset: Option<String>,
}

fn checked<T>(result: Result<T, DomainError>) -> Result<(), ValidationError> {
    result.map(drop).map_err(rule_broken)
}

fn valid_status(value: &str) -> Result<(), ValidationError> {
    checked(StatusFilter::parse(value))
}

fn valid_sort(value: &str) -> Result<(), ValidationError> {
    checked(SortKey::parse(value))
}

fn valid_order(value: &str) -> Result<(), ValidationError> {
    checked(SortOrder::parse(value))
}

fn valid_search(value: &str) -> Result<(), ValidationError> {
    checked(SearchText::parse(value))
}

fn valid_limit(value: &str) -> Result<(), ValidationError> {
    checked(Limit::parse(value))
}

fn valid_offset(value: &str) -> Result<(), ValidationError> {
    checked(Offset::parse(value))
}

/// `Ok(None)` when the parameter is absent.
fn parse_present<T>(
    name: &'static str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, DomainError>,
) -> Result<Option<T>, ApiError> {
    value
        .map(parse)
        .transpose()
        .map_err(|error| ApiError::invalid_field(name, error.to_string()))
}

impl ListParams {
    pub fn from_query_string(query: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "status" => &mut params.status,
                "sort" => &mut params.sort,
                "order" => &mut params.order,
                "q" => &mut params.q,
                "limit" => &mut params.limit,
                "offset" => &mut params.offset,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        params
    }

    pub fn try_into_domain(self) -> Result<ListQuery, ApiError> {
        self.validate().map_err(into_api_error)?;
        Ok(ListQuery {
            status: parse_present("status", self.status.as_deref(), StatusFilter::parse)?
                .unwrap_or_default(),
            sort: parse_present("sort", self.sort.as_deref(), SortKey::parse)?.unwrap_or_default(),
            order: parse_present("order", self.order.as_deref(), SortOrder::parse)?,
            search: parse_present("q", self.q.as_deref(), SearchText::parse)?.flatten(),
            limit: parse_present("limit", self.limit.as_deref(), Limit::parse)?.unwrap_or_default(),
            offset: parse_present("offset", self.offset.as_deref(), Offset::parse)?
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<ListQuery, ApiError> {
        ListParams::from_query_string(query).try_into_domain()
    }

    #[test]
    fn defaults() {
        assert_eq!(parse("").unwrap(), ListQuery::default());
    }

    #[test]
    fn every_parameter() {
        let query =
            parse("status=completed&sort=title&order=desc&q=50%25+off&limit=5&offset=10").unwrap();
        assert_eq!(query.status, StatusFilter::Completed);
        assert_eq!(query.sort, SortKey::Title);
        assert_eq!(query.order, Some(SortOrder::Desc));
        assert_eq!(query.search.unwrap().as_str(), "50% off");
        assert_eq!(query.limit.get(), 5);
        assert_eq!(query.offset.get(), 10);
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (query, field) in [
            ("status=done", "status"),
            ("sort=id", "sort"),
            ("order=up", "order"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("offset=-1", "offset"),
            ("q=%00", "q"),
        ] {
            match parse(query) {
                Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, field, "{query}"),
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        assert!(parse("page=3&limit=2").is_ok());
    }
}
