//! `muster seed-demo`: a realistic demo network, written in one transaction.
//!
//! This module owns the demo data set: 16 local groups across England,
//! Scotland and Wales, the campaign's topic catalogue, an admin, coordinators,
//! organisers, members and supporters, trainers with their topics, regions and
//! unavailable periods, a calendar of past and coming events with RSVPs, and
//! speaker and workshop requests in every state with consistent histories.
//!
//! How and why:
//! - **Deterministic.** Every choice comes from the tables below or from a
//!   small seeded PRNG (splitmix64, no `rand`), and every time is relative to
//!   `now`, so two runs on the same day give the same network; only the UUIDs
//!   differ.
//! - **Planned, then written.** [`build`] makes every row in memory without a
//!   database (so the tests below can check the plan's consistency), then
//!   [`seed_demo`] writes it in one transaction: a failure leaves nothing.
//! - **Safe to re-run.** A database that already holds the demo is left alone;
//!   one that holds real groups is refused, so demo rows never mix with a live
//!   network.
//! - **Private by construction.** Invented names only, every email address is
//!   at example.org, no password hashes (demo accounts cannot sign in).
//!
//! Times are UK wall-clock times (Europe/London; British Summer Time is worked
//! out here from the last-Sunday rule) stored as UTC instants.

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use entity::{
    AssignmentStatus, EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RequestKind,
    RequestState, RsvpStatus, UserRole, assignment, event, group, membership, request, request_transition,
    request_window, rsvp, topic, trainer_profile, trainer_region, trainer_topic, trainer_unavailability, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::error::Error;

/// What a call of [`seed_demo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The demo network was written; what it holds.
    Seeded(SeedSummary),
    /// The demo network was already there; nothing was written.
    AlreadySeeded,
}

/// How many rows of each main kind the demo network holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub groups: usize,
    pub users: usize,
    pub topics: usize,
    pub trainers: usize,
    pub events: usize,
    pub requests: usize,
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} groups, {} users ({} trainers), {} topics, {} events, {} requests",
            self.groups, self.users, self.trainers, self.topics, self.events, self.requests
        )
    }
}

/// Writes the demo network, or does nothing if it is already there.
///
/// Refused with `CONFLICT` when the database holds groups that are not the
/// demo's, or topics or accounts that would collide with it.
pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<SeedOutcome, Error> {
    let plan = build(now).map_err(Error::Internal)?;
    let txn = db.begin().await?;
    let marker = group::Entity::find()
        .filter(group::Column::Slug.eq(GROUPS[0].slug))
        .one(&txn)
        .await?;
    if marker.is_some() {
        txn.rollback().await?;
        return Ok(SeedOutcome::AlreadySeeded);
    }
    if let Some(reason) = clash(&txn, &plan).await? {
        txn.rollback().await?;
        return Err(Error::Conflict(reason.into()));
    }
    let summary = plan.summary();
    plan.write(&txn).await?;
    txn.commit().await?;
    Ok(SeedOutcome::Seeded(summary))
}

/// Why the demo cannot be written beside what the database already holds.
async fn clash(db: &impl ConnectionTrait, plan: &Plan) -> Result<Option<&'static str>, DbErr> {
    if group::Entity::find().count(db).await? > 0 {
        return Ok(Some(
            "the database already holds groups that are not demo data; seed-demo only runs on an \
             empty database or re-runs on its own data",
        ));
    }
    let slugs = plan.topics.iter().map(|t| t.slug.clone());
    if topic::Entity::find()
        .filter(topic::Column::Slug.is_in(slugs))
        .count(db)
        .await?
        > 0
    {
        return Ok(Some("the topic catalogue already holds topics with the demo's slugs"));
    }
    let emails = plan.users.iter().filter_map(|u| u.email.clone());
    if user::Entity::find()
        .filter(user::Column::Email.is_in(emails))
        .count(db)
        .await?
        > 0
    {
        return Ok(Some(
            "the database already holds accounts with the demo's email addresses",
        ));
    }
    Ok(None)
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// Constant seed of the PRNG ("MUSTER-1"): change it and the network changes.
const SEED: u64 = 0x4d55_5354_4552_2d31;
/// References come from their own stream, so editing other tables does not
/// renumber them.
const REFERENCE_STREAM: u64 = 0x5245_4645_5245_4e43;

struct GroupSpec {
    slug: &'static str,
    name: &'static str,
    region: &'static str,
    town: &'static str,
    postcode_area: &'static str,
    description: &'static str,
    venue: &'static str,
    address: &'static str,
}

/// The local groups. The first one's slug marks an already seeded database.
const GROUPS: &[GroupSpec] = &[
    GroupSpec {
        slug: "leeds",
        name: "Leeds",
        region: "Yorkshire and the Humber",
        town: "Leeds",
        postcode_area: "LS7",
        venue: "Meanwood Road Community Centre",
        address: "Meanwood Road, Leeds LS7",
        description: "Health workers, students and neighbours campaigning to end NHS charging in Leeds. We \
         run know-your-rights drop-ins with local refugee and migrant organisations.",
    },
    GroupSpec {
        slug: "sheffield",
        name: "Sheffield",
        region: "Yorkshire and the Humber",
        town: "Sheffield",
        postcode_area: "S11",
        venue: "Sharrow Vale Community Room",
        address: "Sharrow Vale Road, Sheffield S11",
        description: "Sheffield's group: we support people who are charged or refused care and push local \
         trusts to stop upfront charging.",
    },
    GroupSpec {
        slug: "manchester",
        name: "Greater Manchester",
        region: "North West",
        town: "Manchester",
        postcode_area: "M13",
        venue: "Longsight Community Hall",
        address: "Stockport Road, Manchester M13",
        description: "Across Greater Manchester we train advice workers in the Patients Not Passports \
         toolkit and organise with hospital staff.",
    },
    GroupSpec {
        slug: "liverpool",
        name: "Liverpool",
        region: "North West",
        town: "Liverpool",
        postcode_area: "L8",
        venue: "Granby Street Community Room",
        address: "Granby Street, Liverpool L8",
        description: "Liverpool health workers and community members against the hostile environment in \
         the NHS. New members always welcome.",
    },
    GroupSpec {
        slug: "newcastle",
        name: "Newcastle and Gateshead",
        region: "North East",
        town: "Newcastle upon Tyne",
        postcode_area: "NE4",
        venue: "Elswick Road Community Room",
        address: "Elswick Road, Newcastle upon Tyne NE4",
        description: "Campaigning on both banks of the Tyne for a health service free at the point of use \
         for everyone.",
    },
    GroupSpec {
        slug: "birmingham",
        name: "Birmingham",
        region: "West Midlands",
        town: "Birmingham",
        postcode_area: "B11",
        venue: "Stratford Road Community Centre",
        address: "Stratford Road, Birmingham B11",
        description: "Birmingham's group works with migrant community organisations on GP registration and \
         on knowing your rights at hospital.",
    },
    GroupSpec {
        slug: "nottingham",
        name: "Nottingham",
        region: "East Midlands",
        town: "Nottingham",
        postcode_area: "NG7",
        venue: "Hyson Green Community Room",
        address: "Radford Road, Nottingham NG7",
        description: "Nottingham members run Safe Surgeries sessions with GP practices and keep a watch on \
         charging at the city's hospitals.",
    },
    GroupSpec {
        slug: "bristol",
        name: "Bristol",
        region: "South West",
        town: "Bristol",
        postcode_area: "BS2",
        venue: "St Pauls Community Room",
        address: "Grosvenor Road, Bristol BS2",
        description: "Bristol's group: stalls, talks and casework support, and a loud voice against sharing \
         patient data with the Home Office.",
    },
    GroupSpec {
        slug: "brighton",
        name: "Brighton and Hove",
        region: "South East",
        town: "Brighton",
        postcode_area: "BN2",
        venue: "Lewes Road Community Hall",
        address: "Lewes Road, Brighton BN2",
        description: "Brighton and Hove health workers and supporters organising for care without borders.",
    },
    GroupSpec {
        slug: "oxford",
        name: "Oxford",
        region: "South East",
        town: "Oxford",
        postcode_area: "OX4",
        venue: "Cowley Road Community Room",
        address: "Cowley Road, Oxford OX4",
        description: "Oxford's group brings together students, hospital staff and residents; we gather \
         signatures for joint letters and meet trust boards.",
    },
    GroupSpec {
        slug: "cambridge",
        name: "Cambridge",
        region: "East of England",
        town: "Cambridge",
        postcode_area: "CB1",
        venue: "Mill Road Community Room",
        address: "Mill Road, Cambridge CB1",
        description: "Cambridge campaigners working with student societies and local practices to make NHS \
         care safe for migrants to use.",
    },
    GroupSpec {
        slug: "hackney",
        name: "Hackney",
        region: "London",
        town: "London",
        postcode_area: "E8",
        venue: "Dalston Lane Community Room",
        address: "Dalston Lane, London E8",
        description: "Hackney's group meets monthly and runs nurse-not-border-guard sessions with staff at \
         local hospitals and clinics.",
    },
    GroupSpec {
        slug: "lewisham",
        name: "Lewisham and Greenwich",
        region: "London",
        town: "London",
        postcode_area: "SE6",
        venue: "Catford Community Hall",
        address: "Rushey Green, London SE6",
        description: "South-east London campaigners for a health service that treats patients, not \
         passports.",
    },
    GroupSpec {
        slug: "glasgow",
        name: "Glasgow",
        region: "Scotland",
        town: "Glasgow",
        postcode_area: "G42",
        venue: "Govanhill Community Room",
        address: "Victoria Road, Glasgow G42",
        description: "Glasgow's group campaigns on patient confidentiality and supports people refused \
         care, with community groups across the city.",
    },
    GroupSpec {
        slug: "edinburgh",
        name: "Edinburgh and Lothians",
        region: "Scotland",
        town: "Edinburgh",
        postcode_area: "EH6",
        venue: "Leith Walk Community Room",
        address: "Leith Walk, Edinburgh EH6",
        description: "Edinburgh and the Lothians: health workers and students organising for care for \
         everyone, whatever their papers.",
    },
    GroupSpec {
        slug: "cardiff",
        name: "Cardiff",
        region: "Wales",
        town: "Cardiff",
        postcode_area: "CF11",
        venue: "Grangetown Community Hall",
        address: "Clare Road, Cardiff CF11",
        description: "Cardiff's group works across south Wales with GP practices, unions and migrant \
         community groups.",
    },
];

