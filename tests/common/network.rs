//! A small network with one person in every position of DESIGN.md's "Who
//! sees what" table, written straight to the database (no API calls), so
//! that tests can act as each of them.

use entity::{EventVisibility, MembershipRole, MembershipStatus, UserRole};
use muster::auth::jwt::TokenKeys;
use muster::fixtures::{
    EventBuilder, GroupBuilder, MembershipBuilder, RsvpBuilder, TopicBuilder, TrainerBuilder, UserBuilder,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    requests::{self, Ids, OUTSIDE_CONTACT_EMAIL, RequestFixture},
    test_secret,
};

/// Every persona's password.
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    Anonymous,
    Supporter,
    /// Active member of group Alpha.
    Member,
    /// Active organiser of group Alpha (its only one).
    Organiser,
    /// Active organiser of group Beta.
    OtherOrganiser,
    Trainer,
    Coordinator,
    Admin,
}

impl Persona {
    pub const ALL: [Persona; 8] = [
        Persona::Anonymous,
        Persona::Supporter,
        Persona::Member,
        Persona::Organiser,
        Persona::OtherOrganiser,
        Persona::Trainer,
        Persona::Coordinator,
        Persona::Admin,
    ];
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
}

/// The ids and emails of the network's rows.
#[derive(Debug, Clone)]
pub struct Network {
    pub alpha: Uuid,
    pub beta: Uuid,
    pub supporter: Person,
    pub member: Person,
    /// Asked to join Alpha, not yet approved.
    pub pending: Person,
    pub organiser: Person,
    pub other_organiser: Person,
    pub trainer: Person,
    pub coordinator: Person,
    pub admin: Person,
    /// A public event of Alpha next week, with room for 20; the member
    /// has a place.
    pub alpha_public_event: Uuid,
    /// A members-only event of Alpha next week.
    pub alpha_members_event: Uuid,
    /// A members-only event of Beta next week.
    pub beta_members_event: Uuid,
    /// A topic of the catalogue.
    pub topic: Uuid,
    /// An occurrence of a public weekly series of Alpha, for the tests that
    /// add one (`tests/authorization.rs`); nil otherwise.
    pub alpha_series_occurrence: Uuid,
    pub requests: RequestFixture,
    /// An open letter (`open-letter`) organised by Alpha, with one
    /// confirmed signature by an individual who is not listed.
    pub letter_signature: Uuid,
}

/// The address of the open letter's one signatory.
pub const SIGNATORY_EMAIL: &str = "signatory@outside.example.org";

impl Network {
    pub fn person(&self, persona: Persona) -> Option<&Person> {
        Some(match persona {
            Persona::Anonymous => return None,
            Persona::Supporter => &self.supporter,
            Persona::Member => &self.member,
            Persona::Organiser => &self.organiser,
            Persona::OtherOrganiser => &self.other_organiser,
            Persona::Trainer => &self.trainer,
            Persona::Coordinator => &self.coordinator,
            Persona::Admin => &self.admin,
        })
    }

    /// Every personal email in the network.
    pub fn emails(&self) -> Vec<&str> {
        [
            &self.supporter,
            &self.member,
            &self.pending,
            &self.organiser,
            &self.other_organiser,
            &self.trainer,
            &self.coordinator,
            &self.admin,
        ]
        .iter()
        .map(|p| p.email.as_str())
        .chain([OUTSIDE_CONTACT_EMAIL, SIGNATORY_EMAIL])
        .collect()
    }

    /// The emails `persona` may ever see: their own; an organiser also those
    /// of their group's members and applicants; the trainer the contact of
    /// the request they are assigned to; staff all of them.
    pub fn emails_visible_to(&self, persona: Persona) -> Vec<&str> {
        match persona {
            Persona::Coordinator | Persona::Admin => self.emails(),
            Persona::Organiser => {
                vec![
                    self.organiser.email.as_str(),
                    self.member.email.as_str(),
                    self.pending.email.as_str(),
                ]
            }
            Persona::Trainer => vec![self.trainer.email.as_str(), OUTSIDE_CONTACT_EMAIL],
            other => self.person(other).map(|p| vec![p.email.as_str()]).unwrap_or_default(),
        }
    }

    /// A valid bearer token for `persona` (none for anonymous).
    pub fn token(&self, persona: Persona) -> Option<String> {
        let keys = TokenKeys::new(&test_secret(), chrono::Duration::hours(1));
        self.person(persona)
            .map(|p| keys.issue(p.id, 0, super::now()).unwrap().token)
    }
}

async fn add_user(db: &DatabaseConnection, name: &str, role: UserRole, password_hash: &str) -> Person {
    let email = format!("{name}@people.example.org");
    let user = UserBuilder::new(super::now())
        .name(format!("{name} Example"))
        .email(&email)
        .password_hash(password_hash)
        .role(role)
        .insert(db)
        .await
        .unwrap();
    Person { id: user.id, email }
}

async fn add_group(db: &DatabaseConnection, slug: &str, region: &str) -> Uuid {
    let group = GroupBuilder::new(slug, super::now())
        .name(format!("{slug} group"))
        .region(region)
        .description("A local group");
    group.insert(db).await.unwrap().id
}

async fn join(db: &DatabaseConnection, user: &Person, group: Uuid, role: MembershipRole, status: MembershipStatus) {
    let membership = MembershipBuilder::new(user.id, group, super::now())
        .role(role)
        .status(status);
    membership.insert(db).await.unwrap();
}

