//! Every operation of the schema, as every persona of DESIGN.md's "Who sees
//! what" table, over HTTP on a real database: allowed or refused as the
//! table says, and no response carries an email its reader may not see.
//!
//! A new query or mutation without a row here fails
//! `every_operation_has_a_row`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{collections::BTreeSet, sync::Arc};

use common::{
    Backend, TestDb, graphql_as,
    network::{self, Network, PASSWORD, Persona},
};
use serde_json::{Value, json};

/// What a case may produce: `A` allowed (no error), `N` UNAUTHENTICATED,
/// `F` FORBIDDEN, `C` CONFLICT, `X` NOT_FOUND, `T` INVALID_TRANSITION.
fn outcome(body: &Value) -> &'static str {
    match body["errors"][0]["extensions"]["code"].as_str() {
        None if body.get("errors").is_none() => "A",
        Some("UNAUTHENTICATED") => "N",
        Some("FORBIDDEN") => "F",
        Some("CONFLICT") => "C",
        Some("NOT_FOUND") => "X",
        Some("INVALID_TRANSITION") => "T",
        Some("BAD_USER_INPUT") => "I",
        _ => "?",
    }
}

/// Whether `text` holds `address` as a whole address (not the tail of a
/// longer one, as `organiser@…` is of `other-organiser@…`).
fn contains_address(text: &str, address: &str) -> bool {
    text.match_indices(address).any(|(at, _)| {
        !text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
    })
}

struct Row {
    /// The root field(s) this row exercises.
    covers: &'static [&'static str],
    query: &'static str,
    variables: fn(&Network, Persona) -> Value,
    /// Outcomes in `Persona::ALL` order: anonymous, supporter, member,
    /// organiser, other organiser, trainer, coordinator, admin.
    expected: &'static str,
}

fn no_variables(_: &Network, _: Persona) -> Value {
    json!({})
}

