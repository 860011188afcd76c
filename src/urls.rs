//! Addresses muster hands out (feed links, event links, iCalendar UIDs),
//! all built from `MUSTER_PUBLIC_URL` so that they point where people
//! actually reach the server.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PublicUrls {
    /// Without a trailing slash.
    base: String,
    host: String,
    /// `scheme://host[:port]`, what browsers send as `Origin`.
    origin: String,
    secure: bool,
}

impl PublicUrls {
    pub fn new(public_url: &url::Url) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_owned(),
            host: public_url.host_str().unwrap_or("muster").to_owned(),
            origin: public_url.origin().ascii_serialization(),
            secure: public_url.scheme() == "https",
        }
    }

    /// A private feed's address. The secret is URL-safe base64.
    pub fn private_feed(&self, secret: &str) -> String {
        format!("{}/feeds/{secret}/calendar.ics", self.base)
    }

    /// The public feed, narrowed by `filters` (`group`, `kind`, `region`,
    /// `topic`; each may repeat).
    pub fn public_feed<'a>(&self, filters: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(filters);
        let query = query.finish();
        if query.is_empty() {
            format!("{}/calendar.ics", self.base)
        } else {
            format!("{}/calendar.ics?{query}", self.base)
        }
    }

    pub fn group_feed(&self, slug: &str) -> String {
        format!("{}/groups/{slug}/calendar.ics", self.base)
    }

    /// A page of this site, from its path (`/groups/leeds`).
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One event's page.
    pub fn event_page(&self, id: Uuid) -> String {
        let mut link = String::new();
        self.write_event_page(&mut link, id);
        link
    }

    /// [`Self::event_page`] into a buffer a feed reuses for every event.
    pub fn write_event_page(&self, out: &mut String, id: Uuid) {
        out.clear();
        out.push_str(&self.base);
        out.push_str("/events/");
        out.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    }

    /// One public event as a calendar file ("add to calendar").
    pub fn event_ics(&self, id: Uuid) -> String {
        let mut link = String::new();
        self.write_event_ics(&mut link, id);
        link
    }

    /// The same address for calendar apps: `webcal://` opens a subscription.
    pub fn webcal(url: &str) -> String {
        match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.to_owned(),
        }
    }

    /// The origin browsers name in `Origin` for pages served from here.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether people reach muster over HTTPS (cookies are then `Secure`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// A stable, globally unique iCalendar UID for an event.
    pub fn event_uid(&self, id: Uuid) -> String {
        let mut uid = String::new();
        self.write_event_uid(&mut uid, id);
        uid
    }

    /// [`Self::event_uid`] into a buffer a feed reuses for every event.
    pub fn write_event_uid(&self, out: &mut String, id: Uuid) {
        out.clear();
        out.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        out.push('@');
        out.push_str(&self.host);
    }

    /// [`Self::event_ics`] into a buffer a feed reuses for every event.
    pub fn write_event_ics(&self, out: &mut String, id: Uuid) {
        out.clear();
        out.push_str(&self.base);
        out.push_str("/events/");
        out.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        out.push_str(".ics");
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
            urls.public_feed([("group", "leeds"), ("region", "North East")]),
            "https://muster.example.org/calendar.ics?group=leeds&region=North+East"
        );
        assert_eq!(urls.public_feed([]), "https://muster.example.org/calendar.ics");
        assert_eq!(urls.origin(), "https://muster.example.org");
        assert!(urls.is_secure());
        assert_eq!(
            urls.event_uid(Uuid::nil()),
            "00000000-0000-0000-0000-000000000000@muster.example.org"
        );
    }
}