struct TopicSpec {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    minutes: i32,
}

/// The catalogue of workshops and talks.
const TOPICS: &[TopicSpec] = &[
    TopicSpec {
        slug: "intro-nhs-charging",
        name: "Introduction to NHS charging and the hostile environment",
        description: "Who is charged for NHS care and why, how the charging rules came about, \
                      and what they do to patients and staff. A starting point for any audience.",
        minutes: 90,
    },
    TopicSpec {
        slug: "patients-not-passports-toolkit",
        name: "Patients Not Passports toolkit",
        description: "Practical training in supporting someone who is being charged or refused \
                      care: what to ask, which exemptions apply, and how to challenge a bill.",
        minutes: 120,
    },
    TopicSpec {
        slug: "nurse-not-border-guard",
        name: "I'm a nurse, not a border guard",
        description: "A session for health workers on their duty of care, the charging rules \
                      they are asked to apply, and what they can do on the ward.",
        minutes: 90,
    },
    TopicSpec {
        slug: "stop-sharing",
        name: "Data sharing and patient confidentiality (#StopSharing)",
        description: "How patient data can reach immigration enforcement, why that keeps people \
                      away from care, and how to campaign for confidentiality.",
        minutes: 90,
    },
    TopicSpec {
        slug: "safe-surgeries",
        name: "Safe Surgeries training for GP practice staff",
        description: "For reception and practice staff: anyone can register with a GP, with no \
                      ID or proof of address needed. Policies, scripts and common questions.",
        minutes: 60,
    },
    TopicSpec {
        slug: "know-your-rights",
        name: "Know your rights: NHS care for migrant communities",
        description: "For migrant community groups: which care is free, registering with a GP, \
                      what to do about a hospital bill, and where to get support.",
        minutes: 120,
    },
    TopicSpec {
        slug: "starting-a-local-campaign",
        name: "Starting a local campaign",
        description: "Campaign skills for new groups: choosing a target, building a group, \
                      working with allies and keeping members safe.",
        minutes: 150,
    },
    TopicSpec {
        slug: "organising-a-demonstration",
        name: "Organising a demonstration",
        description: "Planning a protest or day of action from first idea to the day: roles, \
                      stewarding, accessibility, press and looking after each other.",
        minutes: 120,
    },
];

/// Invented first names and surnames: the combinations are nobody's name.
const FIRST_NAMES: &[&str] = &[
    "Amara", "Bilal", "Ciara", "Dev", "Efua", "Farah", "Gethin", "Hana", "Ifeoma", "Jonah", "Kemi", "Lior", "Mairi",
    "Nasra", "Olek", "Priya", "Rhys", "Siobhan", "Tariq", "Una", "Wen", "Yusuf", "Zofia", "Ailsa", "Bronwen", "Catrin",
    "Declan", "Esi", "Femi", "Greta", "Hamza", "Isla", "Jude", "Kofi", "Leila", "Malik", "Niamh", "Oisin", "Rosa",
    "Sami",
];
const SURNAMES: &[&str] = &[
    "Ashgrove",
    "Birchcombe",
    "Calderwood",
    "Dovecote",
    "Elmsworth",
    "Foxhollow",
    "Gorsebrook",
    "Hollinwell",
    "Ivydale",
    "Juniperfield",
    "Kestrelmoor",
    "Larchcombe",
    "Millbeck",
    "Nettlefold",
    "Oakhanger",
    "Pebblewick",
    "Quillfeather",
    "Rookhaven",
    "Sallowmere",
    "Thistlewood",
    "Underbrook",
    "Vetchfield",
    "Willowmere",
    "Yarrowby",
    "Alderbeck",
    "Brackenholt",
    "Cloverdale",
    "Damsonwick",
    "Emberlee",
    "Fernhallow",
    "Glenmorrow",
    "Heathermoss",
    "Inglenook",
    "Jasperwell",
    "Kelpiemoor",
    "Lindenfold",
    "Marramby",
    "Northwhistle",
    "Oxlipmoor",
    "Primrosefield",
];

/// Supporters who follow the calendar without joining a group.
const SUPPORTERS: usize = 14;
const COORDINATORS: usize = 2;

struct TrainerSpec {
    regions: &'static [&'static str],
    topics: &'static [&'static str],
    monthly_cap: i32,
}

/// Trainers, referred to by index in [`AWAY`] and [`REQUESTS`].
const TRAINERS: &[TrainerSpec] = &[
    TrainerSpec {
        regions: &["London", "South East"],
        topics: &["intro-nhs-charging", "patients-not-passports-toolkit", "stop-sharing"],
        monthly_cap: 4,
    },
    TrainerSpec {
        regions: &["North West", "Yorkshire and the Humber"],
        topics: &["nurse-not-border-guard", "stop-sharing", "intro-nhs-charging"],
        monthly_cap: 3,
    },
    TrainerSpec {
        regions: &["Scotland"],
        topics: &["intro-nhs-charging", "know-your-rights", "starting-a-local-campaign"],
        monthly_cap: 2,
    },
    TrainerSpec {
        regions: &["Wales", "South West"],
        topics: &["safe-surgeries", "patients-not-passports-toolkit"],
        monthly_cap: 5,
    },
    TrainerSpec {
        regions: &["West Midlands", "East Midlands"],
        topics: &[
            "know-your-rights",
            "patients-not-passports-toolkit",
            "intro-nhs-charging",
        ],
        monthly_cap: 4,
    },
    TrainerSpec {
        regions: &["London"],
        topics: &["safe-surgeries", "stop-sharing"],
        monthly_cap: 6,
    },
    TrainerSpec {
        regions: &["North East", "Yorkshire and the Humber"],
        topics: &["organising-a-demonstration", "starting-a-local-campaign"],
        monthly_cap: 3,
    },
    TrainerSpec {
        regions: &["East of England", "London", "South East"],
        topics: &["nurse-not-border-guard", "intro-nhs-charging"],
        monthly_cap: 2,
    },
    TrainerSpec {
        regions: &["South West", "Wales"],
        topics: &["know-your-rights", "organising-a-demonstration"],
        monthly_cap: 4,
    },
    TrainerSpec {
        regions: &["Yorkshire and the Humber", "North West", "North East"],
        topics: &[
            "patients-not-passports-toolkit",
            "safe-surgeries",
            "starting-a-local-campaign",
        ],
        monthly_cap: 5,
    },
];

/// Unavailable periods: trainer, first day (from today), length in days, note.
const AWAY: &[(usize, i64, i64, &str)] = &[
    (0, 14, 7, "Annual leave"),
    (5, 3, 3, "Night shifts"),
    (2, 30, 14, "Away"),
    (7, -10, 4, "Conference"),
    (3, 50, 7, "Family commitments"),
];

/// Where an event happens.
#[derive(Clone, Copy)]
enum Place<'a> {
    /// The group's usual venue.
    Home,
    Venue(&'a str, &'a str),
    /// A meeting link; the path under https://meet.example.org/.
    Online(&'a str),
}

