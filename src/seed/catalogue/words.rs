//! The word lists a scaled network (`seed-demo --scale N`) is made from:
//! invented towns and organisations, venues, event titles, descriptions,
//! request notes and reasons. Some deliberately hold commas, semicolons,
//! line breaks and non-ASCII letters (Welsh place names, "Café"), because
//! calendar feeds must escape them.

/// Regions as groups, trainers and requests name them, in the order the
/// scaled network's extra groups go round them.
pub(in crate::seed) const REGIONS: &[&str] = &[
    "London",
    "Wales",
    "North West",
    "Scotland",
    "Yorkshire and the Humber",
    "West Midlands",
    "South East",
    "South West",
    "East Midlands",
    "North East",
    "East of England",
];

/// The region most requests, and most trainers, come from: a
/// `suggestTrainers` benchmark finds many candidates for its requests.
pub(in crate::seed) const BUSIEST_REGION: &str = "London";
/// The topic nearly every trainer can give: the starting point for any
/// audience.
pub(in crate::seed) const COMMON_TOPIC: &str = "intro-nhs-charging";

/// Invented town names: a first part and an ending, by country.
pub(in crate::seed) const ENGLISH_TOWN: (&[&str], &[&str]) = (
    &[
        "Wren",
        "Curlew",
        "Heron",
        "Lapwing",
        "Plover",
        "Bittern",
        "Linnet",
        "Merlin",
        "Sorrel",
        "Teasel",
        "Yarrow",
        "Bramble",
        "Larch",
        "Rowan",
        "Tansy",
        "Marram",
        "Dunlin",
        "Fieldfare",
        "Redpoll",
        "Woodruff",
    ],
    &[
        "bridge", "ford", "wick", "ham", "ton", "by", "mouth", "stow", "holme", "thwaite", "combe", "haven", "leigh",
        "borough", "well", "dale", "minster", "field",
    ],
);
pub(in crate::seed) const SCOTTISH_TOWN: (&[&str], &[&str]) = (
    &["Kil", "Inver", "Strath", "Dun", "Auchter", "Bal", "Glen", "Kin"],
    &[
        "corran", "morven", "fennick", "selkie", "ruthie", "brannoch", "keld", "dorran", "tullie", "garrow",
    ],
);
pub(in crate::seed) const WELSH_TOWN: (&[&str], &[&str]) = (
    &["Aber", "Llan", "Pont", "Cwm", "Tre", "Pen", "Caer", "Bryn"],
    &[
        "dŵr", "môr", "glân", "wen", "eithin", "rhedyn", "helyg", "onnen", "tŷ-gwyn", "bedw",
    ],
);
/// Added to a town name once every name of its country is taken.
pub(in crate::seed) const DISTRICTS: &[&str] = &["North", "South", "East", "West", "Central", "Old Town"];

pub(in crate::seed) const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Market Street",
    "Park Road",
    "Victoria Road",
    "Chapel Street",
    "Union Street",
    "Queen Street",
];
pub(in crate::seed) const WELSH_STREETS: &[&str] = &["Heol y Bont", "Stryd Fawr", "Heol yr Eglwys", "Ffordd y Môr"];

/// What a generated group says about itself; `{town}` is its town.
pub(in crate::seed) const GROUP_DESCRIPTIONS: &[&str] = &[
    "Health workers, students and neighbours in {town} campaigning to end NHS charging.",
    "{town}'s group: we support people who are charged or refused care, and push the local trust to stop \
     upfront charging.",
    "We train advice workers in {town} in the Patients Not Passports toolkit, and organise with hospital staff.",
    "Campaigning in {town} for a health service free at the point of use, for everyone; new members always \
     welcome.",
    "{town} members run Safe Surgeries sessions with GP practices and keep a watch on charging at the hospital.",
];

