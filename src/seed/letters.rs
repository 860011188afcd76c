//! The demo's letters: a joint letter to the Department of Health and
//! Social Care signed by organisations and people, and the Safe Surgeries
//! pledge with GP practices across the regions. Every name is invented;
//! the demo's signatories give no email (they signed long ago, and the
//! demo holds no one's address). Ids are fixed, so the same day gives the
//! same rows.

use chrono::{DateTime, Duration, Utc};
use entity::{group, letter, letter_group, signature};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::domain::sealing::{self, Field};

const LETTER_ID: u128 = 0x001e_77e5_0000_0000_0000_0000_0000_0001;
const PLEDGE_ID: u128 = 0x001e_77e5_0000_0000_0000_0000_0000_0002;

const LETTER_TEXT: &str = "We, the undersigned organisations and people, ask the Department of Health and Social Care to end charging for NHS care for people because of their immigration status.\n\nWe ask you to stop sharing patients' data with the Home Office: nobody should fear that seeing a doctor will put them at risk.\n\nWe ask for an independent inquiry into the harm that charging and data sharing have done.";

const PLEDGE_TEXT: &str = "Our practice is a Safe Surgery. We register anyone who lives in our area, without asking for proof of identity, address or immigration status.\n\nOur staff are trained to welcome every patient, and we do not share patients' information with the Home Office.";

/// (name, kind, town, region)
const ORGANISATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "Riverside UNISON Health Branch",
        "UNION_BRANCH",
        "Leeds",
        "Yorkshire and the Humber",
    ),
    ("Northgate Migrant Support", "CHARITY", "Manchester", "North West"),
    ("Medsoc for Health Justice", "STUDENT_SOCIETY", "Glasgow", "Scotland"),
    ("Harbourside Refugee Welcome", "CHARITY", "Cardiff", "Wales"),
    (
        "Eastfield Trades Council",
        "OTHER",
        "Sheffield",
        "Yorkshire and the Humber",
    ),
    ("Westbrook Nurses' Branch", "UNION_BRANCH", "Bristol", "South West"),
];

const PRACTICES: &[(&str, &str, &str)] = &[
    ("Heron Road Surgery", "Cardiff", "Wales"),
    ("Millbank Health Centre", "Swansea", "Wales"),
    ("Canalside Medical Practice", "Manchester", "North West"),
    ("Elm Street Family Practice", "Liverpool", "North West"),
    ("Larkhill Surgery", "Leeds", "Yorkshire and the Humber"),
    ("Southside Medical Group", "Glasgow", "Scotland"),
    ("Parkway Practice", "Bristol", "South West"),
    ("Old Mill Surgery", "London", "London"),
];

/// (invented name, listed?)
const PEOPLE: &[(&str, bool)] = &[
    ("Ada Fenwick", true),
    ("Tomas Brindley", true),
    ("Noor Castell", false),
    ("Imogen Pask", true),
    ("Kwame Ardley", false),
    ("Lena Voss", false),
    ("Rafe Holloway", true),
    ("Sunita Marr", false),
];

fn id(base: u128, n: usize) -> Uuid {
    Uuid::from_u128(base + ((n as u128 + 1) << 32))
}

fn letter_row(
    id: Uuid,
    slug: &str,
    kind: &str,
    title: &str,
    body: &str,
    takes: &str,
    now: DateTime<Utc>,
) -> letter::ActiveModel {
    letter::ActiveModel {
        id: Set(id),
        slug: Set(slug.to_owned()),
        kind: Set(kind.to_owned()),
        title: Set(title.to_owned()),
        body: Set(body.to_owned()),
        addressee: Set("The Secretary of State for Health and Social Care".to_owned()),
        takes: Set(takes.to_owned()),
        status: Set("OPEN".to_owned()),
        opens_at: Set(None),
        closes_at: Set(None),
        ended_at: Set(None),
        signatures_purged_at: Set(None),
        created_by: Set(None),
        created_at: Set(now - Duration::days(40)),
        updated_at: Set(now - Duration::days(40)),
    }
}

