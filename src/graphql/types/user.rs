use async_graphql::{Context, ID, Object};
use entity::user;

use crate::{
    auth::{Action, Grant, authorize},
    graphql::{
        context::{loader, operation_name, viewer},
        error::ApiResult,
        loaders::{EmailRead, GroupsOfUser},
        types::GqlUserRole,
    },
};

/// Shown instead of the name of a person who erased their account.
pub const FORMER_MEMBER: &str = "former member";

/// A person with an account. Their email and role are private: asking for
/// them without the right answers `FORBIDDEN` on that field.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn display_name(&self) -> &str {
        self.0.display_name.as_deref().unwrap_or(FORMER_MEMBER)
    }

    /// Visible to the person themself, to organisers of a group they belong
    /// to or asked to join, and to coordinators and admins. Every read by
    /// someone else is recorded in the person's data access log.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let viewer = viewer(ctx);
        let subject_id = self.0.id;
        let subject_groups = if viewer.user_id() == Some(subject_id) || viewer.is_staff() {
            Vec::new()
        } else {
            loader(ctx)?
                .load_one(GroupsOfUser(subject_id))
                .await?
                .unwrap_or_default()
        };
        let grant = authorize(
            viewer,
            Action::ReadEmail {
                subject_id,
                subject_groups: &subject_groups,
            },
        )?;
        if grant == Grant::Audited && self.0.email.is_some() {
            loader(ctx)?
                .load_one(EmailRead {
                    subject_id,
                    operation: operation_name(ctx).into(),
                })
                .await?;
        }
        Ok(self.0.email.clone())
    }

    /// The person's role in the network; visible to themself and to staff.
    async fn role(&self, ctx: &Context<'_>) -> ApiResult<GqlUserRole> {
        authorize(viewer(ctx), Action::ReadAccountRole { subject_id: self.0.id })?;
        Ok(self.0.role.into())
    }
}
