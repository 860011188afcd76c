use std::borrow::Cow;

use async_graphql::{Context, ID, Object};
use entity::user;

use crate::{
    auth::{Action, Grant, Viewer, authorize, viewer::SignedIn},
    graphql::{
        context::{loader, operation_name, viewer},
        error::ApiResult,
        loaders::{EmailRead, GroupsOfUser},
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

    /// The viewer whose rights apply to this object's private fields.
    fn effective_viewer<'a>(&self, ctx: &Context<'a>) -> Cow<'a, Viewer> {
        if self.signed_in_as_subject {
            Cow::Owned(Viewer::User(SignedIn {
                id: self.model.id,
                role: self.model.role,
                is_trainer: false,
                memberships: Vec::new(),
            }))
        } else {
            Cow::Borrowed(viewer(ctx))
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
        let viewer = self.effective_viewer(ctx);
        let viewer = viewer.as_ref();
        let subject_id = self.model.id;
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
        if grant == Grant::Audited && self.model.email.is_some() {
            loader(ctx)?
                .load_one(EmailRead {
                    subject_id,
                    operation: operation_name(ctx).into(),
                })
                .await?;
        }
        Ok(self.model.email.clone())
    }

    /// The person's role in the network; visible to themself and to staff.
    async fn role(&self, ctx: &Context<'_>) -> ApiResult<GqlUserRole> {
        authorize(
            self.effective_viewer(ctx).as_ref(),
            Action::ReadAccountRole {
                subject_id: self.model.id,
            },
        )?;
        Ok(self.model.role.into())
    }
}
