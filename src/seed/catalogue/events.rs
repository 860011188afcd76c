//! The calendar beyond the groups' monthly meetings and the requests' events:
//! days of action, stalls, trainings, workshops, talks, public meetings and
//! socials, past and coming, some cancelled.

use chrono::Weekday;
use entity::{EventKind, EventVisibility};

/// Where an event happens.
#[derive(Clone, Copy)]
pub(in crate::seed) enum Place<'a> {
    /// The group's usual venue.
    Home,
    Venue(&'a str, &'a str),
    /// A meeting link; the path under `https://meet.example.org/`.
    Online(&'a str),
}

pub(in crate::seed) struct EventSpec {
    pub(in crate::seed) group: Option<&'static str>,
    pub(in crate::seed) title: &'static str,
    pub(in crate::seed) description: &'static str,
    pub(in crate::seed) kind: EventKind,
    pub(in crate::seed) visibility: EventVisibility,
    /// Week from this one (negative: past) and day of that week.
    pub(in crate::seed) week: i64,
    pub(in crate::seed) weekday: Weekday,
    /// UK local start time and length.
    pub(in crate::seed) time: (u32, u32),
    pub(in crate::seed) minutes: i64,
    pub(in crate::seed) place: Place<'static>,
    pub(in crate::seed) topic: Option<&'static str>,
    pub(in crate::seed) capacity: Option<i32>,
    /// How many people RSVP (beyond the capacity: waitlisted).
    pub(in crate::seed) rsvps: usize,
    /// Changes a calendar has seen (a cancellation adds one more).
    pub(in crate::seed) sequence: i32,
    /// Day (from today) the event was cancelled, if it was.
    pub(in crate::seed) cancelled_day: Option<i64>,
}

const EVENT: EventSpec = EventSpec {
    group: None,
    title: "",
    description: "",
    kind: EventKind::Other,
    visibility: EventVisibility::Public,
    week: 1,
    weekday: Weekday::Wed,
    time: (18, 30),
    minutes: 90,
    place: Place::Home,
    topic: None,
    capacity: None,
    rsvps: 0,
    sequence: 0,
    cancelled_day: None,
};

