use async_graphql::{Context, ID, Object};

use crate::{
    domain::reveal::{self, Person, Reveal},
    graphql::{
        context::{loader, operation_name, viewer},
        error::ApiResult,
        loaders::EmailOf,
        types::GqlUserRole,
    },
};

pub struct User {
    person: Person,
    /// Set when this is the account the request just proved to hold
    /// (register, login, changePassword): it is asked about as its own
    /// viewer, not as whoever sent the request.
    signed_in_as_subject: bool,
}

impl User {
    pub fn new(person: impl Into<Person>) -> Self {
        Self {
            person: person.into(),
            signed_in_as_subject: false,
        }
    }

    /// The account that has just signed in with this request.
    pub fn just_signed_in(person: impl Into<Person>) -> Self {
        Self {
            person: person.into(),
            signed_in_as_subject: true,
        }
    }
}

/// A person with an account. Their email and role are private: asking for
/// them without the right answers `FORBIDDEN` on that field.
#[Object]
impl User {
    /// The person's id (a UUID), to give as `userId`.
    async fn id(&self) -> ID {
        ID(self.person.id.to_string())
    }

    /// The name the person chose to be shown by; "former member" once their account
    /// has been erased. Visible to anyone who can see the person.
    async fn display_name(&self) -> &str {
        self.person.display_name()
    }

    /// Visible to the person themself, to organisers of a group they belong
    /// to or asked to join, and to coordinators and admins. Every read by
    /// someone else is recorded in the person's data access log.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let key = EmailOf {
            subject_id: self.person.id,
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
            reveal::own_role(&self.person)
        } else {
            reveal::role(viewer(ctx), &self.person)?
        };
        Ok(role.into())
    }
}
