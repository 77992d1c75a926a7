//! Field rules for validator, delegating to the domain's parsers so each rule lives once.

use std::borrow::Cow;

use tasks_domain::{Description, DomainError, Title};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use super::Field;
use crate::error::{ApiError, FieldError};

pub fn rule_broken(error: DomainError) -> ValidationError {
    ValidationError::new("invalid").with_message(Cow::Owned(error.to_string()))
}

fn message(text: &'static str) -> ValidationError {
    ValidationError::new("invalid").with_message(Cow::Borrowed(text))
}

pub fn title_required(title: &Field<String>) -> Result<(), ValidationError> {
    match title {
        Field::Absent => Err(message("is required")),
        _ => title_if_present(title),
    }
}

pub fn title_if_present(title: &Field<String>) -> Result<(), ValidationError> {
    match title {
        Field::Absent => Ok(()),
        Field::Null => Err(message("must be a string, not null")),
        Field::Value(text) => Title::parse(text).map(drop).map_err(rule_broken),
    }
}

pub fn description(description: &Field<String>) -> Result<(), ValidationError> {
    match description {
        Field::Value(text) => Description::parse(text.as_str())
            .map(drop)
            .map_err(rule_broken),
        Field::Absent | Field::Null => Ok(()),
    }
}

pub fn completed(completed: &Field<bool>) -> Result<(), ValidationError> {
    match completed {
        Field::Null => Err(message("must be true or false, not null")),
        Field::Absent | Field::Value(_) => Ok(()),
    }
}

/// validator's errors as the contract's list, in a stable order. Struct-level errors
/// (validator's `__all__`) concern the whole body.
pub fn into_api_error(errors: ValidationErrors) -> ApiError {
    let mut list: Vec<FieldError> = errors
        .into_errors()
        .into_iter()
        .flat_map(|(field, kind)| {
            let field = if field == "__all__" {
                "body".to_owned()
            } else {
                field.into_owned()
            };
            let ValidationErrorsKind::Field(errors) = kind else {
                return Vec::new();
            };
            errors
                .into_iter()
                .map(|error| {
                    let text = error
                        .message
                        .map_or_else(|| error.code.into_owned(), Cow::into_owned);
                    FieldError::new(field.clone(), text)
                })
                .collect()
        })
        .collect();
    list.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(list)
}