/// The calendar beyond the groups' monthly meetings and the requests' events.
pub(in crate::seed) const EVENTS: &[EventSpec] = &[
    EventSpec {
        group: Some("leeds"),
        title: "Know your rights: NHS care for migrants (drop-in workshop)",
        description: "A relaxed workshop on which NHS care is free, registering with a GP and \
                      what to do about a hospital bill. Interpreters for Arabic and Tigrinya; \
                      step-free venue; children welcome.",
        kind: EventKind::Workshop,
        week: 1,
        weekday: Weekday::Wed,
        minutes: 120,
        topic: Some("know-your-rights"),
        capacity: Some(12),
        rsvps: 15,
        ..EVENT
    },
    EventSpec {
        title: "National day of action: Patients Not Passports",
        description: "Stalls, leafleting and vigils outside hospitals and GP surgeries across \
                      the network, calling for an end to NHS charging. Find your local \
                      group's meeting point on its page.",
        kind: EventKind::Action,
        week: 6,
        weekday: Weekday::Sat,
        time: (11, 0),
        minutes: 240,
        place: Place::Venue(
            "Hospitals and GP surgeries across the network",
            "See your local group's page for its meeting point",
        ),
        rsvps: 30,
        sequence: 1,
        ..EVENT
    },
    EventSpec {
        group: Some("manchester"),
        title: "Stall and petition: scrap upfront NHS charges",
        description: "Come and help with the petition stall for an hour or the whole morning. \
                      Leaflets and clipboards provided.",
        kind: EventKind::Action,
        week: 2,
        weekday: Weekday::Sat,
        time: (11, 0),
        minutes: 180,
        place: Place::Venue(
            "Piccadilly Gardens, by the fountain",
            "Piccadilly Gardens, Manchester M1",
        ),
        rsvps: 9,
        ..EVENT
    },
    EventSpec {
        title: "Starting a local campaign: online training for new groups",
        description: "For people setting up a group where there is none yet: choosing a first \
                      target, finding allies and keeping members safe.",
        kind: EventKind::Training,
        week: 3,
        weekday: Weekday::Tue,
        time: (19, 0),
        minutes: 120,
        place: Place::Online("starting-a-local-campaign"),
        topic: Some("starting-a-local-campaign"),
        capacity: Some(40),
        rsvps: 18,
        ..EVENT
    },
    EventSpec {
        title: "Webinar: the NHS charging regulations explained",
        description: "The charging rules in plain words, with time for questions from health \
                      workers and advice workers.",
        kind: EventKind::Talk,
        week: -3,
        weekday: Weekday::Thu,
        place: Place::Online("charging-explained"),
        topic: Some("intro-nhs-charging"),
        capacity: Some(100),
        rsvps: 35,
        ..EVENT
    },
    EventSpec {
        group: Some("hackney"),
        title: "Patients Not Passports toolkit training for advice workers",
        description: "A morning's training for advice and support workers in helping someone \
                      who has been charged or refused care.",
        kind: EventKind::Training,
        week: -5,
        weekday: Weekday::Sat,
        time: (10, 0),
        minutes: 180,
        topic: Some("patients-not-passports-toolkit"),
        capacity: Some(16),
        rsvps: 19,
        ..EVENT
    },
    EventSpec {
        group: Some("glasgow"),
        title: "Public meeting: patient data is not a border check",
        description: "Speakers from the health service and from community groups on why \
                      patient confidentiality matters, and how to campaign for it.",
        kind: EventKind::Talk,
        week: 4,
        weekday: Weekday::Thu,
        time: (19, 0),
        place: Place::Venue("Southside Community Hall", "Allison Street, Glasgow G42"),
        topic: Some("stop-sharing"),
        rsvps: 12,
        ..EVENT
    },
    EventSpec {
        group: Some("cardiff"),
        title: "Talk: migrant health and NHS charging in Wales",
        description: "How charging works in Wales, where it differs from England, and what the \
                      group is doing about it. Tea from 18:15.",
        kind: EventKind::Talk,
        week: 5,
        weekday: Weekday::Wed,
        topic: Some("intro-nhs-charging"),
        rsvps: 8,
        ..EVENT
    },
    EventSpec {
        group: Some("birmingham"),
        title: "Planning session: our day of action",
        description: "Members plan the city's part in the national day of action: stewards, \
                      banners, access and press.",
        kind: EventKind::Workshop,
        visibility: EventVisibility::Members,
        week: 3,
        weekday: Weekday::Sat,
        time: (13, 0),
        minutes: 120,
        topic: Some("organising-a-demonstration"),
        rsvps: 6,
        ..EVENT
    },
    EventSpec {
        group: Some("nottingham"),
        title: "#StopSharing: confidentiality workshop for reception staff",
        description: "A lunchtime session for GP reception staff on patient confidentiality \
                      and the data-sharing rules.",
        kind: EventKind::Workshop,
        week: 2,
        weekday: Weekday::Tue,
        time: (12, 30),
        minutes: 60,
        place: Place::Venue(
            "Meadowbank Health Centre, meeting room",
            "Alfreton Road, Nottingham NG7",
        ),
        topic: Some("stop-sharing"),
        capacity: Some(15),
        rsvps: 7,
        sequence: 1,
        cancelled_day: Some(-3),
        ..EVENT
    },
    EventSpec {
        group: Some("brighton"),
        title: "Leafleting: know your rights at the station",
        description: "An hour or two handing out know-your-rights leaflets in five languages.",
        kind: EventKind::Action,
        week: -2,
        weekday: Weekday::Sat,
        time: (11, 0),
        minutes: 120,
        place: Place::Venue("Brighton station forecourt", "Queens Road, Brighton BN1"),
        rsvps: 6,
        ..EVENT
    },
    EventSpec {
        group: Some("edinburgh"),
        title: "New members' welcome evening",
        description: "Meet the group, hear what we are working on and find a way to help that \
                      suits you. Food provided.",
        kind: EventKind::Other,
        visibility: EventVisibility::Members,
        week: 1,
        weekday: Weekday::Thu,
        minutes: 120,
        rsvps: 5,
        ..EVENT
    },
    EventSpec {
        group: Some("sheffield"),
        title: "Quiz night fundraiser",
        description: "Teams of up to six; all money raised goes to the hardship fund for people \
                      facing NHS bills.",
        kind: EventKind::Other,
        week: -6,
        weekday: Weekday::Fri,
        time: (19, 30),
        minutes: 150,
        place: Place::Venue("The Cutlers' Rest, upstairs room", "Abbeydale Road, Sheffield S7"),
        capacity: Some(60),
        rsvps: 20,
        ..EVENT
    },
    EventSpec {
        group: Some("newcastle"),
        title: "Stall at the Quayside market",
        description: "Petition stall and leaflets at the Sunday market.",
        kind: EventKind::Action,
        week: 1,
        weekday: Weekday::Sun,
        time: (10, 30),
        minutes: 180,
        place: Place::Venue("Quayside Sunday market", "Quayside, Newcastle upon Tyne NE1"),
        rsvps: 4,
        sequence: 0,
        cancelled_day: Some(-1),
        ..EVENT
    },
    EventSpec {
        group: Some("oxford"),
        title: "Joint letter evening: health workers against charging",
        description: "We draft the city's joint letter to the hospital trust and share out the \
                      organisations to approach for signatures.",
        kind: EventKind::Other,
        week: 2,
        weekday: Weekday::Mon,
        time: (18, 0),
        rsvps: 7,
        ..EVENT
    },
    EventSpec {
        group: Some("cambridge"),
        title: "Film screening and discussion: care without borders",
        description: "A short documentary about patients refused care, followed by a discussion \
                      with local health workers.",
        kind: EventKind::Other,
        week: 9,
        weekday: Weekday::Wed,
        time: (19, 0),
        minutes: 150,
        capacity: Some(40),
        rsvps: 10,
        ..EVENT
    },
    EventSpec {
        group: Some("lewisham"),
        title: "Safe Surgeries: what your GP practice can do",
        description: "Why anyone can register with a GP, and how patients and staff can make \
                      their practice a Safe Surgery.",
        kind: EventKind::Talk,
        week: 10,
        weekday: Weekday::Tue,
        topic: Some("safe-surgeries"),
        rsvps: 4,
        ..EVENT
    },
    EventSpec {
        group: Some("bristol"),
        title: "Organisers' training: running a casework drop-in safely",
        description: "For members who staff the drop-in: confidentiality, safeguarding, \
                      referrals and looking after yourself.",
        kind: EventKind::Training,
        visibility: EventVisibility::Members,
        week: -8,
        weekday: Weekday::Sat,
        time: (10, 30),
        minutes: 240,
        rsvps: 8,
        ..EVENT
    },
    EventSpec {
        group: Some("liverpool"),
        title: "Day of action: GP registration is for everyone",
        description: "Leafleting outside GP practices with the message that nobody needs ID or \
                      proof of address to register.",
        kind: EventKind::Action,
        week: 14,
        weekday: Weekday::Sat,
        time: (11, 0),
        minutes: 180,
        place: Place::Venue("Outside the Central Library", "William Brown Street, Liverpool L3"),
        rsvps: 3,
        ..EVENT
    },
];
