//! Private values, revealed only here: a person's email and a request's
//! contact details. Each function asks the policy for every subject, writes
//! the audit entries of the reads that must be recorded in one statement,
//! and only then returns the values, so every front door (GraphQL's
//! DataLoader, a page, the CLI) gets the same answer and leaves the same
//! trail. The functions take many subjects at once so that a list costs a
//! fixed number of statements.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{assignment, request, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Action, Grant, Viewer, authorize},
    domain::{
        audit::{self, AuditAction, ContactRead, NewAuditEntry},
        memberships,
        requests::relation,
        sealing::{self, Field},
    },
    error::{Error, Result},
};

/// A private value as one viewer may have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reveal<T> {
    Shown(T),
    /// The viewer may not read it (`FORBIDDEN`).
    Refused,
}

impl<T> Reveal<T> {
    pub fn into_result(self) -> Result<T> {
        match self {
            Self::Shown(value) => Ok(value),
            Self::Refused => Err(Error::Forbidden),
        }
    }
}

/// Who to write to about an outside organisation's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The emails of `subject_ids` as `viewer` may read them: shown to the
/// person themself, to organisers of a group they belong to or asked to
/// join, and to staff; every read by someone else recorded, as part of
/// `operation`. An erased person's email is shown as none. Unknown ids are
/// left out.
pub async fn emails(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    subject_ids: &[Uuid],
    operation: &str,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Reveal<Option<String>>>> {
    let subjects = user::Entity::find()
        .filter(user::Column::Id.is_in(subject_ids.iter().copied()))
        .all(db)
        .await?;
    // Group membership only decides for someone else read by a non-staff
    // viewer; skip the query when nobody is.
    let needs_groups: Vec<Uuid> = subjects
        .iter()
        .map(|s| s.id)
        .filter(|id| viewer.user_id() != Some(*id) && !viewer.is_staff())
        .collect();
    let groups = if needs_groups.is_empty() {
        HashMap::new()
    } else {
        memberships::group_ids_of_users(db, &needs_groups).await?
    };
    let mut shown = HashMap::with_capacity(subjects.len());
    let mut reads = Vec::new();
    for subject in subjects {
        let subject_groups = groups.get(&subject.id).map(Vec::as_slice).unwrap_or_default();
        let grant = authorize(
            viewer,
            Action::ReadEmail {
                subject_id: subject.id,
                subject_groups,
            },
        );
        let reveal = match grant {
            Ok(grant) => {
                if grant == Grant::Audited && subject.email.is_some() {
                    reads.push(NewAuditEntry {
                        actor_id: viewer.user_id(),
                        subject_id: Some(subject.id),
                        request_id: None,
                        action: AuditAction::ReadEmail,
                        operation: operation.to_owned(),
                    });
                }
                // Opened only here, for a value shown.
                Reveal::Shown(sealing::open_optional(
                    Field::UserEmail,
                    subject.id,
                    subject.email.as_deref(),
                )?)
            }
            Err(Error::Forbidden) => Reveal::Refused,
            Err(other) => return Err(other),
        };
        shown.insert(subject.id, reveal);
    }
    audit::record_all(db, reads, now).await?;
    Ok(shown)
}

/// The contact details of `request_ids` as `viewer` may read them: for the
/// person who submitted it, the trainer while assigned, and staff, every
/// read by someone other than the submitter recorded. `Shown(None)` for a
/// group's request (no contact) and for one purged under retention. Unknown
/// ids are left out.
pub async fn contacts(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_ids: &[Uuid],
    operation: &str,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Reveal<Option<Contact>>>> {
    let requests = request::Entity::find()
        .filter(request::Column::Id.is_in(request_ids.iter().copied()))
        .all(db)
        .await?;
    let mut viewers_assignments: HashMap<Uuid, Vec<assignment::Model>> = HashMap::new();
    if let Some(viewer_id) = viewer.user_id() {
        for row in assignment::Entity::find()
            .filter(assignment::Column::RequestId.is_in(request_ids.iter().copied()))
            .filter(assignment::Column::TrainerId.eq(viewer_id))
            .all(db)
            .await?
        {
            viewers_assignments.entry(row.request_id).or_default().push(row);
        }
    }
    let mut shown = HashMap::with_capacity(requests.len());
    let mut reads = Vec::new();
    for request in requests {
        let mine = viewers_assignments
            .get(&request.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let reveal = match relation(viewer, &request, mine).contact_grant(viewer) {
            Ok(grant) => {
                let held = request.contact_purged_at.is_none()
                    && (request.contact_name.is_some() || request.contact_email.is_some());
                if held && grant == Grant::Audited {
                    reads.push(ContactRead::of(&request, operation));
                }
                let contact = if held {
                    Some(Contact {
                        name: sealing::open_optional(
                            Field::RequestContactName,
                            request.id,
                            request.contact_name.as_deref(),
                        )?,
                        email: sealing::open_optional(
                            Field::RequestContactEmail,
                            request.id,
                            request.contact_email.as_deref(),
                        )?,
                    })
                } else {
                    None
                };
                Reveal::Shown(contact)
            }
            Err(Error::Forbidden) => Reveal::Refused,
            Err(other) => return Err(other),
        };
        shown.insert(request.id, reveal);
    }
    audit::record_contact_reads(db, viewer.user_id(), &reads, now).await?;
    Ok(shown)
}

/// A person as the front doors hold them: no email, no password hash. The
/// email is a private value that only [`emails`] reveals (asking the policy
/// and recording the read), and the role only [`role`], so no resolver or
/// page can show either by reaching into a row.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    display_name: Option<String>,
    role: entity::UserRole,
}

impl Person {
    /// The name others see; "former member" once the account is erased.
    pub fn display_name(&self) -> &str {
        self.display_name
            .as_deref()
            .unwrap_or(crate::domain::privacy::FORMER_MEMBER)
    }
}

impl From<user::Model> for Person {
    fn from(model: user::Model) -> Self {
        Self {
            id: model.id,
            display_name: model.display_name,
            role: model.role,
        }
    }
}

/// The people with these ids as the front doors hold them (no email, no
/// role), in one query. Unknown ids are left out; who may learn that these
/// people exist is for the caller's own read to have asked (a member
/// list, an attendee list).
pub async fn people(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Person>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, Person::from(row)))
        .collect())
}

/// A person's network role, for themself and staff.
pub fn role(viewer: &Viewer, subject: &Person) -> Result<entity::UserRole> {
    authorize(viewer, Action::ReadAccountRole { subject_id: subject.id })?;
    Ok(subject.role)
}

/// The role of the account a request has just proved to hold (a sign-in):
/// the person is asking about themself.
pub fn own_role(subject: &Person) -> entity::UserRole {
    subject.role
}
