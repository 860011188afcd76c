//! What each message says, in plain words, with the link where the person
//! acts. These functions are handed only what a message may carry: display
//! names, a topic's name, a town, a date, a reference. Never an address
//! (postal or email), never a request's notes or audience (they may say
//! something about someone's health or status), never a venue: a person
//! going reads the place on the site, signed in. A members-only event is
//! named only as "a members' event of <group>".

use chrono::{DateTime, Utc};

/// A message before it is laid out as text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// The main link: where the person acts or reads more.
    pub action: Option<Link>,
    /// Further links (decline beside accept).
    pub more: Vec<Link>,
    /// Why this person gets it, in the footer.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

fn link(label: &str, url: String) -> Option<Link> {
    Some(Link {
        label: label.to_owned(),
        url,
    })
}

/// "Tuesday 9 March 2027 at 19:00" in the event's own zone (UK time when
/// the zone is unknown).
pub fn when(at: DateTime<Utc>, timezone: &str) -> String {
    let zone: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::London);
    at.with_timezone(&zone).format("%A %-d %B %Y at %H:%M").to_string()
}

/// A request as a message may name it.
#[derive(Debug, Clone)]
pub struct RequestSummary {
    /// "a workshop" / "a speaker".
    pub what: &'static str,
    pub topic: String,
    pub reference: String,
    /// The town or "online"; never an address.
    pub place: String,
    /// The status page, for the requester.
    pub status_url: String,
}

/// An event as a message may name it.
#[derive(Debug, Clone)]
pub struct EventSummary {
    /// The title, or "a members' event of <group>" for members-only events.
    pub name: String,
    pub when: String,
    pub page_url: String,
}

pub fn request_received(r: &RequestSummary) -> Letter {
    Letter {
        subject: format!("We have your request {}", r.reference),
        paragraphs: vec![
            format!(
                "Thank you: your request for {} on {} ({}) has arrived. Its reference is {}.",
                r.what, r.topic, r.place, r.reference
            ),
            "A coordinator will look for a trainer who covers the topic and is free in your preferred dates. \
             We will write again when someone is confirmed, or if we cannot help."
                .to_owned(),
        ],
        action: link("Follow your request", r.status_url.clone()),
        more: vec![],
        why: "You get this because this address was given as the contact for the request.".to_owned(),
    }
}

pub fn request_confirmed(r: &RequestSummary, when: &str, trainer: &str, event_url: String) -> Letter {
    Letter {
        subject: format!("Confirmed: {} on {}, {when}", r.what, r.topic),
        paragraphs: vec![
            format!("Good news: your request {} is confirmed.", r.reference),
            format!("{trainer} will deliver {} on {} on {when}.", r.what, r.topic),
        ],
        action: link("See the event", event_url),
        more: vec![Link {
            label: "Follow your request".to_owned(),
            url: r.status_url.clone(),
        }],
        why: "You get this because this address was given as the contact for the request.".to_owned(),
    }
}

pub fn request_declined(r: &RequestSummary, reason: Option<&str>) -> Letter {
    let mut paragraphs = vec![format!(
        "We are sorry: we cannot take on your request {} for {} on {}.",
        r.reference, r.what, r.topic
    )];
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        paragraphs.push(format!("The coordinator wrote: {reason}"));
    }
    Letter {
        subject: format!("About your request {}", r.reference),
        paragraphs,
        action: link("See your request", r.status_url.clone()),
        more: vec![],
        why: "You get this because this address was given as the contact for the request.".to_owned(),
    }
}

pub fn request_cancelled(r: &RequestSummary) -> Letter {
    Letter {
        subject: format!("Cancelled: your request {}", r.reference),
        paragraphs: vec![format!(
            "Your request {} for {} on {} has been cancelled, and its event taken out of the calendar.",
            r.reference, r.what, r.topic
        )],
        action: link("See your request", r.status_url.clone()),
        more: vec![],
        why: "You get this because this address was given as the contact for the request.".to_owned(),
    }
}

pub fn trainer_offer(r: &RequestSummary, windows: &str, offer_url: String) -> Letter {
    Letter {
        subject: format!("Action needed: can you deliver {} on {}?", r.what, r.topic),
        paragraphs: vec![
            format!(
                "A coordinator has proposed you for {} on {} ({}), request {}.",
                r.what, r.topic, r.place, r.reference
            ),
            format!("The requester's preferred dates: {windows}."),
            "Please accept, choosing a time inside those dates, or decline so that someone else can be asked."
                .to_owned(),
        ],
        action: link("Accept or decline", offer_url),
        more: vec![],
        why: "You get this because you are a trainer in the network.".to_owned(),
    }
}