async fn add_event(db: &DatabaseConnection, title: &str, group: Uuid, visibility: EventVisibility) -> Uuid {
    let event = EventBuilder::new(super::now())
        .title(title)
        .group(group)
        .visibility(visibility)
        .capacity(20);
    event.insert(db).await.unwrap().id
}

/// Adds a topic to the catalogue; returns its id.
pub async fn add_topic(db: &DatabaseConnection, slug: &str, name: &str) -> Uuid {
    let topic = TopicBuilder::new(slug, super::now()).name(name);
    topic.insert(db).await.unwrap().id
}

/// Writes the network into `db`.
pub async fn build(db: &DatabaseConnection) -> Network {
    let hash = muster::domain::password::hash(PASSWORD).unwrap();
    let alpha = add_group(db, "alpha", "Wales").await;
    let beta = add_group(db, "beta", "Scotland").await;
    let mut network = Network {
        // Filled in at the end, once the people and groups exist.
        requests: RequestFixture::default(),
        letter_signature: Uuid::nil(),
        alpha,
        beta,
        supporter: add_user(db, "supporter", UserRole::Supporter, &hash).await,
        member: add_user(db, "member", UserRole::Supporter, &hash).await,
        pending: add_user(db, "pending", UserRole::Supporter, &hash).await,
        organiser: add_user(db, "organiser", UserRole::Supporter, &hash).await,
        other_organiser: add_user(db, "other-organiser", UserRole::Supporter, &hash).await,
        trainer: add_user(db, "trainer", UserRole::Supporter, &hash).await,
        coordinator: add_user(db, "coordinator", UserRole::Coordinator, &hash).await,
        admin: add_user(db, "admin", UserRole::Admin, &hash).await,
        alpha_public_event: add_event(db, "Alpha open meeting", alpha, EventVisibility::Public).await,
        alpha_members_event: add_event(db, "Alpha planning", alpha, EventVisibility::Members).await,
        beta_members_event: add_event(db, "Beta planning", beta, EventVisibility::Members).await,
        topic: add_topic(db, "intro-nhs-charging", "Introduction to NHS charging").await,
        alpha_series_occurrence: Uuid::nil(),
    };
    use MembershipRole::*;
    use MembershipStatus::*;
    join(db, &network.organiser, alpha, Organiser, Active).await;
    join(db, &network.member, alpha, Member, Active).await;
    join(db, &network.pending, alpha, Member, Pending).await;
    join(db, &network.other_organiser, beta, Organiser, Active).await;
    let now = super::now();
    let rsvp = RsvpBuilder::new(network.alpha_public_event, network.member.id, now);
    rsvp.insert(db).await.unwrap();
    // Covers the topic in Wales; the requests below need that.
    let trainer = TrainerBuilder::new(network.trainer.id, now)
        .topic(network.topic)
        .region("Wales");
    trainer.insert(db).await.unwrap();
    let ids = Ids {
        alpha,
        beta,
        organiser: network.organiser.id,
        other_organiser: network.other_organiser.id,
        trainer: network.trainer.id,
        coordinator: network.coordinator.id,
        topic: network.topic,
    };
    network.requests = requests::build(db, &ids).await;
    network.letter_signature = add_letter(db, alpha).await;
    network
}

/// The open letter and its one signature (sealed as the domain seals it).
async fn add_letter(db: &DatabaseConnection, group: Uuid) -> Uuid {
    use muster::domain::{
        letters::canonical_email,
        sealing::{self, Field},
    };
    use sea_orm::{ActiveModelTrait, Set};
    let now = super::now();
    let letter = entity::letter::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set("open-letter".into()),
        kind: Set("LETTER".into()),
        title: Set("Stop the charges".into()),
        body: Set("Stop charging migrants for NHS care.".into()),
        addressee: Set("The Secretary of State".into()),
        takes: Set("BOTH".into()),
        status: Set("OPEN".into()),
        opens_at: Set(None),
        closes_at: Set(None),
        ended_at: Set(None),
        signatures_purged_at: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    entity::letter_group::ActiveModel {
        letter_id: Set(letter.id),
        group_id: Set(group),
    }
    .insert(db)
    .await
    .unwrap();
    let id = Uuid::new_v4();
    entity::signature::ActiveModel {
        id: Set(id),
        letter_id: Set(letter.id),
        kind: Set("INDIVIDUAL".into()),
        organisation: Set(None),
        organisation_kind: Set(None),
        town: Set(None),
        region: Set(None),
        postcode_area: Set(Some("CF10".into())),
        name: Set(Some(
            sealing::seal(Field::SignatureName, id, "Quiet Signatory").unwrap(),
        )),
        contact_name: Set(None),
        show_name: Set(false),
        email: Set(Some(sealing::seal(Field::SignatureEmail, id, SIGNATORY_EMAIL).unwrap())),
        email_hash: Set(Some(sealing::lookup(&canonical_email(SIGNATORY_EMAIL)).unwrap())),
        email_domain: Set(Some("outside.example.org".into())),
        source_hash: Set(None),
        confirm_token_hash: Set(None),
        status: Set("CONFIRMED".into()),
        approved_at: Set(None),
        signed_at: Set(now),
        confirmed_at: Set(Some(now)),
        invalidated_at: Set(None),
        created_at: Set(now),
        purged_at: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    id
}
