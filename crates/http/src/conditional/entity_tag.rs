//! The field values of `If-Match` and `If-None-Match` (RFC 9110 §13.1): `*`, or a
//! comma-separated list of entity tags, over one or more header lines.

/// One listed entity tag: `"opaque"`, or `W/"opaque"` when weak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag {
    weak: bool,
    /// What is between the quotes: visible ASCII but `"`, or obs-text bytes.
    opaque: Vec<u8>,
}

impl EntityTag {
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    pub fn opaque(&self) -> &[u8] {
        &self.opaque
    }
}

/// What a precondition header asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagList {
    /// `*`: any current representation.
    Any,
    /// At least one entity tag.
    Tags(Vec<EntityTag>),
}

/// The header is neither `*` nor a list of entity tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl TagList {
    /// The list that the header `lines` make together (as if joined by commas); `None` when
    /// there is no line. `*` must be the whole field value, on a single line, and a list
    /// must name at least one tag.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Result<Option<Self>, Malformed> {
        let lines: Vec<&[u8]> = lines.into_iter().collect();
        if let [line] = lines.as_slice()
            && trim_whitespace(line) == b"*"
        {
            return Ok(Some(Self::Any));
        }
        let mut tags = Vec::new();
        for line in &lines {
            tags.extend(list(line)?);
        }
        match (lines.is_empty(), tags.is_empty()) {
            (true, _) => Ok(None),
            (false, true) => Err(Malformed),
            (false, false) => Ok(Some(Self::Tags(tags))),
        }
    }

    /// The weak comparison of `If-None-Match`: `*`, or a listed tag with this opaque part,
    /// weak or strong.
    pub fn matches_weakly(&self, opaque: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|tag| tag.opaque == opaque.as_bytes()),
        }
    }
}

/// The tags of one line: `element *( OWS "," OWS element )`, where empty elements are
/// allowed and skipped (RFC 9110 §5.6.1), and so is whitespace around the whole value.
fn list(line: &[u8]) -> Result<Vec<EntityTag>, Malformed> {
    let mut found = Vec::new();
    let mut rest = line;
    loop {
        rest = trim_whitespace(rest);
        match rest.first() {
            None => return Ok(found),
            Some(b',') => {
                rest = &rest[1..];
                continue;
            }
            Some(_) => {}
        }
        let (tag, after) = entity_tag(rest)?;
        found.push(tag);
        rest = trim_whitespace(after);
        match rest.first() {
            None => return Ok(found),
            Some(b',') => rest = &rest[1..],
            Some(_) => return Err(Malformed),
        }
    }
}

/// `[ W/ ] DQUOTE *etagc DQUOTE`, and what follows it.
fn entity_tag(input: &[u8]) -> Result<(EntityTag, &[u8]), Malformed> {
    let (weak, quoted) = match input.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let inner = quoted.strip_prefix(b"\"").ok_or(Malformed)?;
    let end = inner
        .iter()
        .position(|&byte| byte == b'"')
        .ok_or(Malformed)?;
    let opaque = &inner[..end];
    if !opaque.iter().all(|&byte| is_etagc(byte)) {
        return Err(Malformed);
    }
    let tag = EntityTag {
        weak,
        opaque: opaque.to_vec(),
    };
    Ok((tag, &inner[end + 1..]))
}

/// `etagc = %x21 / %x23-7E / obs-text`.
fn is_etagc(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7E).contains(&byte) || byte >= 0x80
}

