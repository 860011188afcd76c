//! Private calendar feed tokens.

use async_graphql::{Context, ID, Object};

use crate::{
    domain::feeds,
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
        parse_id,
        types::{CreatedFeedToken, FeedToken},
    },
    urls::PublicUrls,
};

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// The signed-in person's working feed tokens (without secrets).
    async fn feed_tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<FeedToken>> {
        Ok(feeds::list_tokens(db(ctx), viewer(ctx))
            .await?
            .into_iter()
            .map(FeedToken)
            .collect())
    }
}

#[derive(Default)]
pub struct FeedMutation;

#[Object]
impl FeedMutation {
    /// A new private feed: the public events, your groups' members-only
    /// events, your RSVPs and your engagements. The secret is shown once.
    async fn create_feed_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Your name for it, e.g. \"phone\"; one line, at most 100 characters. You may have 20 at once."
        )]
        label: String,
    ) -> ApiResult<CreatedFeedToken> {
        let created = feeds::create_token(db(ctx), viewer(ctx), &label, now(ctx)).await?;
        let url = ctx.data_unchecked::<PublicUrls>().private_feed(&created.secret);
        Ok(CreatedFeedToken {
            feed_token: FeedToken(created.token),
            secret: created.secret,
            webcal_url: PublicUrls::webcal(&url),
            url,
        })
    }

    /// Stops a private feed from working.
    async fn revoke_feed_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of one of your feed tokens, as `feedTokens` lists them.")] id: ID,
    ) -> ApiResult<bool> {
        feeds::revoke_token(db(ctx), viewer(ctx), parse_id("id", &id)?, now(ctx)).await?;
        Ok(true)
    }
}
