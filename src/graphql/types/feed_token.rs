use async_graphql::{ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::feed_token;

pub struct FeedToken(pub feed_token::Model);

/// A private calendar subscription. The secret is never shown again after
/// `createFeedToken`.
#[Object]
impl FeedToken {
    /// The token's id (a UUID), for `revokeFeedToken`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The owner's name for it, e.g. "phone".
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Roughly when a calendar last fetched the feed (updated hourly).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

/// A new feed token with its secret and subscription addresses: shown once.
#[derive(SimpleObject)]
pub struct CreatedFeedToken {
    /// The token as `feedTokens` will list it (without its secret).
    pub feed_token: FeedToken,
    /// The feed's secret, already part of `url`: anyone holding it can read your
    /// private feed, so keep it to yourself. Shown only this once.
    pub secret: String,
    /// The feed's https address, to paste into a calendar app.
    pub url: String,
    /// The same as a `webcal://` link, which calendar apps open directly.
    pub webcal_url: String,
}
