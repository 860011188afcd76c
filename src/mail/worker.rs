//! The mail worker inside the server: plans messages from the journal and
//! the clock, then sends what is due, whenever a step commits (a nudge) and
//! at least every [`POLL_EVERY`]. Each instance runs one; on PostgreSQL
//! several share the work without sending anything twice (the outbox's
//! keys and row claims see to that). A failure is logged by counts and
//! kinds and tried again at the next round; the server keeps serving.

use std::{collections::BTreeMap, time::Duration};

use askama::Template;
use chrono::{DateTime, Utc};
use entity::outbox_message;
use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinHandle};

use super::{Letterhead, Mailer, address_of};
use crate::{
    clock::Clock,
    domain::{
        in_work,
        notifications::{
            Mailroom,
            outbox::{self, Status},
            plan::Planner,
        },
    },
    error::Result,
};

/// The longest the worker waits between rounds without a nudge: other
/// instances' commits, and the clock's rules, are seen this often.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// Messages claimed at a time.
const CLAIM: u64 = 50;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub planned: usize,
    pub sent: usize,
    pub failed: usize,
    pub dropped: usize,
}

/// The worker's state across rounds.
pub struct Worker {
    db: DatabaseConnection,
    mailroom: Mailroom,
    mailer: Mailer,
    planner: Planner,
}

impl Worker {
    pub fn new(db: DatabaseConnection, mailroom: Mailroom, mailer: Mailer) -> Self {
        Self {
            db,
            mailroom,
            mailer,
            planner: Planner::default(),
        }
    }

    /// Plans and sends once, at `now` (tests call this with a moved clock).
    pub async fn round(&mut self, now: DateTime<Utc>) -> Result<Round> {
        let mut round = Round::default();
        let (planner, mailroom) = (&mut self.planner, &self.mailroom);
        let report = in_work(&self.db, async |work| planner.run(work, mailroom, now).await).await?;
        round.planned = report.messages_queued;
        loop {
            let claimed = in_work(&self.db, async |work| outbox::claim(work, CLAIM, now).await).await?;
            if claimed.is_empty() {
                break;
            }
            let (digests, singles): (Vec<_>, Vec<_>) = claimed.into_iter().partition(|m| m.digest);
            for message in singles {
                self.deliver(&[message], now, &mut round).await?;
            }
            let mut by_person: BTreeMap<uuid::Uuid, Vec<outbox_message::Model>> = BTreeMap::new();
            for message in digests {
                by_person
                    .entry(message.recipient_user_id.unwrap_or_default())
                    .or_default()
                    .push(message);
            }
            for messages in by_person.values() {
                self.deliver(messages, now, &mut round).await?;
            }
        }
        Ok(round)
    }

    /// Sends one message, or several as one digest, and records the outcome.
    async fn deliver(&self, messages: &[outbox_message::Model], now: DateTime<Utc>, round: &mut Round) -> Result<()> {
        let Some(first) = messages.first() else { return Ok(()) };
        let Some(address) = address_of(&self.db, first, now).await? else {
            for message in messages {
                outbox::mark_dropped(&self.db, message, "nobody to send it to any more", now).await?;
                round.dropped += 1;
            }
            return Ok(());
        };
        let digest;
        let head = if messages.len() == 1 && !first.digest {
            Letterhead {
                id: first.id,
                subject: first.subject.as_deref().unwrap_or("A message from muster"),
                text: first.body_text.as_deref().unwrap_or_default(),
                html: first.body_html.as_deref().unwrap_or_default(),
                unsubscribe: first.unsubscribe_url.as_deref(),
                date: now,
            }
        } else {
            digest = Digest::of(messages)?;
            Letterhead {
                id: first.id,
                subject: &digest.subject,
                text: &digest.text,
                html: &digest.html,
                // Each part carries its own link; the header only when one
                // link stops every part (they are all of one topic).
                unsubscribe: first
                    .unsubscribe_url
                    .as_deref()
                    .filter(|url| messages.iter().all(|m| m.unsubscribe_url.as_deref() == Some(url))),
                date: now,
            }
        };
        match self.mailer.send(&head, &address).await {
            Ok(()) => {
                for message in messages {
                    outbox::mark_sent(&self.db, message, now).await?;
                    round.sent += 1;
                }
            }
            Err(error) => {
                for message in messages {
                    let status = outbox::mark_failed(&self.db, message, &error.0, now).await?;
                    round.failed += 1;
                    tracing::warn!(
                        kind = %message.kind,
                        attempts = message.attempts,
                        gave_up = status == Status::Failed,
                        error = %outbox::scrub(&error.0),
                        "a message could not be sent; it is kept and tried again"
                    );
                }
            }
        }
        Ok(())
    }
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    intro: &'a str,
    parts: Vec<DigestPart>,
}

struct DigestPart {
    subject: String,
    lines: Vec<String>,
}

/// Several held messages as one.
struct Digest {
    subject: String,
    text: String,
    html: String,
}

impl Digest {
    fn of(messages: &[outbox_message::Model]) -> Result<Self> {
        let subject = match messages.len() {
            1 => format!(
                "Your daily muster digest: {}",
                messages[0].subject.as_deref().unwrap_or("one message")
            ),
            n => format!("Your daily muster digest: {n} messages"),
        };
        let intro = "What happened since yesterday, in one message.";
        let mut text = format!("{intro}\n\n");
        let mut parts = Vec::new();
        for message in messages {
            let title = message.subject.clone().unwrap_or_default();
            let body = message.body_text.clone().unwrap_or_default();
            text.push_str(&format!("== {title} ==\n\n{body}\n\n"));
            parts.push(DigestPart {
                subject: title,
                lines: body
                    .split("\n\n")
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            });
        }
        let html = DigestHtml {
            subject: &subject,
            intro,
            parts,
        }
        .render()
        .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("digest template: {e}")))?;
        Ok(Self { subject, text, html })
    }
}

/// A running worker and the way to stop it.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the worker: a round at every nudge, and every [`POLL_EVERY`].
pub fn start(mut worker: Worker, clock: Clock) -> Running {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            match worker.round(clock.now()).await {
                Ok(round) if round.failed > 0 || round.dropped > 0 => {
                    tracing::info!(
                        sent = round.sent,
                        failed = round.failed,
                        dropped = round.dropped,
                        "mail round"
                    )
                }
                Ok(_) => {}
                Err(err) => tracing::error!(error = %err, "mail round failed; trying again shortly"),
            }
            tokio::select! {
                _ = stopped.changed() => break,
                () = crate::domain::notifications::nudged() => {}
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    });
    Running { stop, task }
}
