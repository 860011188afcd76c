//! Speaker and workshop requests, at least one in every state, with the
//! trainer and slot of each assignment.

use entity::{EventVisibility, RequestKind, RequestState};

/// Who asks for a speaker or a workshop.
#[derive(Clone, Copy)]
pub(in crate::seed) enum Requester {
    /// A local group, by slug; one of its organisers submits it.
    Group(&'static str),
    /// An outside organisation; its contact person submits it from a
    /// supporter account.
    Organisation {
        name: &'static str,
        town: &'static str,
        postcode_area: &'static str,
        /// The region it is in, as groups and trainers name regions.
        region: &'static str,
    },
}

/// An assignment's slot: a day of one of the request's windows, a UK local
/// start time, and the topic's typical length.
#[derive(Clone, Copy)]
pub(in crate::seed) struct Slot {
    pub(in crate::seed) window: usize,
    pub(in crate::seed) day: i64,
    pub(in crate::seed) hour: u32,
    pub(in crate::seed) minute: u32,
}

pub(in crate::seed) struct RequestSpec {
    pub(in crate::seed) state: RequestState,
    pub(in crate::seed) kind: RequestKind,
    pub(in crate::seed) topic: &'static str,
    pub(in crate::seed) requester: Requester,
    pub(in crate::seed) online: bool,
    pub(in crate::seed) audience: Option<i32>,
    pub(in crate::seed) notes: &'static str,
    /// Day (from today, negative) it was submitted.
    pub(in crate::seed) submitted_day: i64,
    /// Preferred windows: first day (from today) and length in days.
    pub(in crate::seed) windows: &'static [(i64, i64)],
    /// The trainer (index into [`TRAINERS`](super::TRAINERS)) and slot,
    /// where one was assigned.
    pub(in crate::seed) trainer: Option<(usize, Slot)>,
    /// The trainer declined, putting the request back to SUBMITTED.
    pub(in crate::seed) trainer_declined: bool,
    /// Day it was declined, withdrawn or cancelled, with the reason.
    pub(in crate::seed) ended: Option<(i64, &'static str)>,
    /// The resulting event's visibility, capacity and RSVPs.
    pub(in crate::seed) visibility: EventVisibility,
    pub(in crate::seed) capacity: Option<i32>,
    pub(in crate::seed) rsvps: usize,
}

/// The notes of the steps every seeded history takes the same way.
pub(in crate::seed) const PROPOSED: &str = "Proposed a trainer who covers the topic and is free in the window.";
pub(in crate::seed) const TRAINER_DECLINED: &str = "Declined by the trainer: no longer free that day.";
pub(in crate::seed) const ACCEPTED: &str = "Accepted.";
pub(in crate::seed) const DELIVERED: &str = "Delivered; feedback form sent to the requester.";

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

/// Requests, at least one in every state. The builder's tests check that every
/// history is consistent and no trainer is double-booked.
pub(in crate::seed) const REQUESTS: &[RequestSpec] = &[
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
            region: "Yorkshire and the Humber",
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
            region: "East Midlands",
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
            region: "East of England",
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
            region: "West Midlands",
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
            region: "North East",
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
            region: "London",
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
            region: "Scotland",
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
            region: "South East",
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
            region: "East Midlands",
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
            region: "Yorkshire and the Humber",
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
