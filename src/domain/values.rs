//! Values that check themselves. Every piece of text a person gives muster
//! (a title, a name, an address, a note) becomes one of these types before
//! it is stored, so one policy holds for every input, whichever door it came
//! through:
//!
//! - Surrounding whitespace is trimmed; text that is empty after trimming is
//!   absent (an optional field) or refused as required.
//! - [`SingleLine`] text refuses line breaks, tabs and every other control
//!   character. [`MultiLine`] text turns every line ending (CR LF, a lone CR,
//!   U+2028, U+2029) into LF and keeps tabs; it refuses every other control
//!   character. NUL is refused everywhere (PostgreSQL cannot store it).
//!   Nothing is silently dropped: a refusal says which field and why, so what
//!   is stored is what the person typed.
//! - Lengths are counted in characters after that, against each field's
//!   own maximum.
//!
//! A form is checked whole: [`AllValid`] turns a tuple of results into the
//! values or one error that names every field that failed, so a page can
//! mark them all at once and GraphQL lists them in `extensions.fields`.

use std::fmt;

use crate::error::{Error, FieldError, Result};

/// Which characters a text may hold, and how line endings are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

fn clean(field: &str, raw: &str, max: usize, lines: Lines) -> Result<Option<String>> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let mut cleaned = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let line_break = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
        match lines {
            Lines::Many if line_break => {
                // CR LF is one line ending, not two.
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cleaned.push('\n');
            }
            Lines::Many if c == '\t' => cleaned.push(c),
            Lines::One if line_break || c == '\t' => {
                return Err(Error::validation(field, "must be one line, without tabs"));
            }
            _ if c.is_control() => {
                return Err(Error::validation(field, "must not contain control characters"));
            }
            _ => cleaned.push(c),
        }
    }
    if cleaned.chars().count() > max {
        return Err(Error::validation(field, format!("must be at most {max} characters")));
    }
    Ok(Some(cleaned))
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $lines:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Text that must be given.
            pub fn required(field: &str, raw: &str, max: usize) -> Result<Self> {
                clean(field, raw, max, $lines)?
                    .map(Self)
                    .ok_or_else(|| Error::validation(field, "is required"))
            }

            /// Text that may be left out (or blank, which is the same).
            pub fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<Self>> {
                match raw {
                    None => Ok(None),
                    Some(raw) => Ok(clean(field, raw, max, $lines)?.map(Self)),
                }
            }

            /// Text that may be blank and is then stored as "".
            pub fn or_empty(field: &str, raw: &str, max: usize) -> Result<Self> {
                Ok(Self(clean(field, raw, max, $lines)?.unwrap_or_default()))
            }
        }

        value_conversions!($name);
    };
}

/// How a checked value is read and stored: as the string it holds.
macro_rules! value_conversions {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_value!(
    /// A name, title, place or label: one line of text.
    SingleLine,
    Lines::One
);
text_value!(
    /// A description, note or reason: paragraphs of text.
    MultiLine,
    Lines::Many
);

pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address, trimmed and lowercased: addresses are compared without
/// regard to case, so they are stored in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let email = Self::comparison_key(raw);
        let valid = email.chars().count() <= MAX_EMAIL_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(email))
        } else {
            Err(Error::validation(field, "is not a valid email address"))
        }
    }

    /// An address that may be left out (or blank).
    pub fn optional(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(raw) => Self::parse(field, raw).map(Some),
        }
    }

    /// The form in which addresses are compared, also for one that is not
    /// valid: a rate limit per account counts `Sam@x.org ` and `sam@x.org`
    /// as one.
    pub fn comparison_key(raw: &str) -> String {
        raw.trim().to_lowercase()
    }
}

value_conversions!(Email);

/// The name of a group or topic in addresses: `tower-hamlets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let slug = raw.trim().to_lowercase();
        let ok = (2..=40).contains(&slug.len())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if ok {
            Ok(Self(slug))
        } else {
            Err(Error::validation(
                field,
                "must be 2 to 40 characters of a-z, 0-9 and inner hyphens",
            ))
        }
    }
}

value_conversions!(Slug);

/// The outward part of a UK postcode (`LS6`, `E1W`, `SW1A`), never the
/// whole postcode: the area is enough to find a trainer, the full one would
/// point at a building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeArea(String);

