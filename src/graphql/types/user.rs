use async_graphql::{Context, ID, Object};
use entity::user;

use crate::{
    domain::reveal::{self, Reveal},
    graphql::{
        context::{loader, operation_name, viewer},
        error::ApiResult,
        loaders::EmailOf,
        types::GqlUserRole,
    },
};

/// Shown instead of the name of a person who erased their account.
pub use crate::domain::privacy::FORMER_MEMBER;

/// A person with an account. Their email and role are private: asking for
/// them without the right answers `FORBIDDEN` on that field.
pub struct User {
    model: user::Model,
    /// Set when this is the account the request just proved to hold
    /// (register, login, changePassword): it is asked about as its own
    /// viewer, not as whoever sent the request.
    signed_in_as_subject: bool,
}

impl User {
    pub fn new(model: user::Model) -> Self {
        Self {
            model,
            signed_in_as_subject: false,
        }
    }

    /// The account that has just signed in with this request.
    pub fn just_signed_in(model: user::Model) -> Self {
        Self {
            model,
            signed_in_as_subject: true,
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    async fn display_name(&self) -> &str {
        self.model.display_name.as_deref().unwrap_or(FORMER_MEMBER)
    }

    /// Visible to the person themself, to organisers of a group they belong
    /// to or asked to join, and to coordinators and admins. Every read by
    /// someone else is recorded in the person's data access log.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let key = EmailOf {
            subject_id: self.model.id,
            operation: operation_name(ctx).into(),
            as_subject: self.signed_in_as_subject,
        };
        Ok(loader(ctx)?
            .load_one(key)
            .await?
            .unwrap_or(Reveal::Refused)
            .into_result()?)
    }

    /// The person's role in the network; visible to themself and to staff.
    async fn role(&self, ctx: &Context<'_>) -> ApiResult<GqlUserRole> {
        let role = if self.signed_in_as_subject {
            self.model.role
        } else {
            reveal::role(viewer(ctx), &self.model)?
        };
        Ok(role.into())
    }
}
