//! Reading our feeds back with an independent parser (the `ical` crate).

use std::io::BufReader;

/// One parsed VEVENT: property name → raw value.
pub type ParsedEvent = std::collections::HashMap<String, String>;

pub fn parse(body: &str) -> Vec<ParsedEvent> {
    let mut calendars = ical::IcalParser::new(BufReader::new(body.as_bytes()));
    let calendar = calendars.next().expect("one calendar").expect("the feed parses");
    assert!(calendars.next().is_none());
    calendar
        .events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect()
        })
        .collect()
}
