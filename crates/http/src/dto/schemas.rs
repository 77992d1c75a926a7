//! OpenAPI schemas for the request values whose Rust type does not show their JSON form:
//! `Field<T>` members and the list query's plain strings. The limits come from the domain,
//! so the document states the rules the parsers enforce.

use tasks_domain::{Description, Limit, SearchText, Title};
use utoipa::openapi::KnownFormat;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

/// `char::is_whitespace` (what `str::trim` strips), as inclusive ranges.
const WHITESPACE: [(char, char); 10] = [
    ('\u{9}', '\u{d}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// The members of a regex character class matching [`WHITESPACE`].
fn whitespace_class() -> String {
    WHITESPACE
        .iter()
        .map(|&(first, last)| {
            if first == last {
                format!("\\u{:04x}", u32::from(first))
            } else {
                format!("\\u{:04x}-\\u{:04x}", u32::from(first), u32::from(last))
            }
        })
        .collect()
}

/// Text PostgreSQL can store: no U+0000.
const NO_NUL: &str = r"^[^\u0000]*$";

/// After trimming, 1 to `Title::MAX_CHARS` characters, none of them U+0000. Trimming is
/// the server's, so the raw string may be longer; only a pattern can say that exactly.
fn title_pattern() -> String {
    let space = whitespace_class();
    let inner = Title::MAX_CHARS - 2;
    format!(r"^[{space}]*[^\u0000{space}](?:[^\u0000]{{0,{inner}}}[^\u0000{space}])?[{space}]*$")
}

pub fn title() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(title_pattern()))
        .description(Some(format!(
            "The server trims surrounding whitespace, then requires 1 to {} characters \
             (Unicode code points), none of them U+0000.",
            Title::MAX_CHARS
        )))
        .build()
}

pub fn description() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(Description::MAX_CHARS))
        .pattern(Some(NO_NUL))
        .description(Some(
            "Stored exactly as sent (`\"\"` stays `\"\"`); `null` for none. No U+0000.",
        ))
        .build()
}

pub fn completed() -> Object {
    ObjectBuilder::new().schema_type(Type::Boolean).build()
}

fn one_of(values: &[&str], description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
}

pub fn status() -> Object {
    one_of(
        &["all", "pending", "completed"],
        "Which tasks, by completion.",
    )
    .default(Some("all".into()))
    .build()
}

pub fn sort() -> Object {
    one_of(
        &["created", "updated", "title"],
        "Sort key. Title order compares Unicode lowercase forms code point by code point; \
         ties are broken by id in the same direction.",
    )
    .default(Some("created".into()))
    .build()
}

pub fn order() -> Object {
    one_of(
        &["asc", "desc"],
        "Sort direction; by default `desc` for dates and `asc` for `title`.",
    )
    .build()
}

pub fn search() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(SearchText::MAX_CHARS))
        .pattern(Some(NO_NUL))
        .description(Some(
            "Case-insensitive substring of the title or description; `%` and `_` are \
             ordinary characters. Empty matches everything.",
        ))
        .build()
}

pub fn limit() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(Limit::MAX))
        .default(Some(Limit::default().get().into()))
        .description(Some("Page size."))
        .build()
}

pub fn offset() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .maximum(Some(i64::MAX))
        .default(Some(0.into()))
        .description(Some("How many matching tasks to skip."))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_ranges_are_exactly_what_trim_strips() {
        let listed = |c: char| {
            WHITESPACE
                .iter()
                .any(|&(first, last)| (first..=last).contains(&c))
        };
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(listed(c), c.is_whitespace(), "U+{:04X}", u32::from(c));
        }
    }
}