struct EventSpec {
    group: Option<&'static str>,
    title: &'static str,
    description: &'static str,
    kind: EventKind,
    visibility: EventVisibility,
    /// Week from this one (negative: past) and day of that week.
    week: i64,
    weekday: Weekday,
    /// UK local start time and length.
    time: (u32, u32),
    minutes: i64,
    place: Place<'static>,
    topic: Option<&'static str>,
    capacity: Option<i32>,
    /// How many people RSVP (beyond the capacity: waitlisted).
    rsvps: usize,
    /// Changes a calendar has seen (a cancellation adds one more).
    sequence: i32,
    /// Day (from today) the event was cancelled, if it was.
    cancelled_day: Option<i64>,
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
const EVENTS: &[EventSpec] = &[
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

/// Who asks for a speaker or a workshop.
#[derive(Clone, Copy)]
enum Requester {
    /// A local group, by slug; one of its organisers submits it.
    Group(&'static str),
    /// An outside organisation; its contact person submits it from a
    /// supporter account.
    Organisation {
        name: &'static str,
        town: &'static str,
        postcode_area: &'static str,
    },
}

/// An assignment's slot: a day of one of the request's windows, a UK local
/// start time, and the topic's typical length.
#[derive(Clone, Copy)]
struct Slot {
    window: usize,
    day: i64,
    hour: u32,
    minute: u32,
}

struct RequestSpec {
    state: RequestState,
    kind: RequestKind,
    topic: &'static str,
    requester: Requester,
    online: bool,
    audience: Option<i32>,
    notes: &'static str,
    /// Day (from today, negative) it was submitted.
    submitted_day: i64,
    /// Preferred windows: first day (from today) and length in days.
    windows: &'static [(i64, i64)],
    /// The trainer (index into [`TRAINERS`]) and slot, where one was assigned.
    trainer: Option<(usize, Slot)>,
    /// The trainer declined, putting the request back to SUBMITTED.
    trainer_declined: bool,
    /// Day it was declined, withdrawn or cancelled, with the reason.
    ended: Option<(i64, &'static str)>,
    /// The resulting event's visibility, capacity and RSVPs.
    visibility: EventVisibility,
    capacity: Option<i32>,
    rsvps: usize,
}

const REQUEST: RequestSpec = RequestSpec {
    state: RequestState::Submitted,
    kind: RequestKind::Workshop,
    topic: "",
    requester: Requester::Group(""),
    online: false,
    audience: None,
    notes: "",
    submitted_day: -1,
    windows: &[],
    trainer: None,
    trainer_declined: false,
    ended: None,
    visibility: EventVisibility::Public,
    capacity: None,
    rsvps: 0,
};

const fn slot(window: usize, day: i64, hour: u32, minute: u32) -> Slot {
    Slot {
        window,
        day,
        hour,
        minute,
    }
}

/// Requests, at least one in every state. The tests check that every
/// history is consistent and no trainer is double-booked.
const REQUESTS: &[RequestSpec] = &[
    // SUBMITTED
    RequestSpec {
        topic: "know-your-rights",
        requester: Requester::Group("leeds"),
        audience: Some(30),
        notes: "With a refugee drop-in in Chapeltown: several people will need interpreting \
                (Arabic, Tigrinya). The venue is step-free.",
        submitted_day: -3,
        windows: &[(20, 3), (34, 5)],
        ..REQUEST
    },
    RequestSpec {
        kind: RequestKind::Speaker,
        topic: "intro-nhs-charging",
        requester: Requester::Organisation {
            name: "Riverside University Medical Students' Society",
            town: "Sheffield",
            postcode_area: "S10",
        },
        audience: Some(60),
        notes: "An evening talk for our global health series; any of these Wednesdays.",
        submitted_day: -2,
        windows: &[(25, 1), (32, 1), (39, 1)],
        ..REQUEST
    },
    RequestSpec {
        topic: "safe-surgeries",
        requester: Requester::Organisation {
            name: "Larkspur Lane Surgery",
            town: "Leicester",
            postcode_area: "LE2",
        },
        online: true,
        audience: Some(12),
        notes: "Lunchtime session for reception and practice management staff, 12:30 to 13:30.",
        submitted_day: -5,
        windows: &[(14, 10)],
        ..REQUEST
    },
    RequestSpec {
        topic: "stop-sharing",
        requester: Requester::Group("glasgow"),
        audience: Some(20),
        notes: "For our members and two community groups we work with.",
        submitted_day: -1,
        windows: &[(45, 14)],
        ..REQUEST
    },
    // ASSIGNED: a trainer has been proposed and has not answered yet.
    RequestSpec {
        state: RequestState::Assigned,
        topic: "patients-not-passports-toolkit",
        requester: Requester::Group("manchester"),
        audience: Some(25),
        notes: "Advice workers from three local charities will join our members.",
        submitted_day: -6,
        windows: &[(18, 2), (25, 2)],
        trainer: Some((9, slot(0, 1, 10, 30))),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Assigned,
        kind: RequestKind::Speaker,
        topic: "intro-nhs-charging",
        requester: Requester::Organisation {
            name: "Cam Valley Trades Union Council",
            town: "Cambridge",
            postcode_area: "CB1",
        },
        audience: Some(35),
        notes: "Twenty minutes and questions at our monthly delegates' meeting.",
        submitted_day: -8,
        windows: &[(21, 1)],
        trainer: Some((7, slot(0, 0, 19, 0))),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Assigned,
        topic: "safe-surgeries",
        requester: Requester::Group("cardiff"),
        online: true,
        audience: Some(15),
        notes: "Staff from four practices in Grangetown and Butetown; a lunchtime suits them.",
        submitted_day: -4,
        windows: &[(30, 7)],
        trainer: Some((3, slot(0, 2, 12, 30))),
        ..REQUEST
    },
    // CONFIRMED: accepted, the event is in the calendar.
    RequestSpec {
        state: RequestState::Confirmed,
        topic: "nurse-not-border-guard",
        requester: Requester::Group("hackney"),
        audience: Some(20),
        notes: "Nurses and healthcare assistants from the local hospital, after their shifts.",
        submitted_day: -20,
        windows: &[(10, 2)],
        trainer: Some((7, slot(0, 0, 18, 30))),
        capacity: Some(20),
        rsvps: 23,
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Confirmed,
        topic: "know-your-rights",
        requester: Requester::Organisation {
            name: "Hollyfield Migrant Women's Network",
            town: "Birmingham",
            postcode_area: "B11",
        },
        audience: Some(25),
        notes: "A Saturday morning; a creche is booked.",
        submitted_day: -25,
        windows: &[(6, 6)],
        trainer: Some((4, slot(0, 5, 10, 30))),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Confirmed,
        topic: "organising-a-demonstration",
        requester: Requester::Group("bristol"),
        audience: Some(18),
        notes: "Ahead of the national day of action; members only.",
        submitted_day: -30,
        windows: &[(40, 7)],
        trainer: Some((8, slot(0, 5, 10, 0))),
        visibility: EventVisibility::Members,
        rsvps: 9,
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Confirmed,
        kind: RequestKind::Speaker,
        topic: "nurse-not-border-guard",
        requester: Requester::Organisation {
            name: "Northgate University Student Nurses' Society",
            town: "Newcastle upon Tyne",
            postcode_area: "NE1",
        },
        online: true,
        audience: Some(40),
        notes: "Online, so students on placement can join.",
        submitted_day: -15,
        windows: &[(12, 1), (19, 1)],
        trainer: Some((1, slot(1, 0, 18, 0))),
        ..REQUEST
    },
    // DELIVERED
    RequestSpec {
        state: RequestState::Delivered,
        topic: "patients-not-passports-toolkit",
        requester: Requester::Group("sheffield"),
        audience: Some(22),
        notes: "Open to members and local advice workers.",
        submitted_day: -70,
        windows: &[(-40, 4)],
        trainer: Some((9, slot(0, 2, 10, 30))),
        capacity: Some(25),
        rsvps: 14,
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Delivered,
        topic: "safe-surgeries",
        requester: Requester::Organisation {
            name: "Millpond Health Centre",
            town: "London",
            postcode_area: "E8",
        },
        audience: Some(14),
        notes: "Protected learning time for the whole front-desk team.",
        submitted_day: -50,
        windows: &[(-25, 5)],
        trainer: Some((5, slot(0, 1, 12, 30))),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Delivered,
        kind: RequestKind::Speaker,
        topic: "intro-nhs-charging",
        requester: Requester::Organisation {
            name: "Clydeside University Global Health Society",
            town: "Glasgow",
            postcode_area: "G12",
        },
        audience: Some(50),
        notes: "Opening talk of our term's series.",
        submitted_day: -80,
        windows: &[(-60, 1), (-53, 1)],
        trainer: Some((2, slot(1, 0, 18, 30))),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Delivered,
        kind: RequestKind::Speaker,
        topic: "stop-sharing",
        requester: Requester::Group("liverpool"),
        audience: Some(30),
        notes: "Public meeting; we will invite the local MP's office.",
        submitted_day: -45,
        windows: &[(-15, 3)],
        trainer: Some((1, slot(0, 0, 19, 0))),
        rsvps: 16,
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Delivered,
        topic: "know-your-rights",
        requester: Requester::Group("nottingham"),
        audience: Some(25),
        notes: "With the city's refugee forum; interpreting into Farsi and Kurdish.",
        submitted_day: -100,
        windows: &[(-80, 7)],
        trainer: Some((4, slot(0, 3, 18, 0))),
        rsvps: 11,
        ..REQUEST
    },
    // DECLINED
    RequestSpec {
        state: RequestState::Declined,
        topic: "intro-nhs-charging",
        requester: Requester::Organisation {
            name: "Brightwell Overseas Patient Services Ltd",
            town: "Reading",
            postcode_area: "RG1",
        },
        audience: Some(10),
        notes: "Training for front-desk staff on checking overseas visitors' eligibility and \
                collecting charges up front.",
        submitted_day: -20,
        windows: &[(10, 5)],
        ended: Some((
            -18,
            "The network does not train staff to carry out eligibility or immigration checks. \
             We have sent the Patients Not Passports toolkit instead.",
        )),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Declined,
        topic: "organising-a-demonstration",
        requester: Requester::Group("edinburgh"),
        audience: Some(15),
        notes: "Planning our part of the day of action.",
        submitted_day: -21,
        windows: &[(5, 2)],
        trainer: Some((6, slot(0, 0, 10, 0))),
        trainer_declined: true,
        ended: Some((
            -15,
            "No trainer who covers this topic is free in your window. Please join the online \
             campaign skills training, or ask again with later dates.",
        )),
        ..REQUEST
    },
    // WITHDRAWN
    RequestSpec {
        state: RequestState::Withdrawn,
        kind: RequestKind::Speaker,
        topic: "intro-nhs-charging",
        requester: Requester::Group("brighton"),
        audience: Some(40),
        notes: "Speaker for our public meeting.",
        submitted_day: -12,
        windows: &[(9, 1)],
        ended: Some((
            -4,
            "Our meeting has been merged with a partner's event; no speaker needed.",
        )),
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Withdrawn,
        topic: "know-your-rights",
        requester: Requester::Organisation {
            name: "Ferncliffe Community Kitchen",
            town: "Leicester",
            postcode_area: "LE4",
        },
        audience: Some(20),
        notes: "For the families who come to our Friday lunch.",
        submitted_day: -9,
        windows: &[(16, 3)],
        ended: Some((-2, "We have found a local advice service to run this for us.")),
        ..REQUEST
    },
    // CANCELLED after confirmation: the event is cancelled too.
    RequestSpec {
        state: RequestState::Cancelled,
        topic: "starting-a-local-campaign",
        requester: Requester::Group("newcastle"),
        audience: Some(20),
        notes: "For new members who joined after the summer.",
        submitted_day: -30,
        windows: &[(8, 3)],
        trainer: Some((6, slot(0, 1, 10, 0))),
        ended: Some((
            -2,
            "The venue has closed for repairs; the group will ask again in spring.",
        )),
        rsvps: 8,
        ..REQUEST
    },
    RequestSpec {
        state: RequestState::Cancelled,
        kind: RequestKind::Speaker,
        topic: "stop-sharing",
        requester: Requester::Organisation {
            name: "Calder Valley Hospitals Staff Network",
            town: "Halifax",
            postcode_area: "HX1",
        },
        audience: Some(30),
        notes: "Lunchtime slot at the staff network's quarterly meeting.",
        submitted_day: -35,
        windows: &[(-3, 1)],
        trainer: Some((1, slot(0, 0, 12, 30))),
        ended: Some((-6, "The staff network's meeting was called off; they will book again.")),
        ..REQUEST
    },
];

// ---------------------------------------------------------------------------
// Determinism: PRNG, references, names, UK times
// ---------------------------------------------------------------------------

/// splitmix64: tiny, fast and good enough to make demo choices repeatable.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1).max(1) as usize) as i64
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Unambiguous characters of a reference: no 0/O, 1/I/L or U.
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A public request reference such as `REQ-7K3Q9F`, not yet in `used`.
fn reference(rng: &mut SplitMix64, used: &mut HashSet<String>) -> String {
    loop {
        let mut reference = String::from("REQ-");
        for _ in 0..6 {
            reference.push(char::from(REFERENCE_ALPHABET[rng.below(REFERENCE_ALPHABET.len())]));
        }
        if used.insert(reference.clone()) {
            return reference;
        }
    }
}

/// Draws first name + surname combinations, each at most once.
#[derive(Default)]
struct NamePool {
    used: HashSet<usize>,
}

impl NamePool {
    fn draw(&mut self, rng: &mut SplitMix64) -> (&'static str, &'static str) {
        let total = FIRST_NAMES.len() * SURNAMES.len();
        let start = rng.below(total);
        // Linear probing from a random start: always terminates, and the pool
        // is far larger than the demo.
        let index = (0..total).map(|k| (start + k) % total).find(|i| self.used.insert(*i));
        let index = index.unwrap_or(start);
        (
            FIRST_NAMES[index % FIRST_NAMES.len()],
            SURNAMES[index / FIRST_NAMES.len()],
        )
    }
}

/// The last Sunday of a 31-day month (March and October).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    Some(last - TimeDelta::days(i64::from(last.weekday().num_days_from_sunday())))
}

/// Whether UK clocks are on British Summer Time on `date` at any time after
/// 02:00 (BST runs from the last Sunday of March to the last Sunday of
/// October).
fn is_bst(date: NaiveDate) -> bool {
    match (last_sunday(date.year(), 3), last_sunday(date.year(), 10)) {
        (Some(start), Some(end)) => start <= date && date < end,
        _ => false,
    }
}

/// The instant of a UK wall-clock time (after 02:00).
fn uk_time(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let offset = if is_bst(date) { 60 } else { 0 };
    NaiveDateTime::from(date).and_utc() + TimeDelta::minutes(i64::from(hour * 60 + minute) - offset)
}

/// Days and times relative to `now`.
#[derive(Clone, Copy)]
struct Calendar {
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Calendar {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            today: now.date_naive(),
        }
    }

    fn day(&self, offset: i64) -> NaiveDate {
        self.today + TimeDelta::days(offset)
    }

    /// UK local `hour:minute` on the day `offset` days from today.
    fn at(&self, offset: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        uk_time(self.day(offset), hour, minute)
    }

    /// A day of the week `week` weeks from this one.
    fn week_day(&self, week: i64, weekday: Weekday) -> NaiveDate {
        let monday = self.day(-i64::from(self.today.weekday().num_days_from_monday()));
        monday + TimeDelta::days(7 * week + i64::from(weekday.num_days_from_monday()))
    }

    /// When an event starting at `start` was put in the calendar: three
    /// weeks before, and no later than yesterday morning.
    fn listed(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        (start - TimeDelta::days(21)).min(self.at(-1, 9, 0))
    }

    /// When a listed event was last edited: a few days later, in the past.
    fn edited(&self, listed: DateTime<Utc>) -> DateTime<Utc> {
        (listed + TimeDelta::days(3)).min(self.at(-1, 15, 0))
    }
}

// ---------------------------------------------------------------------------
// The plan: every row, made in memory
// ---------------------------------------------------------------------------

/// Every row of the demo network, in the order they are written.
#[derive(Default)]
struct Plan {
    users: Vec<user::Model>,
    groups: Vec<group::Model>,
    memberships: Vec<membership::Model>,
    topics: Vec<topic::Model>,
    trainer_profiles: Vec<trainer_profile::Model>,
    trainer_topics: Vec<trainer_topic::Model>,
    trainer_regions: Vec<trainer_region::Model>,
    unavailability: Vec<trainer_unavailability::Model>,
    requests: Vec<request::Model>,
    windows: Vec<request_window::Model>,
    transitions: Vec<request_transition::Model>,
    assignments: Vec<assignment::Model>,
    events: Vec<event::Model>,
    rsvps: Vec<rsvp::Model>,
}

impl Plan {
    fn summary(&self) -> SeedSummary {
        SeedSummary {
            groups: self.groups.len(),
            users: self.users.len(),
            topics: self.topics.len(),
            trainers: self.trainer_profiles.len(),
            events: self.events.len(),
            requests: self.requests.len(),
        }
    }

    /// Inserts every row, parents before children.
    async fn write(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        insert_all(db, self.users).await?;
        insert_all(db, self.groups).await?;
        insert_all(db, self.memberships).await?;
        insert_all(db, self.topics).await?;
        insert_all(db, self.trainer_profiles).await?;
        insert_all(db, self.trainer_topics).await?;
        insert_all(db, self.trainer_regions).await?;
        insert_all(db, self.unavailability).await?;
        insert_all(db, self.requests).await?;
        insert_all(db, self.windows).await?;
        insert_all(db, self.transitions).await?;
        insert_all(db, self.assignments).await?;
        insert_all(db, self.events).await?;
        insert_all(db, self.rsvps).await
    }
}

/// Rows per INSERT: well under SQLite's and PostgreSQL's parameter limits.
const ROWS_PER_INSERT: usize = 100;

async fn insert_all<M, A>(db: &impl ConnectionTrait, rows: Vec<M>) -> Result<(), DbErr>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().map(IntoActiveModel::into_active_model).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

#[derive(Clone)]
struct Person {
    id: Uuid,
    name: String,
    email: String,
}

/// What later steps need to know about a group.
struct GroupInfo {
    id: Uuid,
    spec: &'static GroupSpec,
    organisers: Vec<Uuid>,
    /// Organisers and active members.
    active: Vec<Uuid>,
}

#[derive(Clone, Copy)]
struct TopicInfo {
    id: Uuid,
    spec: &'static TopicSpec,
}

struct Builder {
    cal: Calendar,
    rng: SplitMix64,
    names: NamePool,
    plan: Plan,
    coordinators: Vec<Uuid>,
    trainers: Vec<Uuid>,
    supporters: Vec<Uuid>,
    groups: Vec<GroupInfo>,
    topics: HashMap<&'static str, TopicInfo>,
}

/// The whole demo network as rows, relative to `now`. Pure apart from the
/// random UUIDs; fails only if the tables above contradict themselves.
fn build(now: DateTime<Utc>) -> anyhow::Result<Plan> {
    let mut builder = Builder {
        cal: Calendar::new(now),
        rng: SplitMix64::new(SEED),
        names: NamePool::default(),
        plan: Plan::default(),
        coordinators: Vec::new(),
        trainers: Vec::new(),
        supporters: Vec::new(),
        groups: Vec::new(),
        topics: HashMap::new(),
    };
    builder.add_staff();
    builder.add_topics();
    builder.add_groups();
    builder.add_trainers()?;
    builder.add_events()?;
    builder.add_meetings();
    builder.add_requests()?;
    Ok(builder.plan)
}

impl Builder {
    fn add_user(&mut self, role: UserRole, created_at: DateTime<Utc>) -> Person {
        let (first, last) = self.names.draw(&mut self.rng);
        let name = format!("{first} {last}");
        let email = format!("{first}.{last}@example.org").to_lowercase();
        let id = Uuid::new_v4();
        self.plan.users.push(user::Model {
            id,
            email: Some(email.clone()),
            display_name: Some(name.clone()),
            password_hash: None,
            role,
            token_version: 0,
            erased_at: None,
            created_at,
            updated_at: created_at,
        });
        Person { id, name, email }
    }

    fn topic(&self, slug: &str) -> anyhow::Result<&TopicInfo> {
        self.topics
            .get(slug)
            .with_context(|| format!("demo tables name an unknown topic {slug:?}"))
    }

    fn group_index(&self, slug: &str) -> anyhow::Result<usize> {
        self.groups
            .iter()
            .position(|g| g.spec.slug == slug)
            .with_context(|| format!("demo tables name an unknown group {slug:?}"))
    }

    fn trainer(&self, index: usize) -> anyhow::Result<Uuid> {
        self.trainers
            .get(index)
            .copied()
            .with_context(|| format!("no demo trainer {index}"))
    }

    /// The admin, the coordinators and the supporters who belong to no group.
    fn add_staff(&mut self) {
        self.add_user(UserRole::Admin, self.cal.at(-900, 10, 0));
        for k in 0..COORDINATORS {
            let coordinator = self.add_user(UserRole::Coordinator, self.cal.at(-850 + 150 * k as i64, 10, 0));
            self.coordinators.push(coordinator.id);
        }
        for _ in 0..SUPPORTERS {
            let day = -self.rng.between(20, 600);
            let supporter = self.add_user(UserRole::Supporter, self.cal.at(day, 20, 15));
            self.supporters.push(supporter.id);
        }
    }

    fn add_topics(&mut self) {
        for (k, spec) in TOPICS.iter().enumerate() {
            let id = Uuid::new_v4();
            let created_at = self.cal.at(-800 + 10 * k as i64, 11, 0);
            self.plan.topics.push(topic::Model {
                id,
                slug: spec.slug.into(),
                name: spec.name.into(),
                description: spec.description.into(),
                typical_duration_minutes: spec.minutes,
                archived_at: None,
                created_at,
                updated_at: created_at,
            });
            self.topics.insert(spec.slug, TopicInfo { id, spec });
        }
    }

    /// Groups, each with one or two organisers, active members and a few
    /// pending ones.
    fn add_groups(&mut self) {
        for (k, spec) in GROUPS.iter().enumerate() {
            let age_days = 500 + 23 * k as i64;
            let created_at = self.cal.at(-age_days, 19, 30);
            let id = Uuid::new_v4();
            self.plan.groups.push(group::Model {
                id,
                slug: spec.slug.into(),
                name: spec.name.into(),
                region: spec.region.into(),
                description: spec.description.into(),
                contact_email: Some(format!("{}@groups.example.org", spec.slug)),
                archived_at: None,
                created_at,
                updated_at: created_at,
            });
            let mut info = GroupInfo {
                id,
                spec,
                organisers: Vec::new(),
                active: Vec::new(),
            };

            let organisers = 1 + usize::from(k % 3 == 0);
            for _ in 0..organisers {
                let person = self.add_user(UserRole::Supporter, created_at);
                self.add_membership(&person, id, MembershipRole::Organiser, created_at, true);
                info.organisers.push(person.id);
                info.active.push(person.id);
            }
            let active = 3 + self.rng.below(5);
            for _ in 0..active {
                let joined = self.cal.at(-self.rng.between(20, age_days - 1), 20, 0);
                let person = self.add_user(UserRole::Supporter, joined);
                self.add_membership(&person, id, MembershipRole::Member, joined, true);
                info.active.push(person.id);
            }
            let pending = usize::from(k % 4 == 1) + self.rng.below(2);
            for _ in 0..pending {
                let asked = self.cal.at(-self.rng.between(1, 12), 21, 0);
                let person = self.add_user(UserRole::Supporter, asked);
                self.add_membership(&person, id, MembershipRole::Member, asked, false);
            }
            self.groups.push(info);
        }
    }

    fn add_membership(
        &mut self,
        person: &Person,
        group_id: Uuid,
        role: MembershipRole,
        created_at: DateTime<Utc>,
        approved: bool,
    ) {
        let (status, approved_at) = if approved {
            (MembershipStatus::Active, Some(created_at + TimeDelta::hours(20)))
        } else {
            (MembershipStatus::Pending, None)
        };
        self.plan.memberships.push(membership::Model {
            id: Uuid::new_v4(),
            user_id: person.id,
            group_id,
            role,
            status,
            created_at,
            approved_at,
        });
    }

    fn add_trainers(&mut self) -> anyhow::Result<()> {
        for (k, spec) in TRAINERS.iter().enumerate() {
            let created_at = self.cal.at(-700 + 45 * k as i64, 12, 0);
            let person = self.add_user(UserRole::Supporter, created_at);
            self.plan.trainer_profiles.push(trainer_profile::Model {
                id: person.id,
                monthly_cap: spec.monthly_cap,
                created_at,
                updated_at: created_at,
            });
            for slug in spec.topics {
                let topic_id = self.topic(slug)?.id;
                self.plan.trainer_topics.push(trainer_topic::Model {
                    trainer_id: person.id,
                    topic_id,
                });
            }
            for region in spec.regions {
                self.plan.trainer_regions.push(trainer_region::Model {
                    trainer_id: person.id,
                    region: (*region).into(),
                });
            }
            self.trainers.push(person.id);
        }
        for &(trainer, first_day, days, note) in AWAY {
            let starts_at = self.cal.at(first_day, 0, 0);
            self.plan.unavailability.push(trainer_unavailability::Model {
                id: Uuid::new_v4(),
                trainer_id: self.trainer(trainer)?,
                starts_at,
                ends_at: self.cal.at(first_day + days, 0, 0),
                note: Some(note.into()),
                created_at: self.cal.listed(starts_at),
            });
        }
        Ok(())
    }

    /// The people who might RSVP: the group's active members first (all of
    /// them for a members-only event), then supporters and other members.
    fn rsvp_pool(&mut self, group: Option<usize>, visibility: EventVisibility) -> Vec<Uuid> {
        let mut own = group
            .and_then(|g| self.groups.get(g))
            .map(|g| g.active.clone())
            .unwrap_or_default();
        self.rng.shuffle(&mut own);
        if visibility == EventVisibility::Members {
            return own;
        }
        let mut others: Vec<Uuid> = self.supporters.clone();
        for (k, info) in self.groups.iter().enumerate() {
            if Some(k) != group {
                others.extend(&info.active);
            }
        }
        self.rng.shuffle(&mut others);
        own.extend(others);
        own
    }

    /// `count` RSVPs from the front of `pool`, spread between the listing and
    /// the start (or now); beyond the capacity they are waitlisted.
    fn add_rsvps(&mut self, event: &event::Model, pool: Vec<Uuid>, count: usize) {
        let until = event.starts_at.min(self.cal.now);
        let span = (until - event.created_at).num_minutes().max(0);
        let count = count.min(pool.len());
        let capacity = event.capacity.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(0));
        for (k, user_id) in pool.into_iter().take(count).enumerate() {
            let at = event.created_at + TimeDelta::minutes(span * (k as i64 + 1) / (count as i64 + 1));
            self.plan.rsvps.push(rsvp::Model {
                id: Uuid::new_v4(),
                event_id: event.id,
                user_id,
                status: if k < capacity {
                    RsvpStatus::Going
                } else {
                    RsvpStatus::Waitlisted
                },
                created_at: at,
                updated_at: at,
            });
        }
    }

    fn place(&self, group: Option<usize>, place: Place<'_>) -> (Option<String>, Option<String>, Option<String>) {
        match place {
            Place::Home => match group.and_then(|g| self.groups.get(g)) {
                Some(info) => (Some(info.spec.venue.into()), Some(info.spec.address.into()), None),
                None => (None, None, None),
            },
            Place::Venue(venue, address) => (Some(venue.into()), Some(address.into()), None),
            Place::Online(path) => (None, None, Some(format!("https://meet.example.org/{path}"))),
        }
    }

    fn add_events(&mut self) -> anyhow::Result<()> {
        for spec in EVENTS {
            let group = spec.group.map(|slug| self.group_index(slug)).transpose()?;
            let topic_id = spec.topic.map(|slug| self.topic(slug).map(|t| t.id)).transpose()?;
            let starts_at = uk_time(self.cal.week_day(spec.week, spec.weekday), spec.time.0, spec.time.1);
            let created_at = self.cal.listed(starts_at);
            let cancelled_at = spec.cancelled_day.map(|day| self.cal.at(day, 16, 45));
            let updated_at = match cancelled_at {
                Some(at) => at,
                None if spec.sequence > 0 => self.cal.edited(created_at),
                None => created_at,
            };
            let created_by = match group.and_then(|g| self.groups.get(g)) {
                Some(info) => info.organisers.first().copied(),
                None => self.coordinators.first().copied(),
            };
            let (venue, address, online_url) = self.place(group, spec.place);
            let event = event::Model {
                id: Uuid::new_v4(),
                title: spec.title.into(),
                description: spec.description.into(),
                starts_at,
                ends_at: starts_at + TimeDelta::minutes(spec.minutes),
                timezone: "Europe/London".into(),
                venue,
                address,
                online_url,
                kind: spec.kind,
                group_id: group.and_then(|g| self.groups.get(g)).map(|g| g.id),
                topic_id,
                visibility: spec.visibility,
                status: if cancelled_at.is_some() {
                    EventStatus::Cancelled
                } else {
                    EventStatus::Scheduled
                },
                sequence: spec.sequence + i32::from(cancelled_at.is_some()),
                capacity: spec.capacity,
                request_id: None,
                created_by,
                cancelled_at,
                created_at,
                updated_at,
            };
            let pool = self.rsvp_pool(group, spec.visibility);
            self.add_rsvps(&event, pool, spec.rsvps);
            self.plan.events.push(event);
        }
        Ok(())
    }

    /// Each group's monthly members' meeting, from two months back to three
    /// ahead: a fixed weekday and week of the month per group, alternately
    /// in person and online.
    fn add_meetings(&mut self) {
        const WEEKDAYS: [Weekday; 4] = [Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Mon];
        let earliest = self.cal.day(-92);
        let latest = self.cal.day(122);
        for g in 0..self.groups.len() {
            let weekday = WEEKDAYS[g % WEEKDAYS.len()];
            let nth = 1 + (g / WEEKDAYS.len() % 3) as u8;
            let (hour, minute) = if g % 2 == 0 { (18, 30) } else { (19, 0) };
            for month in -2..=3 {
                let (year, month_number) = add_months(self.cal.today, month);
                let Some(date) = NaiveDate::from_weekday_of_month_opt(year, month_number, weekday, nth) else {
                    continue;
                };
                if date < earliest || date > latest {
                    continue;
                }
                let (id, slug, organiser) = {
                    let info = &self.groups[g];
                    (info.id, info.spec.slug, info.organisers.first().copied())
                };
                let place = if month % 2 == 0 {
                    Place::Home
                } else {
                    Place::Online(slug)
                };
                let (venue, address, online_url) = self.place(Some(g), place);
                let online_url = online_url.map(|url| format!("{url}-monthly"));
                let starts_at = uk_time(date, hour, minute);
                let created_at = self.cal.listed(starts_at);
                let event = event::Model {
                    id: Uuid::new_v4(),
                    title: "Monthly organising meeting".into(),
                    description: "Members' meeting: news from the network, a casework round-up \
                                  (no names), and planning for the weeks ahead. Ask an organiser \
                                  about travel costs or childcare."
                        .into(),
                    starts_at,
                    ends_at: starts_at + TimeDelta::minutes(90),
                    timezone: "Europe/London".into(),
                    venue,
                    address,
                    online_url,
                    kind: EventKind::Meeting,
                    group_id: Some(id),
                    topic_id: None,
                    visibility: EventVisibility::Members,
                    status: EventStatus::Scheduled,
                    sequence: 0,
                    capacity: None,
                    request_id: None,
                    created_by: organiser,
                    cancelled_at: None,
                    created_at,
                    updated_at: created_at,
                };
                let pool = self.rsvp_pool(Some(g), EventVisibility::Members);
                let count = 2 + self.rng.below(pool.len().saturating_sub(1));
                self.add_rsvps(&event, pool, count);
                self.plan.events.push(event);
            }
        }
    }

    fn add_requests(&mut self) -> anyhow::Result<()> {
        let mut references = SplitMix64::new(SEED ^ REFERENCE_STREAM);
        let mut used = HashSet::new();
        for (k, spec) in REQUESTS.iter().enumerate() {
            let reference = reference(&mut references, &mut used);
            self.add_request(k, spec, reference)
                .with_context(|| format!("demo request {k}"))?;
        }
        Ok(())
    }

    fn add_request(&mut self, k: usize, spec: &RequestSpec, reference: String) -> anyhow::Result<()> {
        use RequestState::{Assigned, Cancelled, Confirmed, Declined, Delivered, Submitted, Withdrawn};

        let cal = self.cal;
        let id = Uuid::new_v4();
        let topic = *self.topic(spec.topic)?;
        let coordinator = self.coordinators[k % self.coordinators.len()];
        let submitted_at = cal.at(spec.submitted_day, 9 + (k % 9) as u32, 5 * (k % 12) as u32);
        let asker = self.asker(spec.requester, submitted_at)?;

        for &(first_day, days) in spec.windows {
            self.plan.windows.push(request_window::Model {
                id: Uuid::new_v4(),
                request_id: id,
                starts_at: cal.at(first_day, 9, 0),
                ends_at: cal.at(first_day + days - 1, 21, 30),
            });
        }

        // The history step by step, with the assignment and event it implies:
        // assigned a day after submission, answered a day after that.
        let transition = |from_state, to_state, actor: Uuid, note: &str, created_at| request_transition::Model {
            id: Uuid::new_v4(),
            request_id: id,
            from_state,
            to_state,
            actor_id: Some(actor),
            note: (!note.is_empty()).then(|| note.to_owned()),
            created_at,
        };
        let mut history = vec![transition(None, Submitted, asker.submitter, "", submitted_at)];
        let minute = 15 * (k % 4) as u32;
        let assigned_at = cal.at(spec.submitted_day + 1, 10 + (k % 6) as u32, minute);
        let answered_at = cal.at(spec.submitted_day + 2, 18 + (k % 3) as u32, minute);
        let ended_at = spec.ended.map(|(day, _)| cal.at(day, 11, 30));
        let mut slot_day = None;

        if let Some((trainer_index, slot)) = spec.trainer {
            let trainer_id = self.trainer(trainer_index)?;
            let &(first_day, _) = spec.windows.get(slot.window).context("slot outside the windows")?;
            let day = first_day + slot.day;
            slot_day = Some(day);
            let starts_at = cal.at(day, slot.hour, slot.minute);
            let ends_at = starts_at + TimeDelta::minutes(i64::from(topic.spec.minutes));
            let assign_note = "Proposed a trainer who covers the topic and is free in the window.";
            history.push(transition(
                Some(Submitted),
                Assigned,
                coordinator,
                assign_note,
                assigned_at,
            ));
            let status = if spec.state == Assigned {
                AssignmentStatus::Proposed
            } else if spec.trainer_declined {
                let note = "Declined by the trainer: no longer free that day.";
                history.push(transition(Some(Assigned), Submitted, trainer_id, note, answered_at));
                AssignmentStatus::Declined
            } else {
                history.push(transition(
                    Some(Assigned),
                    Confirmed,
                    trainer_id,
                    "Accepted.",
                    answered_at,
                ));
                AssignmentStatus::Accepted
            };
            self.plan.assignments.push(assignment::Model {
                id: Uuid::new_v4(),
                request_id: id,
                trainer_id,
                status,
                starts_at,
                ends_at,
                assigned_by: Some(coordinator),
                note: None,
                created_at: assigned_at,
                responded_at: (status != AssignmentStatus::Proposed).then_some(answered_at),
            });
            if status == AssignmentStatus::Accepted {
                let booking = Booking {
                    request_id: id,
                    trainer_id,
                    starts_at,
                    ends_at,
                    accepted_at: answered_at,
                    cancelled_at: ended_at.filter(|_| spec.state == Cancelled),
                };
                self.add_request_event(spec, &asker, topic, &reference, &booking);
            }
        }

        let ending = spec.ended.zip(ended_at);
        let (from, actor, note, at) = match (spec.state, ending) {
            (Submitted | Assigned | Confirmed, _) => (None, coordinator, "", submitted_at),
            (Delivered, _) => {
                let day = slot_day.context("a delivered request needs a slot")?;
                let note = "Delivered; feedback form sent to the requester.";
                (Some(Confirmed), coordinator, note, cal.at(day + 1, 10, 0))
            }
            (Cancelled, Some(((_, note), at))) => (Some(Confirmed), coordinator, note, at),
            (Declined, Some(((_, note), at))) => (Some(Submitted), coordinator, note, at),
            (Withdrawn, Some(((_, note), at))) => (Some(Submitted), asker.submitter, note, at),
            (state, None) => return Err(anyhow!("a {} request needs `ended`", state.as_str())),
        };
        if from.is_some() {
            history.push(transition(from, spec.state, actor, note, at));
        }
        let (last_state, last_at) = history
            .last()
            .map(|t| (t.to_state, t.created_at))
            .context("empty history")?;
        if last_state != spec.state {
            return Err(anyhow!(
                "history ends in {} instead of {}",
                last_state.as_str(),
                spec.state.as_str()
            ));
        }
        let ended = matches!(spec.state, Delivered | Declined | Withdrawn | Cancelled);

        self.plan.requests.push(request::Model {
            id,
            reference,
            kind: spec.kind,
            topic_id: topic.id,
            group_id: asker.group_id,
            organisation_name: asker.organisation,
            contact_name: asker.contact.as_ref().map(|c| c.name.clone()),
            contact_email: asker.contact.as_ref().map(|c| c.email.clone()),
            online: spec.online,
            town: Some(asker.town),
            postcode_area: Some(asker.postcode_area),
            expected_audience: spec.audience,
            notes: spec.notes.into(),
            state: spec.state,
            version: i32::try_from(history.len())?,
            submitted_by: Some(asker.submitter),
            decline_reason: (spec.state == Declined).then(|| note.to_owned()),
            ended_at: ended.then_some(last_at),
            contact_purged_at: None,
            created_at: submitted_at,
            updated_at: last_at,
        });
        self.plan.transitions.extend(history);
        Ok(())
    }

    /// Who asks: a group's first organiser, or an outside organisation's
    /// contact person, who gets a supporter account.
    fn asker(&mut self, requester: Requester, submitted_at: DateTime<Utc>) -> anyhow::Result<Asker> {
        match requester {
            Requester::Group(slug) => {
                let g = self.group_index(slug)?;
                let info = &self.groups[g];
                let submitter = info.organisers.first().copied().context("group without organiser")?;
                Ok(Asker {
                    group: Some(g),
                    group_id: Some(info.id),
                    name: info.spec.name.into(),
                    submitter,
                    organisation: None,
                    contact: None,
                    town: info.spec.town.into(),
                    postcode_area: info.spec.postcode_area.into(),
                })
            }
            Requester::Organisation {
                name,
                town,
                postcode_area,
            } => {
                let contact = self.add_user(UserRole::Supporter, submitted_at - TimeDelta::days(2));
                Ok(Asker {
                    group: None,
                    group_id: None,
                    name: name.into(),
                    submitter: contact.id,
                    organisation: Some(name.into()),
                    contact: Some(contact),
                    town: town.into(),
                    postcode_area: postcode_area.into(),
                })
            }
        }
    }

    /// The calendar event an accepted assignment creates, with its RSVPs.
    fn add_request_event(
        &mut self,
        spec: &RequestSpec,
        asker: &Asker,
        topic: TopicInfo,
        reference: &str,
        booking: &Booking,
    ) {
        let (venue, address, online_url) = if spec.online {
            let path = reference.to_lowercase();
            self.place(None, Place::Online(&path))
        } else if asker.group.is_some() {
            self.place(asker.group, Place::Home)
        } else {
            let address = format!("{} {}", asker.town, asker.postcode_area);
            (Some(asker.name.clone()), Some(address), None)
        };
        let (kind, title) = match spec.kind {
            RequestKind::Workshop => (EventKind::Workshop, format!("{} ({})", topic.spec.name, asker.name)),
            RequestKind::Speaker => (EventKind::Talk, format!("Talk: {} ({})", topic.spec.name, asker.name)),
        };
        let cancelled = booking.cancelled_at.is_some();
        let event = event::Model {
            id: Uuid::new_v4(),
            title,
            description: format!("{} Arranged through the network's requests.", topic.spec.description),
            starts_at: booking.starts_at,
            ends_at: booking.ends_at,
            timezone: "Europe/London".into(),
            venue,
            address,
            online_url,
            kind,
            group_id: asker.group_id,
            topic_id: Some(topic.id),
            visibility: spec.visibility,
            status: if cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Scheduled
            },
            sequence: i32::from(cancelled),
            capacity: spec.capacity,
            request_id: Some(booking.request_id),
            created_by: Some(booking.trainer_id),
            cancelled_at: booking.cancelled_at,
            created_at: booking.accepted_at,
            updated_at: booking.cancelled_at.unwrap_or(booking.accepted_at),
        };
        let pool = self.rsvp_pool(asker.group, spec.visibility);
        self.add_rsvps(&event, pool, spec.rsvps);
        self.plan.events.push(event);
    }
}