impl PostcodeArea {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let area = raw.trim().to_uppercase();
        let bytes = area.as_bytes();
        let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let rest = &bytes[letters..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let tail = &rest[digits..];
        let ok = (1..=2).contains(&letters)
            && (1..=2).contains(&digits)
            && (tail.is_empty() || (tail.len() == 1 && tail[0].is_ascii_alphabetic()));
        if ok {
            Ok(Self(area))
        } else if area.contains(' ') || area.len() > 4 {
            Err(Error::validation(
                field,
                "give only the first part of the postcode (e.g. LS6), not the whole postcode",
            ))
        } else {
            Err(Error::validation(
                field,
                "is not the first part of a UK postcode (e.g. LS6)",
            ))
        }
    }

    pub fn optional(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(raw) => Self::parse(field, raw).map(Some),
        }
    }
}

value_conversions!(PostcodeArea);

const MAX_URL_CHARS: usize = 2_000;

/// A link people may click: only http(s), since a `javascript:` or `file:`
/// address in a calendar entry is an attack on whoever clicks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAddress(String);

impl WebAddress {
    pub fn optional(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if raw.len() > MAX_URL_CHARS {
            return Err(Error::validation(
                field,
                format!("must be at most {MAX_URL_CHARS} characters"),
            ));
        }
        match url::Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Ok(Some(Self(url.to_string())))
            }
            _ => Err(Error::validation(field, "must be an http:// or https:// address")),
        }
    }
}

value_conversions!(WebAddress);