/// A group's usual venue and its second venue; `{town}` is its town.
pub(in crate::seed) const HOME_VENUES: &[&str] = &[
    "{town} Community Centre",
    "{town} Library, meeting room",
    "{town} Quaker Meeting House",
    "{town} Trades Hall, upstairs room",
    "The Old Fire Station, {town}",
];
pub(in crate::seed) const WELSH_HOME_VENUES: &[&str] = &["Canolfan Gymunedol {town}", "Neuadd y Dref, {town}"];
pub(in crate::seed) const OTHER_VENUES: &[&str] = &[
    "Café Morwen, back room",
    "St Anne's Church Hall",
    "Students' Union, room 3",
    "The Crown and Anchor, upstairs",
    "{town} Arts Centre, studio 2",
    "Café Ffynnon, Heol y Bont",
];
/// Where days of action and stalls happen.
pub(in crate::seed) const OUTDOOR_VENUES: &[&str] = &[
    "Outside {town} General Hospital",
    "{town} market square",
    "{town} station forecourt",
    "Outside the town hall, {town}",
];

/// Who a training is for.
pub(in crate::seed) const AUDIENCES: &[&str] = &[
    "advice workers",
    "health workers",
    "students",
    "new members",
    "GP practice staff",
    "union reps",
    "community groups",
];

/// Titles by kind of event; `{topic}` is the topic's name, `{town}` the
/// group's town, `{audience}` one of [`AUDIENCES`].
pub(in crate::seed) const WORKSHOP_TITLES: &[&str] = &[
    "{topic}: workshop",
    "Drop-in workshop: {topic}",
    "{topic} ({town})",
    "{topic}: a workshop for {audience}",
];
pub(in crate::seed) const TALK_TITLES: &[&str] = &[
    "Talk: {topic}",
    "{topic}: an evening talk",
    "Public meeting in {town}: {topic}",
    "Lunchtime talk for {audience}: {topic}",
];
pub(in crate::seed) const TRAINING_TITLES: &[&str] = &[
    "{topic} training for {audience}",
    "Online training: {topic}",
    "Trainers' day: {topic}",
];
pub(in crate::seed) const MEETING_TITLES: &[&str] = &[
    "Monthly organising meeting",
    "Members' meeting: planning the next campaign",
    "Organisers' catch-up",
    "Casework round-up (members only)",
    "Members' meeting: our joint letter to the trust",
];
pub(in crate::seed) const ACTION_TITLES: &[&str] = &[
    "Stall and petition: scrap upfront NHS charges",
    "Day of action: Patients Not Passports",
    "Leafleting: know your rights at {town} station",
    "Vigil: care without borders",
    "Stall: GP registration is for everyone",
    "Banner drop: #StopSharing",
];
pub(in crate::seed) const OTHER_TITLES: &[&str] = &[
    "Quiz night fundraiser",
    "Film screening and discussion: care without borders",
    "Joint letter evening",
    "Social: food and a catch-up",
    "Bake sale for the hardship fund",
    "New members' welcome evening",
];

/// What meetings, actions and socials are about (events with a topic use
/// the topic's description).
pub(in crate::seed) const MEETING_DESCRIPTIONS: &[&str] = &[
    "Members' meeting: news from the network, a casework round-up (no names), and planning for the weeks \
     ahead.",
    "Organisers and anyone who wants to help: the agenda is on the members' page; add to it.",
];
pub(in crate::seed) const ACTION_DESCRIPTIONS: &[&str] = &[
    "Come and help with the petition stall for an hour or the whole morning. Leaflets and clipboards provided.",
    "Leaflets in five languages on which NHS care is free, and on registering with a GP without ID.",
    "Stalls, leafleting and vigils outside hospitals and GP surgeries, calling for an end to NHS charging.",
];
pub(in crate::seed) const OTHER_DESCRIPTIONS: &[&str] = &[
    "Teams of up to six; all money raised goes to the hardship fund for people facing NHS bills.",
    "A short documentary about patients refused care, followed by a discussion with local health workers.",
    "We draft the joint letter to the trust and share out the organisations to approach for signatures.",
];
/// Practical notes added to some descriptions.
pub(in crate::seed) const EXTRAS: &[&str] = &[
    "Tea, coffee and cake from 18:15; step-free access.",
    "Interpreters on request: Arabic, Farsi, Tigrinya.",
    "Bring a friend, a colleague, or both.\nEveryone welcome; no experience needed.",
    "Meet at the Café first, then we walk over together; banners provided.",
    "Suggested donation £3; nobody turned away.",
    "Childcare available; ask an organiser by Thursday.",
    "Notes from the last meeting are on the members' page; read them first, if you can.",
];
/// Added to the descriptions of Welsh groups' events.
pub(in crate::seed) const WELSH_EXTRA: &str = "Croeso i bawb — everyone welcome; sessions in Welsh and English.";

