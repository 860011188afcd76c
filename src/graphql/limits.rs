//! Limits checked on a GraphQL request before the schema sees it: the
//! length of the query text, the number of root fields, aliases, and the
//! number of fields once fragments are expanded.
//!
//! async-graphql's own depth and complexity limits bound how deep and how
//! costly a query is; these bound how wide it is. A query that asks for the
//! same field under 500 aliases, or that spreads one fragment inside another
//! until a small text expands into millions of fields, is refused here in
//! microseconds, before validation or any database work.

use std::collections::HashSet;

use async_graphql::parser::{
    parse_query,
    types::{ExecutableDocument, Selection, SelectionSet},
};

/// Longest query text accepted, in bytes. The longest query the project's
/// own clients send is well under 2 KB; the standard introspection query is
/// about 1.5 KB.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Fields at the root of one operation: a page needs a handful.
pub const MAX_ROOT_FIELDS: usize = 20;
/// Aliased fields in the whole document, fragments expanded.
pub const MAX_ALIASES: usize = 30;
/// Fields in the whole document once fragments are expanded. The
/// introspection query expands to about 200.
pub const MAX_FIELDS: usize = 2_000;
/// Operations in one batched request.
pub const MAX_BATCH: usize = 10;

/// Which limit a query went over, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    pub limit: &'static str,
    pub message: String,
    /// The variable the refused input was in (`input.title`): then it is a
    /// field's input error like any other, answered as such.
    pub field: Option<String>,
}

impl LimitExceeded {
    pub fn new(limit: &'static str, message: String) -> Self {
        Self {
            limit,
            message,
            field: None,
        }
    }
}

#[derive(Default)]
struct Counts {
    fields: usize,
    aliases: usize,
}

/// Counts fields and aliases under `set`, expanding fragment spreads; stops
/// as soon as the field limit is passed, so a fragment bomb costs no more
/// than the limit. A fragment cycle is not followed (validation refuses it
/// with its own message).
fn count(doc: &ExecutableDocument, set: &SelectionSet, counts: &mut Counts, visiting: &mut HashSet<String>) {
    for item in &set.items {
        if counts.fields > MAX_FIELDS {
            return;
        }
        match &item.node {
            Selection::Field(field) => {
                counts.fields += 1;
                if field.node.alias.is_some() {
                    counts.aliases += 1;
                }
                count(doc, &field.node.selection_set.node, counts, visiting);
            }
            Selection::InlineFragment(fragment) => count(doc, &fragment.node.selection_set.node, counts, visiting),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                let Some(fragment) = doc.fragments.get(spread.node.fragment_name.node.as_str()) else {
                    continue;
                };
                if visiting.insert(name.to_owned()) {
                    count(doc, &fragment.node.selection_set.node, counts, visiting);
                    visiting.remove(name);
                }
            }
        }
    }
}

/// Counts the root fields of one selection set, through fragments at the
/// root, stopping once past the limit: spreads can double at every level.
fn root_fields(doc: &ExecutableDocument, set: &SelectionSet, count: &mut usize, visiting: &mut HashSet<String>) {
    for item in &set.items {
        if *count > MAX_ROOT_FIELDS {
            return;
        }
        match &item.node {
            Selection::Field(_) => *count += 1,
            Selection::InlineFragment(fragment) => root_fields(doc, &fragment.node.selection_set.node, count, visiting),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if let Some(fragment) = doc.fragments.get(name)
                    && visiting.insert(name.to_owned())
                {
                    root_fields(doc, &fragment.node.selection_set.node, count, visiting);
                    visiting.remove(name);
                }
            }
        }
    }
}

/// Where a value holds a NUL character, as a path of names (`input.title`,
/// `q.1`); `None` when it holds none. PostgreSQL cannot store one in text,
/// so it would otherwise surface as an internal error.
pub fn nul_at(value: &async_graphql::Value, path: &str) -> Option<String> {
    use async_graphql::Value;
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    match value {
        Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(k, item)| nul_at(item, &join(&k.to_string()))),
        Value::Object(fields) => fields.iter().find_map(|(name, v)| {
            if name.contains('\0') {
                Some(path.to_owned())
            } else {
                nul_at(v, &join(name))
            }
        }),
        _ => None,
    }
}

/// Refuses NUL characters in a request's query or variables. In a
/// variable it is a field's bad input and names the field; in the query
/// text the document itself is refused, as the other limits refuse it.
pub fn check_text(query: &str, variables: &async_graphql::Variables) -> Result<(), LimitExceeded> {
    const MESSAGE: &str = "must not contain NUL characters";
    if query.contains('\0') || query.to_lowercase().contains("\\u0000") {
        return Err(LimitExceeded::new("text", format!("text {MESSAGE}")));
    }
    if let Some(field) = nul_at(&variables.clone().into_value(), "") {
        return Err(LimitExceeded {
            limit: "text",
            message: format!("{field}: {MESSAGE}"),
            field: Some(field),
        });
    }
    Ok(())
}

/// Refuses a query text longer than the limit, before it is parsed.
fn check_length(query: &str) -> Result<(), LimitExceeded> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(LimitExceeded::new(
            "queryLength",
            format!(
                "the query is {} bytes long; at most {MAX_QUERY_BYTES} are accepted",
                query.len()
            ),
        ));
    }
    Ok(())
}