pub fn offer_chaser(r: &RequestSummary, days: i64, offer_url: String) -> Letter {
    Letter {
        subject: format!("Action needed: the offer for {} on {} is waiting", r.what, r.topic),
        paragraphs: vec![
            format!(
                "{days} days ago you were proposed for {} on {} ({}), request {}, and it has no answer yet.",
                r.what, r.topic, r.place, r.reference
            ),
            "If you cannot do it, declining is a help too: the coordinators can then ask someone else.".to_owned(),
        ],
        action: link("Accept or decline", offer_url),
        more: vec![],
        why: "You get this because you are a trainer in the network.".to_owned(),
    }
}

pub fn engagement_reminder(r: &RequestSummary, when: &str, event_url: String) -> Letter {
    Letter {
        subject: format!("Tomorrow: {} on {}", r.what, r.topic),
        paragraphs: vec![format!(
            "A reminder: you deliver {} on {} ({}) on {when}.",
            r.what, r.topic, r.place
        )],
        action: link("See the engagement", event_url),
        more: vec![],
        why: "You get this because you accepted this engagement.".to_owned(),
    }
}

pub fn engagement_cancelled(r: &RequestSummary) -> Letter {
    Letter {
        subject: format!("Called off: {} on {}", r.what, r.topic),
        paragraphs: vec![format!(
            "Request {} ({} on {}, {}) has been called off. You need do nothing; it is out of your calendar.",
            r.reference, r.what, r.topic, r.place
        )],
        action: None,
        more: vec![],
        why: "You get this because you were the trainer proposed for it.".to_owned(),
    }
}

pub fn new_request(r: &RequestSummary, queue_url: String) -> Letter {
    Letter {
        subject: format!("New request: {} on {}", r.what, r.topic),
        paragraphs: vec![format!(
            "A new request arrived: {} on {} ({}), reference {}.",
            r.what, r.topic, r.place, r.reference
        )],
        action: link("Open the queue", queue_url),
        more: vec![],
        why: "You get this because you coordinate requests.".to_owned(),
    }
}

pub fn trainer_declined(r: &RequestSummary, trainer: &str, queue_url: String) -> Letter {
    Letter {
        subject: format!("Declined: {} on {} needs a trainer again", r.what, r.topic),
        paragraphs: vec![format!(
            "{trainer} declined request {} ({} on {}, {}). It is back in the queue.",
            r.reference, r.what, r.topic, r.place
        )],
        action: link("Open the queue", queue_url),
        more: vec![],
        why: "You get this because you coordinate requests.".to_owned(),
    }
}

pub fn offer_unanswered(r: &RequestSummary, trainer: &str, days: i64, queue_url: String) -> Letter {
    Letter {
        subject: format!("Unanswered for {days} days: {} on {}", r.what, r.topic),
        paragraphs: vec![format!(
            "{trainer} has not answered the offer for request {} ({} on {}, {}) in {days} days, \
             despite a reminder. You may want to ask someone else.",
            r.reference, r.what, r.topic, r.place
        )],
        action: link("Open the queue", queue_url),
        more: vec![],
        why: "You get this because you coordinate requests.".to_owned(),
    }
}

pub fn windows_closing(r: &RequestSummary, last_day: &str, queue_url: String) -> Letter {
    Letter {
        subject: format!("Running out of time: {} on {}", r.what, r.topic),
        paragraphs: vec![format!(
            "Request {} ({} on {}, {}) has no trainer yet, and its last preferred date ends {last_day}.",
            r.reference, r.what, r.topic, r.place
        )],
        action: link("Open the queue", queue_url),
        more: vec![],
        why: "You get this because you coordinate requests.".to_owned(),
    }
}

pub fn place_offered(e: &EventSummary) -> Letter {
    Letter {
        subject: format!("You have a place: {}", e.name),
        paragraphs: vec![
            format!("A place came free and it is yours: {} on {}.", e.name, e.when),
            "If you can no longer go, cancel on the event's page so the next person can have it.".to_owned(),
        ],
        action: link("See the event", e.page_url.clone()),
        more: vec![],
        why: "You get this because you were on the waiting list.".to_owned(),
    }
}

