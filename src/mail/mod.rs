//! Sending mail: the edge between the outbox and the world.
//!
//! [`Postbox`] is where messages go: an SMTP server (`MUSTER_SMTP_URL`) or,
//! without one, `.eml` files in the data directory, so a newcomer running
//! `cargo run` reads what muster would have sent. [`worker`] is the loop
//! inside the server that plans from the journal and sends what is due.
//! No address, subject or body is ever written to a log.

pub mod worker;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use entity::{account_token, outbox_message, request, signature, user};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    config::{ConfigError, MailConfig},
    domain::{
        notifications::{MessageKind, outbox::Recipient},
        sealing::{self, Field},
    },
    error::Result,
};

/// Where messages go.
#[derive(Clone)]
pub enum Postbox {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// For the log: the server without its password.
        server: String,
    },
    Files(PathBuf),
}

impl std::fmt::Debug for Postbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { server, .. } => write!(f, "Smtp({server})"),
            Self::Files(dir) => write!(f, "Files({})", dir.display()),
        }
    }
}

/// What a mail server or the disk said when a message could not go.
#[derive(Debug)]
pub struct SendError(pub String);

/// Everything needed to send: where to, and whom from.
#[derive(Clone, Debug)]
pub struct Mailer {
    pub postbox: Postbox,
    pub from: Mailbox,
    /// The host part of Message-IDs.
    pub host: String,
}

impl Mailer {
    pub fn new(config: &MailConfig, data_dir: &std::path::Path, host: &str) -> std::result::Result<Self, ConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| ConfigError::new("MUSTER_MAIL_FROM", "is not an email address"))?;
        let postbox = match &config.smtp {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| ConfigError::new("MUSTER_SMTP_URL", format!("cannot be used ({e})")))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build();
                Postbox::Smtp {
                    transport,
                    server: url.redacted(),
                }
            }
            None => Postbox::Files(data_dir.join("outbox")),
        };
        Ok(Self {
            postbox,
            from,
            host: host.to_owned(),
        })
    }

    /// A line for the start-up log: where mail goes, without secrets.
    pub fn describe(&self) -> String {
        match &self.postbox {
            Postbox::Smtp { server, .. } => format!("mail is sent through {server}"),
            Postbox::Files(dir) => format!(
                "no MUSTER_SMTP_URL: mail is written as .eml files to {} instead of being sent",
                dir.display()
            ),
        }
    }

    /// Sends one message to `to`.
    pub async fn send(&self, message: &Letterhead<'_>, to: &str) -> std::result::Result<(), SendError> {
        let email = self.build(message, to)?;
        match &self.postbox {
            Postbox::Smtp { transport, .. } => transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| SendError(format!("{e}"))),
            Postbox::Files(dir) => write_file(dir, message.id, &email.formatted()).await,
        }
    }

    fn build(&self, message: &Letterhead<'_>, to: &str) -> std::result::Result<Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError("the recipient's address cannot be used".to_owned()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .date(message.date.into())
            // Derived from the outbox row: a message sent again after a
            // crash has the same id, so mail clients can fold the two.
            .message_id(Some(format!("<{}@{}>", message.id.hyphenated(), self.host)))
            .header(AutoSubmitted);
        if let Some(url) = message.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                message.text.to_owned(),
                message.html.to_owned(),
            ))
            .map_err(|e| SendError(format!("the message could not be built ({e})")))
    }
}

/// A message as the outbox holds it, ready to address.
pub struct Letterhead<'a> {
    pub id: uuid::Uuid,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub unsubscribe: Option<&'a str>,
    pub date: DateTime<Utc>,
}

async fn write_file(dir: &std::path::Path, id: uuid::Uuid, bytes: &[u8]) -> std::result::Result<(), SendError> {
    use tokio::io::AsyncWriteExt;
    let failed = |e: std::io::Error| SendError(format!("cannot write the message file ({e})"));
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .await
            .map_err(failed)?;
    }
    let path = dir.join(format!("{}.eml", id.hyphenated()));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&path).await.map_err(failed)?;
    file.write_all(bytes).await.map_err(failed)?;
    file.flush().await.map_err(failed)?;
    Ok(())
}

/// Where a row's message goes now, or `None` when there is nobody to send
/// it to any more (an erased account, a purged contact, a spent link, or an
/// unverified address for anything but account messages).
pub async fn address_of(
    db: &impl ConnectionTrait,
    row: &outbox_message::Model,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let recipient = match (
        row.recipient_user_id,
        row.recipient_request_id,
        row.recipient_token_id,
        row.recipient_signature_id,
    ) {
        (Some(id), _, _, _) => Recipient::User(id),
        (_, Some(id), _, _) => Recipient::RequestContact(id),
        (_, _, Some(id), _) => Recipient::NewAddress(id),
        (_, _, _, Some(id)) => Recipient::Signatory(id),
        _ => return Ok(None),
    };
    let account_message = MessageKind::parse(&row.kind).is_none_or(|k| k.topic().is_none());
    let sealed = match recipient {
        Recipient::User(id) => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|u| u.erased_at.is_none())
            .filter(|u| account_message || u.email_verified_at.is_some())
            .and_then(|u| u.email.map(|e| (Field::UserEmail, u.id, e))),
        Recipient::RequestContact(id) => request::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|r| r.contact_email.map(|e| (Field::RequestContactEmail, r.id, e))),
        Recipient::NewAddress(id) => account_token::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|t| t.used_at.is_none() && t.expires_at > now)
            .and_then(|t| t.new_email.map(|e| (Field::TokenNewEmail, t.id, e))),
        // A signature not yet confirmed: once confirmed, invalidated or
        // purged there is nothing to send it.
        Recipient::Signatory(id) => signature::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|s| s.confirm_token_hash.is_some())
            .and_then(|s| s.email.map(|e| (Field::SignatureEmail, s.id, e))),
    };
    // The address is opened only here, at sending.
    sealed
        .map(|(field, row, sealed)| sealing::open(field, row, &sealed))
        .transpose()
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no out-of-office replies.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `List-Unsubscribe` (RFC 2369) with our signed one-click link.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}
