//! The local groups, and the invented names and head counts of the people in
//! them and around them.

pub(in crate::seed) struct GroupSpec {
    pub(in crate::seed) slug: &'static str,
    pub(in crate::seed) name: &'static str,
    pub(in crate::seed) region: &'static str,
    pub(in crate::seed) town: &'static str,
    pub(in crate::seed) postcode_area: &'static str,
    pub(in crate::seed) description: &'static str,
    pub(in crate::seed) venue: &'static str,
    pub(in crate::seed) address: &'static str,
}

/// The local groups. The first one's slug marks an already seeded database.
pub(in crate::seed) const GROUPS: &[GroupSpec] = &[
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

/// Invented first names and surnames: the combinations are nobody's name.
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Amara", "Bilal", "Ciara", "Dev", "Efua", "Farah", "Gethin", "Hana", "Ifeoma", "Jonah", "Kemi", "Lior", "Mairi",
    "Nasra", "Olek", "Priya", "Rhys", "Siobhan", "Tariq", "Una", "Wen", "Yusuf", "Zofia", "Ailsa", "Bronwen", "Catrin",
    "Declan", "Esi", "Femi", "Greta", "Hamza", "Isla", "Jude", "Kofi", "Leila", "Malik", "Niamh", "Oisin", "Rosa",
    "Sami",
];
pub(crate) const SURNAMES: &[&str] = &[
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
pub(in crate::seed) const SUPPORTERS: usize = 14;
pub(in crate::seed) const COORDINATORS: usize = 2;
