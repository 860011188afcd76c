//! The rules a signature's fields pass, pure: the canonical form of an
//! email (one person, one signature), the names that are refused, masking
//! an address for the coordinators' screens, and formula-safe CSV cells.

/// Providers that deliver `first.last+tag@…` to `firstlast@…`: dots in the
/// local part are ignored and everything after a `+` is a tag. Elsewhere
/// only the `+tag` is removed (most providers, and every common mail
/// server, treat it as a tag; dots may matter).
const DOTS_IGNORED: [&str; 2] = ["gmail.com", "googlemail.com"];

/// The form under which two addresses are the same person: trimmed,
/// lower-cased, `+tag` removed, and for Gmail the dots of the local part
/// too (`googlemail.com` is `gmail.com`).
pub fn canonical_email(raw: &str) -> String {
    let email = raw.trim().to_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email;
    };
    let local = local.split('+').next().unwrap_or_default();
    if DOTS_IGNORED.contains(&domain) {
        format!("{}@gmail.com", local.replace('.', ""))
    } else {
        format!("{local}@{domain}")
    }
}

/// The domain of an address, lower-cased (`gmail.com`).
pub fn email_domain(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (_, domain) = email.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_owned())
}

/// Why a name is refused, or `None` when it passes: it may not look like a
/// spreadsheet formula (start with `= + - @`), hold a web address, or hold
/// an email address.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.starts_with(['=', '+', '-', '@']) {
        return Some("may not start with = + - or @");
    }
    let lower = name.to_lowercase();
    let url_like = ["http://", "https://", "www.", "://"].iter().any(|p| lower.contains(p))
        || lower.split_whitespace().any(|word| {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            // `example.org`, `bit.ly`: a dot followed by a known ending.
            word.rsplit_once('.').is_some_and(|(head, tail)| {
                !head.is_empty() && ["com", "org", "net", "uk", "ly", "io", "info", "biz", "ru", "xyz"].contains(&tail)
            })
        });
    if url_like {
        return Some("may not contain a web address");
    }
    if name.contains('@') {
        return Some("may not contain an email address");
    }
    None
}

/// An address as coordinators see it in lists: the first letter of the
/// local part and the domain (`s…@gmail.com`).
pub fn mask_email(raw: &str) -> String {
    match raw.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_dots_and_tags_are_one_person() {
        assert_eq!(canonical_email("First.Last+letters@gmail.com"), "firstlast@gmail.com");
        assert_eq!(canonical_email(" firstlast@GoogleMail.com "), "firstlast@gmail.com");
        assert_eq!(canonical_email("first.last+x@example.org"), "first.last@example.org");
        assert_eq!(canonical_email("first.last@example.org"), "first.last@example.org");
    }

    #[test]
    fn formulas_and_links_are_refused_as_names() {
        for bad in [
            "=HYPERLINK(\"x\")",
            "+44 1234",
            "-1",
            "@sam",
            "see https://x.y",
            "www.spam",
            "buy at cheap.ru",
            "a@b.org",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
        for good in [
            "Sam Jones",
            "Riverside Medical Practice",
            "Dr. A. Patel",
            "O'Neill-Smith",
        ] {
            assert_eq!(name_problem(good), None, "{good}");
        }
    }

    #[test]
    fn addresses_are_masked() {
        assert_eq!(mask_email("sam@example.org"), "s…@example.org");
    }
}
