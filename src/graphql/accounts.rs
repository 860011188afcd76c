//! Accounts: register, sign in, the viewer's own profile, and roles.

use crate::domain::in_work;
use async_graphql::{Context, ID, InputObject, Object};

use crate::{
    auth::jwt::TokenKeys,
    domain::accounts,
    graphql::{
        context::{client_address, db, now, operation_name, rate_limits, viewer},
        error::ApiResult,
        parse_id,
        types::{AuthPayload, GqlUserRole, User},
    },
};

/// A new supporter account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address to sign in with; at most 254 characters. Seen only by you, the
    /// organisers of groups you join, and staff.
    pub email: String,
    /// The name others in your groups see.
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
}

/// Changes to your own profile.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// The name others in your groups see; one line, at most 100 characters.
    pub display_name: String,
}

fn sign_in(ctx: &Context<'_>, user: entity::user::Model) -> ApiResult<AuthPayload> {
    let issued = ctx
        .data_unchecked::<TokenKeys>()
        .issue(user.id, user.token_version, now(ctx))?;
    Ok(AuthPayload {
        token: issued.token,
        expires_at: issued.expires_at,
        user: User::just_signed_in(user),
    })
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in person; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        Ok(accounts::me(db(ctx), viewer(ctx)).await?.map(User::new))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates a supporter account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your email address, name and password.")] input: RegisterInput,
    ) -> ApiResult<AuthPayload> {
        rate_limits(ctx)?
            .register_per_address
            .check(&client_address(ctx).key())?;
        let user = accounts::register(db(ctx), &input.email, &input.display_name, &input.password, now(ctx)).await?;
        sign_in(ctx, user)
    }

    /// Signs in. A wrong email and a wrong password give the same error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address the account was registered with.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> ApiResult<AuthPayload> {
        // Both budgets are spent on every attempt, before the password is
        // checked: guessing is slowed whether it aims at one account from
        // many addresses or at many accounts from one.
        let limits = rate_limits(ctx)?;
        limits.login_per_address.check(&client_address(ctx).key())?;
        limits
            .login_per_account
            .check(&crate::domain::values::Email::comparison_key(&email))?;
        let user = accounts::login(db(ctx), &email, &password).await?;
        sign_in(ctx, user)
    }

    /// Changes the password; every earlier token stops working, and a new
    /// one is returned.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password in use now.")] current_password: String,
        #[graphql(desc = "The new password: 10 to 256 characters.")] new_password: String,
    ) -> ApiResult<AuthPayload> {
        let user = accounts::change_password(db(ctx), viewer(ctx), &current_password, &new_password, now(ctx)).await?;
        sign_in(ctx, user)
    }

    /// Changes the signed-in person's display name.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new display name.")] input: UpdateProfileInput,
    ) -> ApiResult<User> {
        Ok(User::new(
            accounts::update_profile(db(ctx), viewer(ctx), &input.display_name, now(ctx)).await?,
        ))
    }

    /// Revokes every token of the signed-in person, this one included.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        accounts::sign_out_everywhere(db(ctx), viewer(ctx), now(ctx)).await?;
        Ok(true)
    }

    /// Admins only: sets a person's network role and revokes their tokens.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person whose role changes.")] user_id: ID,
        #[graphql(desc = "Their new role in the network.")] role: GqlUserRole,
    ) -> ApiResult<User> {
        let subject = parse_id("userId", &user_id)?;
        let operation = operation_name(ctx);
        let user = in_work(db(ctx), async |work| {
            accounts::set_user_role(work, viewer(ctx), subject, role.into(), &operation, now(ctx)).await
        })
        .await?;
        Ok(User::new(user))
    }
}