#[allow(clippy::too_many_arguments)]
fn organisation(
    id: Uuid,
    letter_id: Uuid,
    name: &str,
    kind: &str,
    town: &str,
    region: &str,
    at: DateTime<Utc>,
) -> signature::ActiveModel {
    signature::ActiveModel {
        id: Set(id),
        letter_id: Set(letter_id),
        kind: Set("ORGANISATION".to_owned()),
        organisation: Set(Some(name.to_owned())),
        organisation_kind: Set(Some(kind.to_owned())),
        town: Set(Some(town.to_owned())),
        region: Set(Some(region.to_owned())),
        postcode_area: Set(None),
        name: Set(None),
        contact_name: Set(None),
        show_name: Set(false),
        email: Set(None),
        email_hash: Set(None),
        email_domain: Set(None),
        source_hash: Set(None),
        confirm_token_hash: Set(None),
        status: Set("CONFIRMED".to_owned()),
        approved_at: Set(Some(at + Duration::days(1))),
        signed_at: Set(at),
        confirmed_at: Set(Some(at)),
        invalidated_at: Set(None),
        created_at: Set(at),
        purged_at: Set(None),
    }
}

/// Writes the demo's letter and pledge, organised by the first two groups.
pub(super) async fn write(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), crate::error::Error> {
    let letter_id = Uuid::from_u128(LETTER_ID);
    let pledge_id = Uuid::from_u128(PLEDGE_ID);
    letter::Entity::insert_many([
        letter_row(
            letter_id,
            "stop-charging",
            "LETTER",
            "Stop charging, stop sharing: a joint letter to the Department of Health and Social Care",
            LETTER_TEXT,
            "BOTH",
            now,
        ),
        letter_row(
            pledge_id,
            "safe-surgeries",
            "PLEDGE",
            "The Safe Surgeries pledge",
            PLEDGE_TEXT,
            "ORGANISATIONS",
            now,
        ),
    ])
    .exec_without_returning(db)
    .await?;
    let organisers: Vec<Uuid> = group::Entity::find()
        .filter(group::Column::Slug.is_in(["leeds", "manchester"]))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    if !organisers.is_empty() {
        letter_group::Entity::insert_many(organisers.iter().flat_map(|g| {
            [letter_id, pledge_id].map(|l| letter_group::ActiveModel {
                letter_id: Set(l),
                group_id: Set(*g),
            })
        }))
        .exec_without_returning(db)
        .await?;
    }
    let mut rows = Vec::new();
    for (n, (name, kind, town, region)) in ORGANISATIONS.iter().enumerate() {
        let at = now - Duration::days(30 - n as i64);
        rows.push(organisation(id(LETTER_ID, n), letter_id, name, kind, town, region, at));
    }
    for (n, (name, town, region)) in PRACTICES.iter().enumerate() {
        let at = now - Duration::days(35 - 3 * n as i64);
        rows.push(organisation(
            id(PLEDGE_ID, n),
            pledge_id,
            name,
            "GP_PRACTICE",
            town,
            region,
            at,
        ));
    }
    for (n, (name, listed)) in PEOPLE.iter().enumerate() {
        let at = now - Duration::days(20 - n as i64);
        let row_id = id(LETTER_ID, 100 + n);
        let mut row = organisation(row_id, letter_id, "", "", "", "", at);
        row.kind = Set("INDIVIDUAL".to_owned());
        row.organisation = Set(None);
        row.organisation_kind = Set(None);
        row.town = Set(None);
        row.region = Set(None);
        row.approved_at = Set(None);
        row.name = Set(Some(sealing::seal(Field::SignatureName, row_id, name)?));
        row.show_name = Set(*listed);
        rows.push(row);
    }
    signature::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}