/// Without the `OWS = *( SP / HTAB )` on either side.
fn trim_whitespace(input: &[u8]) -> &[u8] {
    let is_whitespace = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = input
        .iter()
        .position(|byte| !is_whitespace(byte))
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|byte| !is_whitespace(byte))
        .map_or(start, |last| last + 1);
    &input[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<Option<TagList>, Malformed> {
        TagList::parse(lines.iter().map(|line| line.as_bytes()))
    }

    fn strong(opaque: &str) -> EntityTag {
        EntityTag {
            weak: false,
            opaque: opaque.as_bytes().to_vec(),
        }
    }

    fn weak(opaque: &str) -> EntityTag {
        EntityTag {
            weak: true,
            ..strong(opaque)
        }
    }

    fn tags(lines: &[&str]) -> Vec<EntityTag> {
        match parse(lines) {
            Ok(Some(TagList::Tags(tags))) => tags,
            other => panic!("{lines:?}: {other:?}"),
        }
    }

    #[test]
    fn no_line_is_no_list() {
        assert_eq!(parse(&[]), Ok(None));
    }

    #[test]
    fn a_star_alone_is_any() {
        for value in ["*", " * ", "\t*"] {
            assert_eq!(parse(&[value]), Ok(Some(TagList::Any)), "{value:?}");
        }
    }

    #[test]
    fn one_tag_strong_or_weak() {
        assert_eq!(tags(&["\"7.3\""]), [strong("7.3")]);
        assert_eq!(tags(&["W/\"7.3\""]), [weak("7.3")]);
        assert_eq!(
            tags(&["\"\""]),
            [strong("")],
            "an empty opaque part is a tag"
        );
        assert!(tags(&["W/\"7.3\""])[0].is_weak());
        assert!(!tags(&["\"7.3\""])[0].is_weak());
    }

    #[test]
    fn lists_with_optional_whitespace_and_empty_elements() {
        let expected = [strong("a"), weak("b"), strong("c")];
        for value in [
            "\"a\",W/\"b\",\"c\"",
            "\"a\", W/\"b\", \"c\"",
            " \"a\" ,\tW/\"b\" ,  \"c\" ",
            "\"a\",, W/\"b\" , ,\"c\",",
            ", \"a\", W/\"b\", \"c\"",
        ] {
            assert_eq!(tags(&[value]), expected, "{value:?}");
        }
    }

    #[test]
    fn header_lines_combine() {
        assert_eq!(
            tags(&["\"a\"", "W/\"b\", \"c\""]),
            [strong("a"), weak("b"), strong("c")]
        );
    }

    #[test]
    fn commas_and_odd_characters_inside_quotes_are_part_of_the_tag() {
        assert_eq!(tags(&["\"a,b\""]), [strong("a,b")]);
        assert_eq!(tags(&["\"W/x*!#~\""]), [strong("W/x*!#~")]);
    }

    #[test]
    fn obs_text_is_allowed_inside_quotes() {
        let line = b"\"caf\xc3\xa9\"".as_slice();
        let Ok(Some(TagList::Tags(found))) = TagList::parse([line]) else {
            panic!("obs-text is etagc");
        };
        assert_eq!(found[0].opaque(), b"caf\xc3\xa9");
    }

    #[test]
    fn malformed_values() {
        for value in [
            "",
            "   ",
            ",",
            " , ,",
            "nope",
            "7.3",
            "\"unterminated",
            "unopened\"",
            "\"a\" \"b\"",
            "\"a\"\"b\"",
            "\"a\" x",
            "W/nope",
            "w/\"a\"",
            "W/ \"a\"",
            "W\"a\"",
            "\"a b\"",
            "\"a\tb\"",
            "\"a\\\"b\"",
            "**",
            "*, \"a\"",
            "\"a\", *",
            "*,",
            "*,*",
            "* *",
            "\"a\";q=1",
        ] {
            assert_eq!(parse(&[value]), Err(Malformed), "{value:?}");
        }
    }

    #[test]
    fn control_characters_are_malformed() {
        for line in [b"\"a\x00\"".as_slice(), b"\"a\x7f\"", b"\"\x1b\""] {
            assert_eq!(TagList::parse([line]), Err(Malformed), "{line:?}");
        }
    }

    #[test]
    fn a_star_must_be_the_whole_value_across_lines() {
        assert_eq!(parse(&["*", "\"a\""]), Err(Malformed));
        assert_eq!(parse(&["\"a\"", "*"]), Err(Malformed));
        assert_eq!(parse(&["*", "*"]), Err(Malformed));
        assert_eq!(parse(&["*", ""]), Err(Malformed));
    }

    #[test]
    fn empty_lines_add_nothing_to_a_list_and_make_no_list_alone() {
        assert_eq!(tags(&["\"a\"", " , "]), [strong("a")]);
        assert_eq!(parse(&["", ""]), Err(Malformed));
    }

    #[test]
    fn weak_comparison_ignores_weakness() {
        let list = TagList::Tags(vec![weak("a"), strong("b")]);
        assert!(list.matches_weakly("a"));
        assert!(list.matches_weakly("b"));
        assert!(!list.matches_weakly("c"));
        assert!(!list.matches_weakly(""));
        assert!(TagList::Any.matches_weakly("anything"));
    }
}