/// A whole number within bounds, e.g. a capacity or an audience.
pub fn in_range(field: &str, value: i32, range: std::ops::RangeInclusive<i32>) -> Result<i32> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(Error::validation(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// Checks a whole form: the values, or one error naming every field that
/// failed. An error that is not about input (the database failed) wins
/// over the field errors, since the form could not be checked at all.
pub trait AllValid {
    type Values;
    fn all_valid(self) -> Result<Self::Values>;
}

fn gather(err: Error, invalid: &mut Vec<FieldError>) -> Result<()> {
    match err {
        Error::Validation(fields) => {
            invalid.extend(fields);
            Ok(())
        }
        other => Err(other),
    }
}

macro_rules! all_valid_for_tuple {
    ($($value:ident: $type:ident),+) => {
        impl<$($type),+> AllValid for ($(Result<$type>,)+) {
            type Values = ($($type,)+);

            fn all_valid(self) -> Result<Self::Values> {
                let ($($value,)+) = self;
                let mut invalid = Vec::new();
                $(
                    let $value = match $value {
                        Ok(value) => Some(value),
                        Err(err) => {
                            gather(err, &mut invalid)?;
                            None
                        }
                    };
                )+
                match ($($value,)+) {
                    ($(Some($value),)+) => Ok(($($value,)+)),
                    _ => Err(Error::Validation(invalid)),
                }
            }
        }
    };
}

all_valid_for_tuple!(a: A, b: B);
all_valid_for_tuple!(a: A, b: B, c: C);
all_valid_for_tuple!(a: A, b: B, c: C, d: D);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H, i: I);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H, i: I, j: J);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H, i: I, j: J, k: K);
all_valid_for_tuple!(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H, i: I, j: J, k: K, l: L);

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: &Error) -> &str {
        err.field().unwrap_or("")
    }

    #[test]
    fn single_line_text_is_trimmed_and_refuses_breaks_and_controls() {
        assert_eq!(SingleLine::required("name", "  Leeds  ", 10).unwrap().as_str(), "Leeds");
        for bad in ["a\nb", "a\r\nb", "a\tb", "a\u{7}b", "a\u{0}b", "a\u{2028}b", "a\u{85}b"] {
            let err = SingleLine::required("name", bad, 10).unwrap_err();
            assert_eq!(field_of(&err), "name", "{bad:?}");
        }
        assert!(SingleLine::required("name", "   ", 10).is_err());
        assert_eq!(SingleLine::optional("name", Some("   "), 10).unwrap(), None);
        assert_eq!(SingleLine::optional("name", None, 10).unwrap(), None);
        assert_eq!(SingleLine::or_empty("name", " ", 10).unwrap().as_str(), "");
        // Emoji sequences and right-to-left text are text, not controls.
        let kept = "Rally 🏳️‍🌈 النظام الصحي للجميع";
        assert_eq!(SingleLine::required("name", kept, 100).unwrap().as_str(), kept);
    }

    #[test]
    fn multi_line_text_keeps_paragraphs_in_one_form() {
        let text = MultiLine::required("notes", "one\r\ntwo\rthree\u{2029}four\n\tfive", 100).unwrap();
        assert_eq!(text.as_str(), "one\ntwo\nthree\nfour\n\tfive");
        assert!(MultiLine::required("notes", "a bell\u{7}", 100).is_err());
        assert!(MultiLine::required("notes", "a\u{0}b", 100).is_err());
    }

    #[test]
    fn lengths_are_counted_in_characters_after_cleaning() {
        assert!(SingleLine::required("name", &"é".repeat(10), 10).is_ok());
        assert!(SingleLine::required("name", &"é".repeat(11), 10).is_err());
        // CR LF counts as one character once stored.
        assert!(MultiLine::required("notes", "ab\r\ncd", 5).is_ok());
    }

    #[test]
    fn emails_slugs_and_postcode_areas() {
        assert_eq!(
            Email::parse("email", " Sam@Example.ORG ").unwrap().as_str(),
            "sam@example.org"
        );
        for bad in [
            "",
            "sam",
            "sam@",
            "@example.org",
            "a@example.org.",
            "sam@example",
            "sam @example.org",
            "a@b@c.org",
            "a@@example.org",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
        assert_eq!(Slug::parse("slug", " Leeds ").unwrap().as_str(), "leeds");
        for bad in ["a", "-leeds", "leeds-", "leeds city", "lééds", &"a".repeat(41)] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad}");
        }
        assert_eq!(PostcodeArea::parse("postcodeArea", "ls6").unwrap().as_str(), "LS6");
        let whole = PostcodeArea::parse("postcodeArea", "LS6 3HN").unwrap_err().to_string();
        assert!(whole.contains("not the whole postcode"), "{whole}");
        assert!(WebAddress::optional("onlineUrl", Some("javascript:alert(1)")).is_err());
        assert!(WebAddress::optional("onlineUrl", Some(" ")).unwrap().is_none());
    }

    #[test]
    fn postcode_areas_and_not_whole_postcodes() {
        for (raw, area) in [
            ("ls6", "LS6"),
            (" E1W ", "E1W"),
            ("SW1A", "SW1A"),
            ("G12", "G12"),
            ("S10", "S10"),
        ] {
            assert_eq!(PostcodeArea::parse("postcodeArea", raw).unwrap().as_str(), area);
        }
        let whole = PostcodeArea::parse("postcodeArea", "LS6 3HN").unwrap_err().to_string();
        assert!(whole.contains("first part"), "{whole}");
        for bad in ["", "123", "LSX", "L", "ABC1"] {
            assert!(PostcodeArea::parse("postcodeArea", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_web_links_are_accepted() {
        assert_eq!(
            WebAddress::optional("onlineUrl", Some(" https://meet.example.org/x "))
                .unwrap()
                .as_ref()
                .map(WebAddress::as_str),
            Some("https://meet.example.org/x")
        );
        assert_eq!(WebAddress::optional("onlineUrl", Some("")).unwrap(), None);
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.org",
            "example.org",
            "https://",
        ] {
            let err = WebAddress::optional("onlineUrl", Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("onlineUrl"), "{bad}");
        }
    }

    #[test]
    fn a_form_reports_every_field_that_failed() {
        let err = (
            SingleLine::required("title", "", 10),
            MultiLine::required("description", "fine", 10),
            Email::parse("contactEmail", "nope"),
        )
            .all_valid()
            .unwrap_err();
        let Error::Validation(fields) = &err else {
            panic!("{err:?}")
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["title", "contactEmail"]);
        // The first keeps the shape a single error had.
        assert_eq!(err.to_string(), "title: is required");

        let (title, count) = (
            SingleLine::required("title", "Stall", 10),
            in_range("capacity", 5, 1..=10),
        )
            .all_valid()
            .unwrap();
        assert_eq!((title.as_str(), count), ("Stall", 5));

        // A failure that is not about input is not a field error.
        let err = (SingleLine::required("title", "", 10), Err::<(), _>(Error::NotFound))
            .all_valid()
            .unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
    }
}