/// Checks one query text against the limits. A text that does not parse is
/// let through: the schema answers it with the parser's own message.
pub fn check(query: &str) -> Result<(), LimitExceeded> {
    check_length(query)?;
    let Ok(doc) = parse_query(query) else {
        return Ok(());
    };
    check_document(&doc)
}

/// Checks one request against the limits, parsing its query once: the
/// document stays in the request, and the schema executes it from there
/// instead of parsing the text again. A text that does not parse is let
/// through, unparsed, for the schema to answer with the parser's message.
pub fn check_request(request: &mut async_graphql::Request) -> Result<(), LimitExceeded> {
    check_length(&request.query)?;
    match request.parsed_query() {
        Ok(doc) => check_document(doc),
        Err(_) => Ok(()),
    }
}

/// Checks a parsed document's width: root fields, fields and aliases.
fn check_document(doc: &ExecutableDocument) -> Result<(), LimitExceeded> {
    let mut counts = Counts::default();
    for (_, operation) in doc.operations.iter() {
        let set = &operation.node.selection_set.node;
        let mut roots = 0;
        root_fields(doc, set, &mut roots, &mut HashSet::new());
        if roots > MAX_ROOT_FIELDS {
            return Err(LimitExceeded::new(
                "rootFields",
                format!("an operation selects more than {MAX_ROOT_FIELDS} root fields"),
            ));
        }
        count(doc, set, &mut counts, &mut HashSet::new());
    }
    if counts.fields > MAX_FIELDS {
        return Err(LimitExceeded::new(
            "fields",
            format!("the query expands to more than {MAX_FIELDS} fields"),
        ));
    }
    if counts.aliases > MAX_ALIASES {
        return Err(LimitExceeded::new(
            "aliases",
            format!(
                "the query uses {} aliases; at most {MAX_ALIASES} are accepted",
                counts.aliases
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_queries_pass() {
        check("{ events(first: 50) { edges { node { title group { name } } } } }").unwrap();
        check("query { a: me { id } b: me { id } }").unwrap();
        check("not graphql at all {").unwrap();
    }

    #[test]
    fn many_aliases_are_refused() {
        let query = format!(
            "{{ {} }}",
            (0..31).map(|k| format!("a{k}: me {{ id }}")).collect::<String>()
        );
        let err = check(&query).unwrap_err();
        assert_eq!(err.limit, "rootFields");
        let nested = format!(
            "{{ me {{ {} }} }}",
            (0..31).map(|k| format!("a{k}: id")).collect::<Vec<_>>().join(" ")
        );
        assert_eq!(check(&nested).unwrap_err().limit, "aliases");
    }

    #[test]
    fn fragment_bombs_stop_at_the_limits() {
        // Each level doubles the fields: 2^40 once expanded.
        let mut query = String::from("{ ...f0 } fragment f40 on Query { me { id } }");
        for level in 0..40 {
            let next = level + 1;
            query.push_str(&format!(" fragment f{level} on Query {{ ...f{next} ...f{next} }}"));
        }
        let err = check(&query).unwrap_err();
        assert!(matches!(err.limit, "fields" | "rootFields"), "{err:?}");
    }

    #[test]
    fn nul_characters_are_refused() {
        let vars = async_graphql::Variables::from_json(serde_json::json!({ "q": ["ok", "a\u{0}b"] }));
        let refused = check_text("{ me { id } }", &vars).unwrap_err();
        assert_eq!((refused.limit, refused.field.as_deref()), ("text", Some("q.1")));
        let vars = async_graphql::Variables::from_json(serde_json::json!({ "input": { "title": "a\u{0}" } }));
        assert_eq!(
            check_text("{ me { id } }", &vars).unwrap_err().field.as_deref(),
            Some("input.title")
        );
        assert!(check_text("{ f(q: \"\\u0000\") }", &Default::default()).is_err());
        assert!(check_text("{ me { id } }", &Default::default()).is_ok());
    }

    #[test]
    fn a_checked_request_keeps_its_parsed_document() {
        let mut request = async_graphql::Request::new("{ me { id } }");
        check_request(&mut request).unwrap();
        let parsed = request.parsed_query().unwrap();
        assert_eq!(parsed.operations.iter().count(), 1);
        let mut broken = async_graphql::Request::new("not graphql at all {");
        assert!(check_request(&mut broken).is_ok(), "left for the schema to answer");
        let mut long = async_graphql::Request::new(format!("{{ me {{ id }} }} #{}", "x".repeat(MAX_QUERY_BYTES)));
        assert_eq!(check_request(&mut long).unwrap_err().limit, "queryLength");
    }

    #[test]
    fn cycles_are_not_followed() {
        check("{ ...a } fragment a on Query { ...b } fragment b on Query { ...a }").unwrap();
    }

    #[test]
    fn long_texts_are_refused_before_parsing() {
        let query = format!("{{ me {{ id }} }} #{}", "x".repeat(MAX_QUERY_BYTES));
        assert_eq!(check(&query).unwrap_err().limit, "queryLength");
    }
}
