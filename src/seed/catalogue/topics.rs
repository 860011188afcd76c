//! The topic catalogue, and the trainers who teach it with their regions and
//! unavailable periods.

pub(in crate::seed) struct TopicSpec {
    pub(in crate::seed) slug: &'static str,
    pub(in crate::seed) name: &'static str,
    pub(in crate::seed) description: &'static str,
    pub(in crate::seed) minutes: i32,
}

/// The catalogue of workshops and talks.
pub(in crate::seed) const TOPICS: &[TopicSpec] = &[
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

pub(in crate::seed) struct TrainerSpec {
    pub(in crate::seed) regions: &'static [&'static str],
    pub(in crate::seed) topics: &'static [&'static str],
    pub(in crate::seed) monthly_cap: i32,
}

/// Trainers, referred to by index in [`AWAY`] and [`REQUESTS`](super::REQUESTS).
pub(in crate::seed) const TRAINERS: &[TrainerSpec] = &[
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
pub(in crate::seed) const AWAY: &[(usize, i64, i64, &str)] = &[
    (0, 14, 7, "Annual leave"),
    (5, 3, 3, "Night shifts"),
    (2, 30, 14, "Away"),
    (7, -10, 4, "Conference"),
    (3, 50, 7, "Family commitments"),
];