/// One preferred window, two months from now.
fn windows_next_season() -> Value {
    let starts_at = common::now() + chrono::Duration::days(60);
    json!([{ "startsAt": starts_at, "endsAt": starts_at + chrono::Duration::hours(3) }])
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            covers: &["me"],
            query: "{ me { id displayName email role } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["groups"],
            query: "{ groups(first: 100) { totalCount edges { node { slug name region contactEmail memberCount } } } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["group"],
            query: r#"{ group(slug: "alpha") { slug description memberCount } }"#,
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["group"],
            query: r#"{ group(slug: "alpha") { members { totalCount edges { node { role status user { displayName email } } } } } }"#,
            variables: no_variables,
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["myGroups"],
            query: "{ myGroups { role status group { slug } user { email } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["register"],
            query: "mutation($email: String!) { register(input: { email: $email, displayName: \"New Person\", password: \"a long enough password\" }) { message } }",
            variables: |_, persona| json!({ "email": format!("new-{persona:?}@people.example.org").to_lowercase() }),
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["requestPasswordReset"],
            query: "mutation($email: String!) { requestPasswordReset(email: $email) { message } }",
            variables: |net, _| json!({ "email": net.member.email }),
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["resetPassword"],
            query: "mutation { resetPassword(token: \"not-a-real-link\", newPassword: \"a long enough password\") { token } }",
            variables: no_variables,
            expected: "I I I I I I I I",
        },
        Row {
            covers: &["verifyEmail"],
            query: "mutation { verifyEmail(token: \"not-a-real-link\") { id } }",
            variables: no_variables,
            expected: "I I I I I I I I",
        },
        Row {
            covers: &["changeEmail"],
            query: "mutation { changeEmail(newEmail: \"moved@people.example.org\", currentPassword: \"not the password\") { message } }",
            variables: no_variables,
            expected: "N I I I I I I I",
        },
        Row {
            covers: &["notificationSettings"],
            query: "{ notificationSettings { topic delivery description } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["updateNotificationSettings"],
            query: "mutation { updateNotificationSettings(settings: [{ topic: EVENT_REMINDERS, delivery: IMMEDIATELY }]) { topic delivery } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["outbox"],
            query: "{ outbox { pending failed sent byKind { status kind count } } }",
            variables: no_variables,
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["retryFailedMessages"],
            query: "mutation { retryFailedMessages }",
            variables: no_variables,
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["login"],
            query: "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt } }",
            variables: |net, _| json!({ "email": net.supporter.email, "password": PASSWORD }),
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["changePassword"],
            query: "mutation($p: String!) { changePassword(currentPassword: $p, newPassword: \"another long password\") { token } }",
            variables: |_, _| json!({ "p": PASSWORD }),
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["updateProfile"],
            query: "mutation { updateProfile(input: { displayName: \"Renamed\" }) { displayName } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["signOutEverywhere"],
            query: "mutation { signOutEverywhere }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["setUserRole"],
            query: "mutation($id: ID!) { setUserRole(userId: $id, role: COORDINATOR) { id role email } }",
            variables: |net, _| json!({ "id": net.supporter.id }),
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["createGroup"],
            query: "mutation { createGroup(input: { slug: \"gamma\", name: \"Gamma\", region: \"London\" }) { slug } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["updateGroup"],
            query: "mutation { updateGroup(slug: \"alpha\", input: { description: \"New words\", contactEmail: null }) { description contactEmail } }",
            variables: no_variables,
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["updateGroup"],
            query: "mutation { updateGroup(slug: \"alpha\", input: { region: \"London\" }) { region } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["archiveGroup"],
            query: "mutation { archiveGroup(slug: \"beta\") }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["requestToJoin"],
            query: "mutation { requestToJoin(groupSlug: \"beta\") { status role group { slug } } }",
            variables: no_variables,
            expected: "N A A A C A A A",
        },
        Row {
            covers: &["approveMember"],
            query: "mutation($id: ID!) { approveMember(groupSlug: \"alpha\", userId: $id) { status user { email } } }",
            variables: |net, _| json!({ "id": net.pending.id }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["removeMember"],
            query: "mutation($id: ID!) { removeMember(groupSlug: \"alpha\", userId: $id) }",
            variables: |net, _| json!({ "id": net.member.id }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["setMemberRole"],
            query: "mutation($id: ID!) { setMemberRole(groupSlug: \"alpha\", userId: $id, role: ORGANISER) { role user { email } } }",
            variables: |net, _| json!({ "id": net.member.id }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["events"],
            query: "{ events(first: 100) { totalCount edges { node { title visibility group { slug } goingCount myRsvp { status } } } } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["event"],
            query: "query($id: ID!) { event(id: $id) { title placesLeft } }",
            variables: |net, _| json!({ "id": net.alpha_members_event }),
            // Not visible is null, not an error: members-only events do
            // not reveal that they exist (checked in tests/events.rs).
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["event"],
            query: "query($id: ID!) { event(id: $id) { attendees { status user { displayName email } } } }",
            variables: |net, _| json!({ "id": net.alpha_public_event }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["myEvents"],
            query: "{ myEvents(includePast: true) { status event { title } user { email } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["createEvent"],
            query: "mutation($s: DateTime!, $e: DateTime!) { createEvent(input: { title: \"Stall\", startsAt: $s, endsAt: $e, kind: ACTION, groupSlug: \"alpha\" }) { id sequence } }",
            variables: |_, _| json!({ "s": "2031-03-01T10:00:00Z", "e": "2031-03-01T12:00:00Z" }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["createEvent"],
            query: "mutation { createEvent(input: { title: \"National day of action\", startsAt: \"2031-03-01T10:00:00Z\", endsAt: \"2031-03-01T16:00:00Z\", kind: ACTION }) { id } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["updateEvent"],
            query: "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"Alpha open meeting (moved)\" }) { sequence } }",
            variables: |net, _| json!({ "id": net.alpha_public_event }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["cancelEvent"],
            query: "mutation($id: ID!) { cancelEvent(id: $id) { status } }",
            variables: |net, _| json!({ "id": net.alpha_public_event }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["cancelEvent"],
            query: "mutation($id: ID!) { cancelEvent(id: $id) { status } }",
            variables: |net, _| json!({ "id": net.beta_members_event }),
            // Invisible to Alpha's people: not found, not forbidden.
            expected: "N X X X A X A A",
        },
        Row {
            covers: &["createEventSeries"],
            query: "mutation($s: DateTime!, $e: DateTime!) { createEventSeries(input: { first: { title: \"Stall\", startsAt: $s, endsAt: $e, kind: ACTION, groupSlug: \"alpha\" }, rrule: \"FREQ=MONTHLY;BYDAY=1SA;COUNT=6\" }) { id occurrences { id } } }",
            variables: |_, _| json!({ "s": "2031-03-01T10:00:00Z", "e": "2031-03-01T12:00:00Z" }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["updateEventSeries"],
            query: "mutation($id: ID!) { updateEventSeries(id: $id, input: { fields: { title: \"Weekly stall (moved)\" } }) { sequence } }",
            variables: |net, _| json!({ "id": net.alpha_series_occurrence }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["cancelOccurrence"],
            query: "mutation($id: ID!) { cancelOccurrence(id: $id) { status } }",
            variables: |net, _| json!({ "id": net.alpha_series_occurrence }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["updateOccurrence"],
            query: "mutation($id: ID!) { updateOccurrence(id: $id, input: { title: \"Stall at the market\" }) { title } }",
            variables: |net, _| json!({ "id": net.alpha_series_occurrence }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["importEvents"],
            query: "mutation($ics: String!) { importEvents(groupSlug: \"alpha\", ics: $ics) { created { uid } } }",
            variables: |_, _| json!({ "ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:stall-1\r\nSUMMARY:Stall\r\nDTSTART:20310301T100000Z\r\nDTEND:20310301T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["rsvp"],
            query: "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
            variables: |net, _| json!({ "id": net.alpha_public_event }),
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["rsvp"],
            query: "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
            variables: |net, _| json!({ "id": net.alpha_members_event }),
            expected: "N X A A X X A A",
        },
        Row {
            covers: &["cancelRsvp"],
            query: "mutation($id: ID!) { cancelRsvp(eventId: $id) }",
            variables: |net, _| json!({ "id": net.alpha_public_event }),
            expected: "N X A X X X X X",
        },
        Row {
            covers: &["feedTokens"],
            query: "{ feedTokens { id label createdAt } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["createFeedToken"],
            query: "mutation { createFeedToken(label: \"phone\") { secret url webcalUrl feedToken { label } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["revokeFeedToken"],
            query: "mutation($id: ID!) { revokeFeedToken(id: $id) }",
            variables: |_, _| json!({ "id": uuid::Uuid::new_v4() }),
            expected: "N X X X X X X X",
        },
        Row {
            covers: &["topics"],
            query: "{ topics(includeArchived: true) { slug name typicalDurationMinutes archivedAt } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["createTopic"],
            query: "mutation { createTopic(input: { slug: \"campaign-skills\", name: \"Campaign skills\", typicalDurationMinutes: 120 }) { slug } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["updateTopic"],
            query: "mutation($id: ID!) { updateTopic(id: $id, input: { typicalDurationMinutes: 60 }) { typicalDurationMinutes } }",
            variables: |net, _| json!({ "id": net.topic }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["archiveTopic"],
            query: "mutation($id: ID!) { archiveTopic(id: $id) }",
            variables: |net, _| json!({ "id": net.topic }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["trainerProfile"],
            query: "{ trainerProfile { monthlyCap regions topics { slug } unavailablePeriods { startsAt } user { email } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["trainerProfile"],
            query: "query($id: ID) { trainerProfile(trainerId: $id) { monthlyCap regions user { email } } }",
            variables: |net, _| json!({ "id": net.trainer.id }),
            expected: "N F F F F A A A",
        },
        Row {
            covers: &["trainers"],
            query: "{ trainers(topic: \"intro-nhs-charging\", availableBetween: { startsAt: \"2031-01-01T10:00:00Z\", endsAt: \"2031-01-01T12:00:00Z\" }) { user { displayName email } regions } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["setTrainerProfile"],
            query: "mutation($topic: ID!) { setTrainerProfile(input: { topicIds: [$topic], regions: [\"Wales\"], monthlyCap: 3 }) { monthlyCap regions topics { slug } } }",
            variables: |net, _| json!({ "topic": net.topic }),
            expected: "N F F F F A A A",
        },
        Row {
            covers: &["setTrainerProfile"],
            query: "mutation($id: ID, $topic: ID!) { setTrainerProfile(trainerId: $id, input: { topicIds: [$topic], regions: [\"Wales\", \"wales\"], monthlyCap: 3 }) { regions user { email } } }",
            variables: |net, _| json!({ "id": net.trainer.id, "topic": net.topic }),
            expected: "N F F F F A A A",
        },
        Row {
            covers: &["addUnavailability"],
            query: "mutation { addUnavailability(input: { startsAt: \"2031-08-01T00:00:00Z\", endsAt: \"2031-08-15T00:00:00Z\", note: \"leave\" }) { id } }",
            variables: no_variables,
            expected: "N F F F F A X X",
        },
        Row {
            covers: &["removeUnavailability"],
            query: "mutation($id: ID!) { removeUnavailability(id: $id) }",
            variables: |_, _| json!({ "id": uuid::Uuid::new_v4() }),
            expected: "N X X X X X X X",
        },
        Row {
            covers: &["request"],
            query: "query($id: ID!) { request(id: $id) { reference state version contact { email } submittedBy { displayName email } preferredWindows { startsAt } history { toState actor { displayName } } } }",
            variables: |net, _| json!({ "id": net.requests.alpha_request }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["request"],
            query: "query($id: ID!) { request(id: $id) { organisationName contact { name email } currentAssignment { status trainer { displayName } } } }",
            variables: |net, _| json!({ "id": net.requests.outside_request }),
            expected: "N F F F F A A A",
        },
        Row {
            covers: &["requestStatus"],
            query: "query($reference: String!) { requestStatus(reference: $reference) { reference state topic { name } history { state at } scheduled { startsAt } event { title } } }",
            variables: |net, _| json!({ "reference": net.requests.alpha_reference }),
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["requests"],
            query: "{ requests(first: 10) { totalCount edges { node { reference organisationName contact { email } } } } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["myRequests"],
            query: "{ myRequests { reference state contact { email } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["myAssignments"],
            query: "{ myAssignments(includePast: true) { status startsAt request { reference organisationName contact { name email } } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["suggestTrainers"],
            query: "query($id: ID!) { suggestTrainers(requestId: $id) { trainer { user { displayName email } } coversTopic sameRegion freeWindows { startsAt } recentLoad } }",
            variables: |net, _| json!({ "id": net.requests.alpha_request }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["submitRequest"],
            query: "mutation($topic: ID!, $windows: [TimeRangeInput!]!) { submitRequest(input: { kind: WORKSHOP, topicId: $topic, organisationName: \"Riverside Surgery\", contactName: \"Practice Manager\", contactEmail: \"manager@surgery.example.org\", preferredWindows: $windows, town: \"Leeds\", postcodeArea: \"LS6\" }) { reference status { state } request { state } } }",
            variables: |net, _| json!({ "topic": net.topic, "windows": windows_next_season() }),
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["submitRequest"],
            query: "mutation($topic: ID!, $windows: [TimeRangeInput!]!) { submitRequest(input: { kind: SPEAKER, topicId: $topic, groupSlug: \"alpha\", preferredWindows: $windows, online: true }) { reference request { group { slug } } } }",
            variables: |net, _| json!({ "topic": net.topic, "windows": windows_next_season() }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["assignTrainer"],
            query: "mutation($id: ID!, $trainer: ID!) { assignTrainer(requestId: $id, trainerId: $trainer, version: 1, note: \"You cover Wales\") { state version currentAssignment { status } } }",
            variables: |net, _| json!({ "id": net.requests.alpha_request, "trainer": net.trainer.id }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["respondToAssignment"],
            query: "mutation($id: ID!) { respondToAssignment(assignmentId: $id, accept: false, note: \"Away that week\") { status request { state } } }",
            variables: |net, _| json!({ "id": net.requests.proposal }),
            expected: "N F F F F A F F",
        },
        Row {
            covers: &["declineRequest"],
            query: "mutation($id: ID!) { declineRequest(requestId: $id, reason: \"No trainer free in time\") { state declineReason } }",
            variables: |net, _| json!({ "id": net.requests.alpha_request }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["withdrawRequest"],
            query: "mutation($id: ID!) { withdrawRequest(requestId: $id, reason: \"Meeting moved\") { state endedAt } }",
            variables: |net, _| json!({ "id": net.requests.alpha_request }),
            expected: "N F F A F F A A",
        },
        Row {
            covers: &["markDelivered"],
            query: "mutation($id: ID!) { markDelivered(requestId: $id, attendance: 18, feedback: \"Lively\") { state attendance } }",
            variables: |net, _| json!({ "id": net.requests.beta_request }),
            expected: "N F F F F A A A",
        },
        Row {
            covers: &["markDelivered"],
            query: "mutation($id: ID!) { markDelivered(requestId: $id) { state } }",
            variables: |net, _| json!({ "id": net.requests.outside_request }),
            expected: "N F F F F T T T",
        },
        Row {
            covers: &["cancelRequest"],
            query: "mutation($id: ID!) { cancelRequest(requestId: $id, reason: \"Venue closed\") { state event { status } } }",
            variables: |net, _| json!({ "id": net.requests.beta_request }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["myDataAccessLog"],
            query: "{ myDataAccessLog(first: 10) { totalCount edges { node { actorName action operation createdAt } } } }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["auditLog"],
            query: "{ auditLog(first: 100) { totalCount edges { node { action operation actorName subject { displayName } } } } }",
            variables: no_variables,
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["exportMyData"],
            query: "{ exportMyData }",
            variables: no_variables,
            expected: "N A A A A A A A",
        },
        Row {
            covers: &["deleteMyAccount"],
            query: "mutation($p: String!) { deleteMyAccount(password: $p) }",
            variables: |_, _| json!({ "p": PASSWORD }),
            // The only admin cannot leave the network without one.
            expected: "N A A A A A A C",
        },
        Row {
            covers: &["eraseUser"],
            query: "mutation($id: ID!) { eraseUser(userId: $id) }",
            variables: |net, _| json!({ "id": net.supporter.id }),
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["letters"],
            query: "{ letters(first: 5) { totalCount edges { node { slug signatureCount organisingGroups { slug } organisations { name } listedIndividuals { name } } } } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["letter"],
            query: "{ letter(slug: \"open-letter\") { title paragraphs signatureCount shareUrl organisations { name } listedIndividuals { name } regions } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["letterSignatures"],
            query: "{ letterSignatures(slug: \"open-letter\") { totalCount edges { node { id name emailMasked status } } } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["letterModeration"],
            query: "{ letterModeration(slug: \"open-letter\") { counted pending trendingSources { key count } trendingDomains { key count } } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["signatoryContact"],
            query: "query($id: ID!) { signatoryContact(signatureId: $id) { name email } }",
            variables: |net, _| json!({ "id": net.letter_signature }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["letterBlocks"],
            query: "{ letterBlocks { label } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["letterExport"],
            query: "{ letterExport(slug: \"open-letter\", withEmails: true) }",
            variables: no_variables,
            // Emails are exported for admins only.
            expected: "N F F F F F F A",
        },
        Row {
            covers: &["signLetter"],
            query: "mutation { signLetter(input: { letterSlug: \"open-letter\", kind: INDIVIDUAL, name: \"New Signatory\", email: \"new@signatory.example.org\" }) { updated message } }",
            variables: no_variables,
            expected: "A A A A A A A A",
        },
        Row {
            covers: &["confirmSignature"],
            query: "mutation { confirmSignature(token: \"not-a-link\") { slug } }",
            variables: no_variables,
            expected: "X X X X X X X X",
        },
        Row {
            covers: &["createLetter"],
            query: "mutation { createLetter(input: { slug: \"new-letter\", kind: LETTER, title: \"T\", text: \"Text\", addressee: \"Someone\", signatories: BOTH }) { slug } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["updateLetter"],
            query: "mutation { updateLetter(slug: \"open-letter\", input: { slug: \"open-letter\", kind: LETTER, title: \"T\", text: \"Text\", addressee: \"Someone\", signatories: BOTH }) { slug } }",
            variables: no_variables,
            // Signed already: the words may not change.
            expected: "N F F F F F C C",
        },
        Row {
            covers: &["openLetter"],
            query: "mutation { openLetter(slug: \"open-letter\") { status } }",
            variables: no_variables,
            expected: "N F F F F F T T",
        },
        Row {
            covers: &["closeLetter"],
            query: "mutation { closeLetter(slug: \"open-letter\") { status } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["deliverLetter"],
            query: "mutation { deliverLetter(slug: \"open-letter\") { status } }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["approveSignatures"],
            query: "mutation($ids: [ID!]!) { approveSignatures(slug: \"open-letter\", ids: $ids) }",
            variables: |net, _| json!({ "ids": [net.letter_signature] }),
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["invalidateSignatures"],
            query: "mutation { invalidateSignatures(slug: \"open-letter\", condition: { domain: \"outside.example.org\" }) }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["addLetterBlock", "removeLetterBlock"],
            query: "mutation { addLetterBlock(value: \"spam.example\") { id } removeLetterBlock(id: \"00000000-0000-0000-0000-000000000000\") }",
            variables: no_variables,
            expected: "N F F F F F A A",
        },
        Row {
            covers: &["leaveGroup"],
            query: "mutation { leaveGroup(groupSlug: \"alpha\") }",
            variables: no_variables,
            expected: "N X A C X X X X",
        },
    ]
}

/// The root fields of `type Query` and `type Mutation` in the served SDL.
fn schema_operations() -> BTreeSet<String> {
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };
    // The served SDL read by GraphQL's own parser: descriptions and
    // arguments on their own lines are not operations.
    let document = parse_schema(muster::graphql::sdl()).unwrap();
    let mut operations = BTreeSet::new();
    for definition in document.definitions {
        if let TypeSystemDefinition::Type(ty) = definition
            && matches!(ty.node.name.node.as_str(), "Query" | "Mutation")
            && let TypeKind::Object(object) = &ty.node.kind
        {
            operations.extend(object.fields.iter().map(|f| f.node.name.node.to_string()));
        }
    }
    operations
}

#[test]
fn every_operation_has_a_row() {
    let covered: BTreeSet<String> = rows()
        .iter()
        .flat_map(|r| r.covers.iter().map(|c| c.to_string()))
        .collect();
    let operations = schema_operations();
    assert!(operations.len() >= 15, "parsed the SDL: {operations:?}");
    let missing: Vec<_> = operations.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the role table: {missing:?}"
    );
}

/// A public weekly series of Alpha, four Tuesdays from next week; returns
/// its second occurrence.
async fn add_weekly_series(db: &sea_orm::DatabaseConnection, alpha: uuid::Uuid) -> uuid::Uuid {
    use sea_orm::{ActiveModelTrait, Set};
    let now = common::now();
    let day = (now + chrono::Duration::days(7)).date_naive();
    let start = day.and_hms_opt(19, 0, 0).unwrap();
    let series = entity::event_series::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        title: Set("Weekly stall".into()),
        description: Set(String::new()),
        timezone: Set("Europe/London".into()),
        local_starts_at: Set(start),
        local_ends_at: Set(start + chrono::Duration::hours(2)),
        rrule: Set("FREQ=WEEKLY;COUNT=4".into()),
        venue: Set(Some("Market square".into())),
        address: Set(None),
        online_url: Set(None),
        venue_visibility: Set(entity::VenueVisibility::Public),
        town: Set(None),
        postcode_area: Set(None),
        kind: Set(entity::EventKind::Action),
        group_id: Set(Some(alpha)),
        topic_id: Set(None),
        visibility: Set(entity::EventVisibility::Public),
        capacity: Set(None),
        sequence: Set(0),
        import_uid: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    let rows = muster::domain::series::regenerate(db, None, &series, now)
        .await
        .unwrap();
    rows[1].id
}

async fn role_by_operation_table(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let mut network = network::build(&db.conn).await;
    network.alpha_series_occurrence = add_weekly_series(&db.conn, network.alpha).await;
    let template = Arc::new(db.into_template().await);
    let network = Arc::new(network);

    let mut cases = tokio::task::JoinSet::new();
    // Each case mostly waits on its database being created and dropped:
    // twelve at a time keep both cores busy (six took three times as long
    // on PostgreSQL) and stay far below the server's connection limit.
    let permits = Arc::new(tokio::sync::Semaphore::new(12));
    for (row_index, row) in rows().into_iter().enumerate() {
        let expected: Vec<&'static str> = row.expected.split(' ').collect();
        assert_eq!(expected.len(), Persona::ALL.len(), "row {row_index}");
        for (persona, want) in Persona::ALL.into_iter().zip(expected) {
            let (template, network, permits) = (template.clone(), network.clone(), permits.clone());
            let (query, variables) = (row.query, (row.variables)(&network, persona));
            cases.spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                // Each case on its own copy: mutations of one case cannot
                // change what the next one sees.
                let db = template.instance().await;
                let token = network.token(persona);
                let (status, body) = graphql_as(&db.app(), token.as_deref(), query, variables).await;
                assert_eq!(status, 200, "{query} as {persona:?}: {body}");
                let got = outcome(&body);
                let text = body.to_string();
                let visible = network.emails_visible_to(persona);
                let leaked: Vec<String> = network
                    .emails()
                    .into_iter()
                    .filter(|e| contains_address(&text, e) && !visible.contains(e))
                    .map(str::to_owned)
                    .collect();
                (row_index, persona, query, want, got, leaked, text)
            });
        }
    }
    let mut failures = Vec::new();
    while let Some(result) = cases.join_next().await {
        let (row, persona, query, want, got, leaked, body) = result.unwrap();
        if want != got {
            failures.push(format!(
                "row {row} as {persona:?}: expected {want}, got {got}: {query}\n   {body}"
            ));
        }
        if !leaked.is_empty() {
            failures.push(format!(
                "row {row} as {persona:?} LEAKED {leaked:?}: {query}\n   {body}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_by_operation_on_sqlite() {
    role_by_operation_table(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_by_operation_on_postgres() {
    role_by_operation_table(Backend::Postgres).await;
}