/// Outside organisations that ask for speakers and workshops; `{town}` is
/// their town, `{street}` an invented surname.
pub(in crate::seed) const ORGANISATIONS: &[&str] = &[
    "{town} Trades Union Council",
    "{town} University Global Health Society",
    "{town} Refugee and Migrant Forum",
    "{street} Road Surgery",
    "{town} Hospitals Staff Network",
    "{town} Student Nurses' Society",
    "{town} Migrant Women's Network",
    "{town} Community Kitchen",
    "{town} Advice Centre",
    "{street} Lane Medical Practice",
];

pub(in crate::seed) const REQUEST_NOTES: &[&str] = &[
    "An evening session for our members and two community groups we work with.",
    "Lunchtime suits the practice staff best, 12:30 to 13:30.",
    "Several people will need interpreting (Arabic, Tigrinya); the venue is step-free.",
    "Twenty minutes and questions at our monthly meeting; any of these dates.",
    "Online, so people on placement or on shifts can join.",
    "A Saturday morning; a creche is booked.",
    "For new members who joined this term.",
    "Open to members and local advice workers; we expect a full room.",
];
pub(in crate::seed) const DECLINE_REASONS: &[&str] = &[
    "No trainer who covers this topic is free in your windows. Please ask again with later dates.",
    "The network does not train staff to carry out eligibility or immigration checks; we have sent the \
     Patients Not Passports toolkit instead.",
    "This is better served by the online training; we have sent you the link.",
];
pub(in crate::seed) const WITHDRAW_NOTES: &[&str] = &[
    "Our meeting has been merged with a partner's event; no speaker needed.",
    "We have found a local advice service to run this for us.",
    "The venue is no longer available; we will ask again.",
];
pub(in crate::seed) const CANCEL_NOTES: &[&str] = &[
    "The venue has closed for repairs; the group will ask again in spring.",
    "The meeting was called off; they will book again.",
    "Too few people signed up; postponed to next term.",
];
pub(in crate::seed) const FEEDBACK: &[&str] = &[
    "Very useful; people asked for the toolkit afterwards.",
    "Good questions from the floor; two people want to join the group.",
    "A full room, and a request for a follow-up session.",
];
pub(in crate::seed) const AWAY_NOTES: &[&str] = &[
    "Annual leave",
    "Night shifts",
    "Away",
    "Conference",
    "Family commitments",
    "Exams",
];

/// How often each topic is asked for, and given, relative to the others.
pub(in crate::seed) const TOPIC_WEIGHTS: &[(&str, usize)] = &[
    ("intro-nhs-charging", 4),
    ("patients-not-passports-toolkit", 3),
    ("nurse-not-border-guard", 2),
    ("stop-sharing", 2),
    ("safe-surgeries", 2),
    ("know-your-rights", 3),
    ("starting-a-local-campaign", 1),
    ("organising-a-demonstration", 1),
];

/// Titles of events that belong to no group.
pub(in crate::seed) const NATIONAL_TITLES: &[&str] =
    &["Webinar: {topic}", "Online training: {topic}", "Network call: {topic}"];
