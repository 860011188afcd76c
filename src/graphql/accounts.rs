//! Accounts: register, sign in, the viewer's own profile, and roles.

use crate::domain::in_work;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    auth::jwt::TokenKeys,
    domain::{account_links, accounts},
    graphql::{
        context::{client_address, db, mailroom, now, operation_name, rate_limits, viewer},
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

/// What a step that sends account mail answers: the same words whatever
/// the address, so that it tells nobody who has an account.
#[derive(SimpleObject)]
pub struct AccountMailPayload {
    /// What to do next, in plain words.
    pub message: String,
}

impl AccountMailPayload {
    fn sent(message: &str) -> Self {
        Self {
            message: message.to_owned(),
        }
    }
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
    /// Creates a supporter account and mails a link to confirm the
    /// address. The answer is the same whether or not the address already
    /// has an account (its owner is told by mail instead), so it reveals
    /// nothing; sign in with `login` afterwards. Until the address is
    /// confirmed the account works but is sent nothing but account mail.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your email address, name and password.")] input: RegisterInput,
    ) -> ApiResult<AccountMailPayload> {
        rate_limits(ctx)?
            .register_per_address
            .check(&client_address(ctx).key())?;
        account_links::register(
            db(ctx),
            mailroom(ctx)?,
            &input.email,
            &input.display_name,
            &input.password,
            now(ctx),
        )
        .await?;
        Ok(AccountMailPayload::sent(
            "Check your inbox: we sent a link to confirm your address. You can sign in already.",
        ))
    }

    /// Mails a single-use link to choose a new password (valid for an
    /// hour). The answer is the same whether or not the address has an
    /// account.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address the account was registered with.")] email: String,
    ) -> ApiResult<AccountMailPayload> {
        let limits = rate_limits(ctx)?;
        limits.account_mail_per_address.check(&client_address(ctx).key())?;
        limits
            .account_mail_per_account
            .check(&crate::domain::values::Email::comparison_key(&email))?;
        let mailroom = mailroom(ctx)?;
        in_work(db(ctx), async |work| {
            account_links::request_password_reset(work, mailroom, &email, now(ctx)).await
        })
        .await?;
        Ok(AccountMailPayload::sent(
            "If an account has this address, a link to choose a new password is on its way. It works once, for an hour.",
        ))
    }

    /// Sets a new password with the link's token; the link is spent, every
    /// earlier sign-in stops working, and you are signed in. An expired,
    /// used or wrong token is refused (`BAD_USER_INPUT` on `token`) and
    /// nothing changes.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` from the link in the mail.")] token: String,
        #[graphql(desc = "The new password: 10 to 256 characters.")] new_password: String,
    ) -> ApiResult<AuthPayload> {
        let user_id = account_links::reset_password(db(ctx), &token, &new_password, now(ctx)).await?;
        let user = accounts::load_live(db(ctx), user_id).await?;
        sign_in(ctx, user)
    }

    /// Confirms an address with the link's token: a new account's, or the
    /// new address of `changeEmail` (which then becomes the sign-in address).
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` from the link in the mail.")] token: String,
    ) -> ApiResult<User> {
        let user = in_work(db(ctx), async |work| {
            account_links::verify_email(work, &token, now(ctx)).await
        })
        .await?;
        Ok(User::just_signed_in(user))
    }

    /// Moves your account to a new address once it is confirmed: a link
    /// goes to the new address, a notice to the current one.
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to move to.")] new_email: String,
        #[graphql(desc = "Your password, to show it is you.")] current_password: String,
    ) -> ApiResult<AccountMailPayload> {
        account_links::change_email(
            db(ctx),
            mailroom(ctx)?,
            viewer(ctx),
            &new_email,
            &current_password,
            now(ctx),
        )
        .await?;
        Ok(AccountMailPayload::sent(
            "Check the new address's inbox: your account moves to it once you follow the link there.",
        ))
    }

    /// Signs in. A wrong email and a wrong password give the same error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address the account was registered with.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> ApiResult<AuthPayload> {
        rate_limits(ctx)?.check_login(client_address(ctx), &email)?;
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
