//! Addresses muster hands out (feed links, event links, iCalendar UIDs),
//! all built from `MUSTER_PUBLIC_URL` so that they point where people
//! actually reach the server.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PublicUrls {
    /// Without a trailing slash.
    base: String,
    host: String,
}

impl PublicUrls {
    pub fn new(public_url: &url::Url) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_owned(),
            host: public_url.host_str().unwrap_or("muster").to_owned(),
        }
    }

    /// A private feed's address. The secret is URL-safe base64.
    pub fn private_feed(&self, secret: &str) -> String {
        format!("{}/feeds/{secret}/calendar.ics", self.base)
    }

    pub fn group_feed(&self, slug: &str) -> String {
        format!("{}/groups/{slug}/calendar.ics", self.base)
    }

    /// One public event as a calendar file ("add to calendar").
    pub fn event_ics(&self, id: Uuid) -> String {
        format!("{}/events/{id}.ics", self.base)
    }

    /// The same address for calendar apps: `webcal://` opens a subscription.
    pub fn webcal(url: &str) -> String {
        match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.to_owned(),
        }
    }

    /// A stable, globally unique iCalendar UID for an event.
    pub fn event_uid(&self, id: Uuid) -> String {
        format!("{id}@{}", self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_public_address() {
        let urls = PublicUrls::new(&url::Url::parse("https://muster.example.org/").unwrap());
        assert_eq!(
            urls.private_feed("abc"),
            "https://muster.example.org/feeds/abc/calendar.ics"
        );
        assert_eq!(
            PublicUrls::webcal(&urls.group_feed("leeds")),
            "webcal://muster.example.org/groups/leeds/calendar.ics"
        );
        assert_eq!(
            urls.event_uid(Uuid::nil()),
            "00000000-0000-0000-0000-000000000000@muster.example.org"
        );
    }
}
