//! The data subject's rights (their access log, a copy of their data,
//! erasure) and the admins' view of the audit trail.

use async_graphql::{Context, ID, InputObject, Json, Object};
use chrono::{DateTime, Utc};
use entity::audit_entry;

use crate::{
    domain::{
        audit::{self, AuditFilter, AuditPosition},
        in_work,
        pagination::Page,
        privacy,
    },
    error::Error,
    graphql::{
        context::{db, loader, now, operation_name, retention, viewer},
        error::ApiResult,
        loaders::UserById,
        pagination::{PageArgs, PagedConnection, connection},
        parse_id, prime,
        types::AuditEntry,
    },
};

/// Narrows the audit trail; every field given must match.
#[derive(InputObject, Default)]
pub struct AuditLogFilterInput {
    /// Who read or changed the data.
    pub actor_id: Option<ID>,
    /// Whose data it was.
    pub subject_id: Option<ID>,
    /// e.g. `READ_EMAIL`, `READ_CONTACT_DETAILS`, `ERASE_ACCOUNT`.
    pub action: Option<String>,
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl AuditLogFilterInput {
    fn parse(self) -> Result<AuditFilter, Error> {
        let action = self.action.as_deref().map(audit::action_from_input).transpose()?;
        Ok(AuditFilter {
            actor_id: self.actor_id.as_ref().map(|id| parse_id("actorId", id)).transpose()?,
            subject_id: self
                .subject_id
                .as_ref()
                .map(|id| parse_id("subjectId", id))
                .transpose()?,
            action,
            since: self.since,
            until: self.until,
        })
    }
}

/// The entries' connection, with the actors' and subjects' names loaded
/// for the whole page in one query.
async fn entries(
    ctx: &Context<'_>,
    args: &PageArgs<AuditPosition>,
    page: Page<audit_entry::Model>,
) -> ApiResult<PagedConnection<AuditEntry>> {
    connection(args, page, async |rows| {
        let people: Vec<UserById> = rows
            .iter()
            .flat_map(|e| [e.actor_id, e.subject_id])
            .flatten()
            .map(UserById)
            .collect();
        prime::load_now(loader(ctx)?, people).await?;
        Ok(rows.into_iter().map(AuditEntry).collect())
    })
    .await
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Every recorded read or change of the signed-in person's data by
    /// someone else (and their own erasure or export by an operator),
    /// newest first.
    async fn my_data_access_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
        after: Option<String>,
    ) -> ApiResult<PagedConnection<AuditEntry>> {
        let args = PageArgs::parse(first, after)?;
        let page = audit::my_access_log(db(ctx), viewer(ctx), args.after.as_ref(), args.first).await?;
        entries(ctx, &args, page).await
    }

    /// Admins only: the audit trail of the whole network, newest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries; without it, all of them.")] filter: Option<AuditLogFilterInput>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
        after: Option<String>,
    ) -> ApiResult<PagedConnection<AuditEntry>> {
        let args = PageArgs::parse(first, after)?;
        let filter = filter.unwrap_or_default().parse()?;
        let page = audit::audit_log(db(ctx), viewer(ctx), &filter, args.after.as_ref(), args.first).await?;
        entries(ctx, &args, page).await
    }

    /// Everything muster holds about the signed-in person, as one JSON
    /// document: profile, memberships, RSVPs, requests made and requests
    /// naming them as the contact, assignments, trainer profile, feed tokens
    /// (labels only) and the audit entries about them. `muster export-user`
    /// prints the same document.
    async fn export_my_data(&self, ctx: &Context<'_>) -> ApiResult<Json<serde_json::Value>> {
        Ok(Json(
            privacy::export_my_data(db(ctx), viewer(ctx), retention(ctx)?, now(ctx)).await?,
        ))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Erases the signed-in person's account for good: email, name and
    /// password gone, memberships, RSVPs and feeds removed; requests and
    /// their history stay, showing "former member". Every token stops
    /// working.
    async fn delete_my_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password, to show it is you.")] password: String,
    ) -> ApiResult<bool> {
        privacy::delete_my_account(db(ctx), viewer(ctx), &password, &operation_name(ctx), now(ctx)).await?;
        Ok(true)
    }

    /// Admins only: erases someone's account as `deleteMyAccount` does
    /// (for example on a request by post). Recorded in the audit trail.
    async fn erase_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person whose account is erased.")] user_id: ID,
    ) -> ApiResult<bool> {
        let subject = parse_id("userId", &user_id)?;
        in_work(db(ctx), async |work| {
            privacy::erase_user(work, viewer(ctx), subject, &operation_name(ctx), now(ctx)).await
        })
        .await?;
        privacy::wipe_erased(db(ctx)).await;
        Ok(true)
    }
}