/// Who asked for a request.
struct Asker {
    /// Index into the builder's groups, for a group's own request.
    group: Option<usize>,
    group_id: Option<Uuid>,
    /// The group's or the organisation's name.
    name: String,
    submitter: Uuid,
    organisation: Option<String>,
    /// An organisation's contact person (a group's request has none).
    contact: Option<Person>,
    town: String,
    postcode_area: String,
}

/// An accepted assignment: what its event is made from.
struct Booking {
    request_id: Uuid,
    trainer_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    accepted_at: DateTime<Utc>,
    cancelled_at: Option<DateTime<Utc>>,
}

/// The year and month `months` months after `date`'s.
fn add_months(date: NaiveDate, months: i32) -> (i32, u32) {
    let index = date.year() * 12 + date.month0() as i32 + months;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use anyhow::{Context, ensure};
    use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
    use entity::{AssignmentStatus, EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus};
    use entity::{RequestKind, RequestState, RsvpStatus, UserRole};
    use sea_orm::{DatabaseConnection, Iterable};
    use uuid::Uuid;

    use super::{Plan, REFERENCE_ALPHABET, REFERENCE_STREAM, SEED, SplitMix64, build, reference, uk_time};

    fn instant(y: i32, m: u32, d: u32, h: u32, min: u32) -> anyhow::Result<DateTime<Utc>> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .context("valid instant")
    }

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn references_are_repeatable_unique_and_unambiguous() {
        let draw = || {
            let mut rng = SplitMix64::new(SEED ^ REFERENCE_STREAM);
            let mut used = HashSet::new();
            (0..500).map(|_| reference(&mut rng, &mut used)).collect::<Vec<_>>()
        };
        let first = draw();
        assert_eq!(first, draw());
        assert_eq!(first.iter().collect::<HashSet<_>>().len(), first.len());
        for r in &first {
            assert_eq!(r.len(), 10, "{r}");
            assert!(r.starts_with("REQ-"), "{r}");
            assert!(r.bytes().skip(4).all(|b| REFERENCE_ALPHABET.contains(&b)), "{r}");
        }
    }

    #[test]
    fn uk_times_follow_british_summer_time() -> anyhow::Result<()> {
        // In 2026 BST runs from Sunday 29 March to Sunday 25 October.
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).context("valid date");
        assert_eq!(uk_time(date(3, 28)?, 10, 0), instant(2026, 3, 28, 10, 0)?);
        assert_eq!(uk_time(date(3, 29)?, 10, 0), instant(2026, 3, 29, 9, 0)?);
        assert_eq!(uk_time(date(7, 1)?, 18, 30), instant(2026, 7, 1, 17, 30)?);
        assert_eq!(uk_time(date(10, 24)?, 10, 0), instant(2026, 10, 24, 9, 0)?);
        assert_eq!(uk_time(date(10, 25)?, 10, 0), instant(2026, 10, 25, 10, 0)?);
        assert_eq!(uk_time(date(12, 1)?, 18, 30), instant(2026, 12, 1, 18, 30)?);
        Ok(())
    }

    /// Everything about a plan except its random UUIDs.
    fn fingerprint(plan: &Plan) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(
            plan.users
                .iter()
                .map(|u| format!("{:?} {:?} {}", u.email, u.role, u.created_at)),
        );
        lines.extend(
            plan.groups
                .iter()
                .map(|g| format!("{} {} {}", g.slug, g.region, g.created_at)),
        );
        lines.extend(
            plan.memberships
                .iter()
                .map(|m| format!("{:?} {:?} {}", m.role, m.status, m.created_at)),
        );
        lines.extend(
            plan.unavailability
                .iter()
                .map(|u| format!("{} {}", u.starts_at, u.ends_at)),
        );
        lines.extend(plan.events.iter().map(|e| {
            format!(
                "{} {} {:?} {:?} {} {:?}",
                e.title, e.starts_at, e.status, e.venue, e.sequence, e.online_url
            )
        }));
        lines.extend(plan.rsvps.iter().map(|r| format!("{:?} {}", r.status, r.created_at)));
        lines.extend(
            plan.requests
                .iter()
                .map(|r| format!("{} {:?} {} {:?}", r.reference, r.state, r.version, r.contact_name)),
        );
        lines.extend(
            plan.transitions
                .iter()
                .map(|t| format!("{:?} {:?} {}", t.from_state, t.to_state, t.created_at)),
        );
        lines.extend(
            plan.assignments
                .iter()
                .map(|a| format!("{:?} {} {}", a.status, a.starts_at, a.ends_at)),
        );
        lines
    }

    #[test]
    fn two_builds_give_the_same_network() -> anyhow::Result<()> {
        let now = instant(2026, 11, 22, 14, 7)?;
        let (first, second) = (build(now)?, build(now)?);
        assert_eq!(fingerprint(&first), fingerprint(&second));
        assert_ne!(first.users[0].id, second.users[0].id, "ids are random, the rest is not");
        Ok(())
    }

    #[test]
    fn the_plan_is_consistent_whatever_the_date() -> anyhow::Result<()> {
        let start = instant(2026, 1, 1, 12, 0)?;
        for step in 0..40 {
            // Every 19 days and 5 hours: all seasons, weekdays and hours.
            let now = start + TimeDelta::hours(step * (19 * 24 + 5));
            check(&build(now)?, now).with_context(|| format!("now = {now}"))?;
        }
        Ok(())
    }

    fn check(plan: &Plan, now: DateTime<Utc>) -> anyhow::Result<()> {
        check_people(plan)?;
        check_events(plan, now)?;
        check_requests(plan, now)?;
        check_trainers(plan)
    }

    fn check_people(plan: &Plan) -> anyhow::Result<()> {
        ensure!(plan.groups.len() == 16 && plan.topics.len() == 8 && plan.trainer_profiles.len() >= 8);
        let regions: HashSet<_> = plan.groups.iter().map(|g| g.region.as_str()).collect();
        ensure!(regions.contains("Scotland") && regions.contains("Wales") && regions.len() >= 10);
        let emails: HashSet<_> = plan.users.iter().filter_map(|u| u.email.as_deref()).collect();
        ensure!(emails.len() == plan.users.len(), "emails are unique");
        ensure!(
            emails
                .iter()
                .all(|e| e.ends_with("@example.org") && *e == e.to_lowercase())
        );
        ensure!(
            plan.users
                .iter()
                .all(|u| u.password_hash.is_none() && u.display_name.is_some())
        );
        let names: HashSet<_> = plan.users.iter().filter_map(|u| u.display_name.as_deref()).collect();
        ensure!(names.len() == plan.users.len(), "names are unique");
        let roles = |role| plan.users.iter().filter(|u| u.role == role).count();
        ensure!(roles(UserRole::Admin) == 1 && roles(UserRole::Coordinator) >= 2);
        for group in &plan.groups {
            let contact = group.contact_email.as_deref().unwrap_or_default();
            ensure!(contact == format!("{}@groups.example.org", group.slug));
            ensure!(plan.memberships.iter().any(|m| m.group_id == group.id
                && m.role == MembershipRole::Organiser
                && m.status == MembershipStatus::Active));
        }
        ensure!(plan.memberships.iter().any(|m| m.status == MembershipStatus::Pending));
        for m in &plan.memberships {
            ensure!((m.status == MembershipStatus::Active) == m.approved_at.is_some());
        }
        let pairs: HashSet<_> = plan.memberships.iter().map(|m| (m.user_id, m.group_id)).collect();
        ensure!(pairs.len() == plan.memberships.len());
        Ok(())
    }

    fn check_events(plan: &Plan, now: DateTime<Utc>) -> anyhow::Result<()> {
        let kinds: HashSet<_> = plan.events.iter().map(|e| e.kind).collect();
        ensure!(
            EventKind::iter().all(|k| kinds.contains(&k)),
            "every event kind is used"
        );
        ensure!(plan.events.iter().any(|e| e.visibility == EventVisibility::Public));
        ensure!(plan.events.iter().any(|e| e.starts_at < now) && plan.events.iter().any(|e| e.starts_at > now));
        ensure!(
            plan.events
                .iter()
                .filter(|e| e.status == EventStatus::Cancelled)
                .count()
                >= 3
        );
        let members: HashMap<Uuid, HashSet<Uuid>> = plan
            .groups
            .iter()
            .map(|g| {
                let active = plan
                    .memberships
                    .iter()
                    .filter(|m| m.group_id == g.id && m.status == MembershipStatus::Active);
                (g.id, active.map(|m| m.user_id).collect())
            })
            .collect();
        let mut seen = HashSet::new();
        for e in &plan.events {
            ensure!(e.starts_at < e.ends_at && e.timezone == "Europe/London", "{}", e.title);
            ensure!(e.starts_at > now - TimeDelta::days(100) && e.starts_at < now + TimeDelta::days(125));
            ensure!(e.created_at <= e.updated_at && e.updated_at <= now && e.created_at < e.starts_at);
            ensure!(
                (e.status == EventStatus::Cancelled) == e.cancelled_at.is_some(),
                "{}",
                e.title
            );
            ensure!(e.cancelled_at.is_none() || e.sequence >= 1, "{}", e.title);
            ensure!(e.venue.is_some() || e.online_url.is_some(), "{}", e.title);
            ensure!(
                e.online_url
                    .as_deref()
                    .is_none_or(|u| u.starts_with("https://meet.example.org/"))
            );
            ensure!(
                e.visibility == EventVisibility::Public || e.group_id.is_some(),
                "{}",
                e.title
            );
            let rsvps: Vec<_> = plan.rsvps.iter().filter(|r| r.event_id == e.id).collect();
            let going = rsvps.iter().filter(|r| r.status == RsvpStatus::Going).count();
            let capacity = e.capacity.map_or(usize::MAX, |c| c as usize);
            ensure!(going <= capacity, "{}: {going} going", e.title);
            ensure!(
                going == rsvps.len() || going == capacity,
                "{}: waitlist with free places",
                e.title
            );
            for r in &rsvps {
                ensure!(seen.insert((r.event_id, r.user_id)), "one RSVP per person and event");
                ensure!(r.created_at >= e.created_at && r.created_at <= now);
                if e.visibility == EventVisibility::Members {
                    let group = e.group_id.and_then(|g| members.get(&g)).context("group")?;
                    ensure!(group.contains(&r.user_id), "{}: RSVP from a non-member", e.title);
                }
            }
        }
        ensure!(plan.rsvps.iter().any(|r| r.status == RsvpStatus::Waitlisted));
        Ok(())
    }

    fn check_requests(plan: &Plan, now: DateTime<Utc>) -> anyhow::Result<()> {
        use RequestState::{Assigned, Cancelled, Confirmed, Declined, Delivered, Submitted, Withdrawn};

        let states: HashSet<_> = plan.requests.iter().map(|r| r.state).collect();
        ensure!(
            RequestState::iter().all(|s| states.contains(&s)),
            "every request state is used"
        );
        ensure!(plan.requests.iter().any(|r| r.group_id.is_some()));
        ensure!(plan.requests.iter().any(|r| r.organisation_name.is_some()));
        let references: HashSet<_> = plan.requests.iter().map(|r| r.reference.as_str()).collect();
        ensure!(references.len() == plan.requests.len());
        let covers: HashSet<_> = plan.trainer_topics.iter().map(|t| (t.trainer_id, t.topic_id)).collect();
        for r in &plan.requests {
            let what = &r.reference;
            match (r.group_id, &r.organisation_name) {
                (Some(group), None) => ensure!(plan.memberships.iter().any(|m| m.group_id == group
                    && Some(m.user_id) == r.submitted_by
                    && m.role == MembershipRole::Organiser)),
                (None, Some(_)) => {
                    ensure!(r.contact_name.is_some(), "{what}");
                    ensure!(
                        r.contact_email.as_deref().is_some_and(|e| e.ends_with("@example.org")),
                        "{what}"
                    );
                }
                _ => anyhow::bail!("{what}: a group or an organisation, not both"),
            }
            let windows: Vec<_> = plan.windows.iter().filter(|w| w.request_id == r.id).collect();
            ensure!((1..=3).contains(&windows.len()), "{what}");
            ensure!(
                windows
                    .iter()
                    .all(|w| w.starts_at < w.ends_at && w.starts_at > r.created_at),
                "{what}"
            );

            let history: Vec<_> = plan.transitions.iter().filter(|t| t.request_id == r.id).collect();
            ensure!(r.version as usize == history.len(), "{what}: version");
            let mut previous = None;
            let mut last_at = r.created_at - TimeDelta::seconds(1);
            for t in &history {
                ensure!(
                    t.from_state == previous && t.created_at > last_at && t.created_at <= now,
                    "{what}"
                );
                ensure!(t.actor_id.is_some(), "{what}");
                previous = Some(t.to_state);
                last_at = t.created_at;
            }
            ensure!(
                history
                    .first()
                    .is_some_and(|t| t.to_state == Submitted && t.created_at == r.created_at)
            );
            ensure!(previous == Some(r.state) && r.updated_at == last_at, "{what}: history");
            let ended = matches!(r.state, Delivered | Declined | Withdrawn | Cancelled);
            ensure!(r.ended_at == ended.then_some(last_at), "{what}: ended_at");
            ensure!(
                (r.state == Declined) == r.decline_reason.is_some(),
                "{what}: decline reason"
            );

            let assignments: Vec<_> = plan.assignments.iter().filter(|a| a.request_id == r.id).collect();
            let events: Vec<_> = plan.events.iter().filter(|e| e.request_id == Some(r.id)).collect();
            let expected = match r.state {
                Assigned => Some(AssignmentStatus::Proposed),
                Confirmed | Delivered | Cancelled => Some(AssignmentStatus::Accepted),
                Submitted | Declined | Withdrawn => None,
            };
            if let Some(status) = expected {
                ensure!(
                    assignments.len() == 1 && assignments[0].status == status,
                    "{what}: assignment"
                );
            } else {
                ensure!(
                    assignments.iter().all(|a| a.status == AssignmentStatus::Declined),
                    "{what}"
                );
            }
            for a in &assignments {
                ensure!(
                    covers.contains(&(a.trainer_id, r.topic_id)),
                    "{what}: trainer covers the topic"
                );
                ensure!(
                    windows
                        .iter()
                        .any(|w| w.starts_at <= a.starts_at && a.ends_at <= w.ends_at),
                    "{what}"
                );
                ensure!(a.created_at > r.created_at && a.responded_at.is_none_or(|t| t > a.created_at));
            }
            if expected == Some(AssignmentStatus::Accepted) {
                let (a, e) = (assignments[0], events.first().context("accepted without an event")?);
                ensure!(
                    events.len() == 1 && e.starts_at == a.starts_at && e.ends_at == a.ends_at,
                    "{what}"
                );
                let kind = if r.kind == RequestKind::Speaker {
                    EventKind::Talk
                } else {
                    EventKind::Workshop
                };
                ensure!(
                    e.kind == kind && e.topic_id == Some(r.topic_id) && e.group_id == r.group_id,
                    "{what}"
                );
                ensure!(
                    (r.state == Cancelled) == (e.status == EventStatus::Cancelled),
                    "{what}: event status"
                );
                match r.state {
                    Confirmed => ensure!(e.starts_at > now, "{what}: confirmed in the future"),
                    Delivered => ensure!(e.ends_at < last_at, "{what}: delivered after the event"),
                    _ => ensure!(e.sequence >= 1 && e.cancelled_at == r.ended_at, "{what}"),
                }
            } else {
                ensure!(events.is_empty(), "{what}: no event before acceptance");
            }
        }
        Ok(())
    }

    fn check_trainers(plan: &Plan) -> anyhow::Result<()> {
        for t in &plan.topics {
            ensure!(
                plan.trainer_topics.iter().any(|c| c.topic_id == t.id),
                "{} has a trainer",
                t.slug
            );
        }
        for p in &plan.trainer_profiles {
            ensure!((2..=6).contains(&p.monthly_cap));
            ensure!(plan.trainer_regions.iter().any(|r| r.trainer_id == p.id));
            let busy: Vec<_> = plan
                .assignments
                .iter()
                .filter(|a| a.trainer_id == p.id && a.status != AssignmentStatus::Declined)
                .collect();
            for (i, a) in busy.iter().enumerate() {
                for b in &busy[i + 1..] {
                    ensure!(
                        a.ends_at <= b.starts_at || b.ends_at <= a.starts_at,
                        "double-booked trainer"
                    );
                }
                for u in plan.unavailability.iter().filter(|u| u.trainer_id == p.id) {
                    ensure!(
                        a.ends_at <= u.starts_at || u.ends_at <= a.starts_at,
                        "booked while away"
                    );
                }
                let month = |x: &entity::assignment::Model| (x.starts_at.year(), x.starts_at.month());
                let in_month = busy.iter().filter(|b| month(b) == month(a)).count();
                ensure!(in_month <= p.monthly_cap as usize, "over the monthly cap");
            }
        }
        ensure!(plan.unavailability.iter().all(|u| u.starts_at < u.ends_at));
        Ok(())
    }

    /// `muster seed-demo` may run inside a spawned task.
    #[allow(dead_code)]
    fn seed_demo_is_send(db: &DatabaseConnection) {
        fn send<T: Send>(_: &T) {}
        send(&super::seed_demo(db, Utc::now()));
    }
}