pub fn event_moved(e: &EventSummary) -> Letter {
    Letter {
        subject: format!("Changed: {}", e.name),
        paragraphs: vec![
            format!("The time or place of {} has changed. It is now on {}.", e.name, e.when),
            "The event's page has the details.".to_owned(),
        ],
        action: link("See the event", e.page_url.clone()),
        more: vec![],
        why: "You get this because you are going.".to_owned(),
    }
}

pub fn event_cancelled(e: &EventSummary) -> Letter {
    Letter {
        subject: format!("Cancelled: {}", e.name),
        paragraphs: vec![format!("{}, on {}, has been cancelled.", e.name, e.when)],
        action: link("See the event", e.page_url.clone()),
        more: vec![],
        why: "You get this because you were going or on the waiting list.".to_owned(),
    }
}

pub fn event_reminder(e: &EventSummary) -> Letter {
    Letter {
        subject: format!("Tomorrow: {}", e.name),
        paragraphs: vec![format!("A reminder: {} is on {}.", e.name, e.when)],
        action: link("See the event", e.page_url.clone()),
        more: vec![],
        why: "You get this because you are going and asked for reminders.".to_owned(),
    }
}

pub fn join_requested(person: &str, group: &str, members_url: String) -> Letter {
    Letter {
        subject: format!("{person} asked to join {group}"),
        paragraphs: vec![format!(
            "{person} asked to join {group}. Approve them, or leave the request, on the group's members page."
        )],
        action: link("See the members", members_url),
        more: vec![],
        why: format!("You get this because you organise {group}."),
    }
}

pub fn membership_approved(group: &str, group_url: String) -> Letter {
    Letter {
        subject: format!("Welcome to {group}"),
        paragraphs: vec![format!(
            "You are now a member of {group}: you will see its members' events on the site and in your calendar feed."
        )],
        action: link("See the group", group_url),
        more: vec![],
        why: format!("You get this because you asked to join {group}."),
    }
}

pub fn password_reset(reset_url: String, valid_minutes: i64) -> Letter {
    Letter {
        subject: "Reset your muster password".to_owned(),
        paragraphs: vec![
            format!(
                "Someone, probably you, asked to reset the password of your muster account. \
                 The link below works once, for {valid_minutes} minutes."
            ),
            "If it was not you, ignore this message: your password stays as it is.".to_owned(),
        ],
        action: link("Choose a new password", reset_url),
        more: vec![],
        why: "You get this because a password reset was asked for this address.".to_owned(),
    }
}

pub fn verify_email(verify_url: String) -> Letter {
    Letter {
        subject: "Confirm your email address for muster".to_owned(),
        paragraphs: vec![
            "Welcome to muster. Please confirm that this address is yours: until then we send it nothing but \
             account messages."
                .to_owned(),
            "If you did not make an account, ignore this message.".to_owned(),
        ],
        action: link("Confirm my address", verify_url),
        more: vec![],
        why: "You get this because an account was registered with this address.".to_owned(),
    }
}

pub fn account_exists(reset_url: String) -> Letter {
    Letter {
        subject: "You already have a muster account".to_owned(),
        paragraphs: vec![
            "Someone, probably you, tried to register with this address, but it already has an account. \
             Nothing was changed."
                .to_owned(),
            "If you have forgotten your password, you can choose a new one.".to_owned(),
        ],
        action: link("Reset my password", reset_url),
        more: vec![],
        why: "You get this because a registration was tried with this address.".to_owned(),
    }
}

pub fn verify_new_email(verify_url: String) -> Letter {
    Letter {
        subject: "Confirm your new email address for muster".to_owned(),
        paragraphs: vec![
            "Please confirm that you want your muster account to use this address from now on. The link works \
             once, for 24 hours."
                .to_owned(),
            "If you did not ask for this, ignore this message.".to_owned(),
        ],
        action: link("Use this address", verify_url),
        more: vec![],
        why: "You get this because this address was given as the new address of an account.".to_owned(),
    }
}

pub fn email_change_notice(reset_url: String) -> Letter {
    Letter {
        subject: "Your muster address is about to change".to_owned(),
        paragraphs: vec![
            "Someone signed in to your account asked to move it to a new email address. It changes once the \
             new address is confirmed."
                .to_owned(),
            "If it was not you, choose a new password now: that signs everyone else out.".to_owned(),
        ],
        action: link("Reset my password", reset_url),
        more: vec![],
        why: "You get this because this is your account's address.".to_owned(),
    }
}
