use serde::Deserialize;
use serde_json::json;
use tasks_domain::{Description, DomainError, NewTask, TaskPatch, Title};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, SchemaType};
use utoipa::{PartialSchema, ToSchema};
use validator::{Validate, ValidationError};

use super::validation::{self, into_api_error, rule_broken};
use super::{Field, schemas};
use crate::error::ApiError;

/// A new task. Unknown members, read-only ones (`id`, `user_id`, timestamps) included, are
/// ignored, so a whole task may be sent back.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(examples(json!({"title": "Buy milk", "description": "2 litres"})))]
pub struct CreateTaskBody {
    #[serde(default)]
    #[validate(custom(function = "validation::title_required"))]
    #[schema(schema_with = schemas::title, required = true)]
    pub title: Field<String>,
    #[serde(default)]
    #[validate(custom(function = "validation::description"))]
    #[schema(schema_with = schemas::description)]
    pub description: Field<String>,
    #[serde(default)]
    #[validate(custom(function = "validation::completed"))]
    #[schema(schema_with = schemas::completed)]
    pub completed: Field<bool>,
}

/// `PUT` / `PATCH /api/{user_id}/tasks/{task_id}`: any of the three, at least one. Its
/// schema is written by hand below: the derive cannot say "at least one of".
#[derive(Debug, Default, Deserialize, Validate)]
#[validate(schema(function = "names_a_field"))]
pub struct UpdateTaskBody {
    #[serde(default)]
    #[validate(custom(function = "validation::title_if_present"))]
    pub title: Field<String>,
    #[serde(default)]
    #[validate(custom(function = "validation::description"))]
    pub description: Field<String>,
    #[serde(default)]
    #[validate(custom(function = "validation::completed"))]
    pub completed: Field<bool>,
}

impl PartialSchema for UpdateTaskBody {
    fn schema() -> RefOr<Schema> {
        let members = ObjectBuilder::new()
            .property("title", schemas::title())
            .property("description", schemas::description())
            .property("completed", schemas::completed())
            .min_properties(Some(1));
        // Unknown members are ignored, so `minProperties` alone would let them count.
        let names_one = ["title", "description", "completed"].into_iter().fold(
            AnyOfBuilder::new(),
            |any_of, name| {
                any_of.item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::AnyValue)
                        .required(name),
                )
            },
        );
        AllOfBuilder::new()
            .item(members)
            .item(names_one)
            .description(Some(
                "A partial update: any of `title`, `description` (`null` clears it) and \
                 `completed`, at least one. Unknown and read-only members are ignored.",
            ))
            .examples([json!({"description": null, "completed": true})])
            .into()
    }
}

impl ToSchema for UpdateTaskBody {}

/// `{}` (or no body at all) toggles `completed`; `{"completed": b}` sets it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(examples(json!({"completed": true})))]
pub struct CompleteTaskBody {
    #[serde(default)]
    #[validate(custom(function = "validation::completed"))]
    #[schema(schema_with = schemas::completed)]
    pub completed: Field<bool>,
}

fn names_a_field(body: &UpdateTaskBody) -> Result<(), ValidationError> {
    if body.title.is_absent() && body.description.is_absent() && body.completed.is_absent() {
        return Err(rule_broken(DomainError::EmptyPatch));
    }
    Ok(())
}

fn invalid(field: &'static str) -> impl FnOnce(DomainError) -> ApiError {
    move |error| ApiError::invalid_field(field, error.to_string())
}

fn title(field: Field<String>) -> Result<Option<Title>, ApiError> {
    match field {
        Field::Value(text) => Title::parse(&text).map(Some).map_err(invalid("title")),
        Field::Absent | Field::Null => Ok(None),
    }
}

/// `Some(None)` for an explicit `null`, which clears the description.
fn description(field: Field<String>) -> Result<Option<Option<Description>>, ApiError> {
    match field {
        Field::Absent => Ok(None),
        Field::Null => Ok(Some(None)),
        Field::Value(text) => Description::parse(text)
            .map(|d| Some(Some(d)))
            .map_err(invalid("description")),
    }
}

fn completed(field: Field<bool>) -> Option<bool> {
    match field {
        Field::Value(value) => Some(value),
        Field::Absent | Field::Null => None,
    }
}

impl CreateTaskBody {
    pub fn try_into_domain(self) -> Result<NewTask, ApiError> {
        self.validate().map_err(into_api_error)?;
        let title =
            title(self.title)?.ok_or_else(|| ApiError::invalid_field("title", "is required"))?;
        Ok(NewTask {
            title,
            description: description(self.description)?.flatten(),
            completed: completed(self.completed).unwrap_or(false),
        })
    }
}

