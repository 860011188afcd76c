use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::audit_entry;

use crate::{
    domain::privacy::{COMMAND_LINE, FORMER_MEMBER},
    graphql::{context::loader, error::ApiResult, loaders::UserById, types::User},
};

pub struct AuditEntry(pub audit_entry::Model);

/// One read or change of someone's personal data: who, whose, what, when
/// and in which operation.
#[Object]
impl AuditEntry {
    /// The entry's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Who did it, by display name: "former member" when that account has
    /// been erased, "operator (command line)" when no account did it.
    async fn actor_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let Some(actor_id) = self.0.actor_id else {
            return Ok(COMMAND_LINE.to_owned());
        };
        let actor = loader(ctx)?.load_one(UserById(actor_id)).await?;
        Ok(actor.map_or_else(|| FORMER_MEMBER.to_owned(), |a| a.display_name().to_owned()))
    }

    /// The account that did it; null for the command line. Its private
    /// fields follow the usual rules.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(actor_id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(UserById(actor_id)).await?.map(User::new))
    }

    /// The person whose data it was.
    async fn subject(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(subject_id) = self.0.subject_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(UserById(subject_id)).await?.map(User::new))
    }

    /// The request whose contact details were read, if that is what it was.
    async fn request_id(&self) -> Option<ID> {
        self.0.request_id.map(|id| ID(id.to_string()))
    }

    /// What was read or changed, e.g. `READ_EMAIL`, `ERASE_ACCOUNT`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Why: the operation that did it, e.g. `approveMember`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// When the data was read or changed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