impl UpdateTaskBody {
    pub fn try_into_domain(self) -> Result<TaskPatch, ApiError> {
        self.validate().map_err(into_api_error)?;
        TaskPatch::new(
            title(self.title)?,
            description(self.description)?,
            completed(self.completed),
        )
        .map_err(invalid("body"))
    }
}

impl CompleteTaskBody {
    /// `None` asks for a toggle, `Some(b)` sets `completed` to `b`.
    pub fn try_into_domain(self) -> Result<Option<bool>, ApiError> {
        self.validate().map_err(into_api_error)?;
        Ok(completed(self.completed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::parse_json;
    use crate::error::FieldError;

    fn field_errors(error: ApiError) -> Vec<FieldError> {
        match error {
            ApiError::Validation(errors) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn create(json: &str) -> Result<NewTask, ApiError> {
        parse_json::<CreateTaskBody>(json.as_bytes())?.try_into_domain()
    }

    fn update(json: &str) -> Result<TaskPatch, ApiError> {
        parse_json::<UpdateTaskBody>(json.as_bytes())?.try_into_domain()
    }

    #[test]
    fn create_trims_and_defaults() {
        let task = create(r#"{"title": "  Buy milk  "}"#).unwrap();
        assert_eq!(task.title.as_str(), "Buy milk");
        assert_eq!(task.description, None);
        assert!(!task.completed);
    }

    #[test]
    fn create_ignores_read_only_and_unknown_members() {
        let json = r#"{"id": 9, "user_id": "x", "created_at": "t", "title": "a", "color": 1}"#;
        assert!(create(json).is_ok());
    }

    #[test]
    fn create_reports_every_bad_field() {
        let long = "x".repeat(1001);
        let json = format!(r#"{{"title": " ", "description": "{long}", "completed": null}}"#);
        let fields: Vec<String> = field_errors(create(&json).unwrap_err())
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["completed", "description", "title"]);
    }

    #[test]
    fn create_needs_a_title() {
        let errors = field_errors(create("{}").unwrap_err());
        assert_eq!(errors, [FieldError::new("title", "is required")]);
        let errors = field_errors(create(r#"{"title": null}"#).unwrap_err());
        assert_eq!(errors[0].field, "title");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let errors = field_errors(create(r#"{"title": 5}"#).unwrap_err());
        assert_eq!(errors[0].field, "title");
        let errors = field_errors(create(r#"{"title": "a", "completed": "yes"}"#).unwrap_err());
        assert_eq!(errors[0].field, "completed");
        for whole in ["[]", "null", "\"text\"", "3"] {
            let errors = field_errors(create(whole).unwrap_err());
            assert_eq!(errors[0].field, "body", "{whole}");
        }
    }

    #[test]
    fn malformed_json_is_not_a_validation_error() {
        for bad in ["{", "{\"title\": }", "", "{} x"] {
            assert!(
                matches!(create(bad), Err(ApiError::MalformedJson(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_json::<CreateTaskBody>(b"{\"title\": \"\xff\"}"),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn update_distinguishes_absent_from_null() {
        let patch = update(r#"{"description": null}"#).unwrap();
        assert_eq!(patch.description(), Some(None));
        assert_eq!(patch.title(), None);
        let patch = update(r#"{"completed": true}"#).unwrap();
        assert_eq!(patch.description(), None);
        assert_eq!(patch.completed(), Some(true));
    }

    #[test]
    fn update_rejects_null_title_and_completed() {
        assert_eq!(
            field_errors(update(r#"{"title": null}"#).unwrap_err())[0].field,
            "title"
        );
        assert_eq!(
            field_errors(update(r#"{"completed": null}"#).unwrap_err())[0].field,
            "completed"
        );
    }

    #[test]
    fn update_needs_a_field() {
        let errors = field_errors(update(r#"{"id": 3}"#).unwrap_err());
        assert_eq!(errors[0].field, "body");
    }

    #[test]
    fn complete_body() {
        let parse = |json: &str| parse_json::<CompleteTaskBody>(json.as_bytes())?.try_into_domain();
        assert_eq!(parse("{}").unwrap(), None);
        assert_eq!(parse(r#"{"completed": false}"#).unwrap(), Some(false));
        assert!(matches!(
            parse(r#"{"completed": null}"#),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            parse(r#"{"completed": 1}"#),
            Err(ApiError::Validation(_))
        ));
    }
}
