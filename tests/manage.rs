//! The group organisers' pages over HTTP, on both databases: who gets
//! which answer, that no page shows an email its reader may not see, and
//! every step an organiser takes there (requests to join, roles and the
//! last-organiser rule, events checked whole, the profile, the group's own
//! requests), each changing the database only through the domain; and the
//! members page's statement count, the same for 5 and for 200 members.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::{Answer, answer, assert_no_foreign_email, count_page_statements, get_as, session_of};

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use common::{
    TestDb, day,
    network::{self, Network, Persona},
};
use entity::{EventStatus, EventVisibility, MembershipRole, MembershipStatus, audit_entry, event, membership, request};
use muster::fixtures::{MembershipBuilder, UserBuilder};
use poem::{
    Endpoint,
    http::{StatusCode, header},
    test::TestClient,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

on_both_databases!(
    each_page_answers_each_reader_as_the_table_says,
    organisers_answer_requests_to_join_and_change_roles_within_the_rule,
    events_are_checked_whole_created_seen_by_members_only_changed_and_cancelled,
    the_profile_is_edited_and_a_request_for_the_group_is_followed,
    the_members_page_costs_the_same_statements_for_5_and_200_members,
);

/// Opens `page` and posts its form to `path` as the browser that loaded it.
async fn post_from<E: Endpoint>(
    client: &TestClient<E>,
    page: &str,
    path: &str,
    session: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let opened = get_as(client, page, Some(session)).await;
    assert_eq!(opened.status, 200, "{page}: {}", opened.body);
    let csrf = opened.cookie("muster_csrf").expect("an anti-forgery cookie");
    assert!(opened.body.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    post(client, path, &csrf, session, fields, None).await
}

async fn post<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    csrf: &str,
    session: &str,
    fields: &[(&str, &str)],
    origin: Option<&str>,
) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
        .finish();
    let mut request = client
        .post(path)
        .header(header::COOKIE, format!("muster_csrf={csrf}; muster_session={session}"))
        .header(header::ACCEPT, "text/html")
        .content_type("application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    answer(request.body(body).send().await).await
}

/// Every organisers' page of group Alpha that answers a GET.
fn manage_pages(net: &Network) -> Vec<String> {
    let alpha = "/groups/alpha/manage";
    vec![
        alpha.to_owned(),
        format!("{alpha}/events"),
        format!("{alpha}/events/new"),
        format!("{alpha}/events/{}", net.alpha_public_event),
        format!("{alpha}/profile"),
        format!("{alpha}/requests"),
        format!("{alpha}/requests/new"),
    ]
}

/// The answer each reader gets on every organisers' page of group Alpha:
/// anonymous is sent to sign in and back; the group's organiser and a
/// coordinator get the page, never cached by anyone else; a supporter, a
/// member and another group's organiser get the same 403 page in words
/// (the group is public; the API answers its member list FORBIDDEN). An
/// unknown group, and another group's event under Alpha, are 404. The
/// group's page links to these pages only for those who may use them.
async fn each_page_answers_each_reader_as_the_table_says(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let readers = [
        Persona::Supporter,
        Persona::Member,
        Persona::Organiser,
        Persona::OtherOrganiser,
        Persona::Coordinator,
    ];
    let mut sessions = Vec::new();
    for persona in readers {
        sessions.push((persona, session_of(&db, net.person(persona).unwrap().id).await));
    }
    for page in manage_pages(&net) {
        let anonymous = get_as(&client, &page, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(anonymous.location(), Some(format!("/signin?next={page}").as_str()));
        for (persona, session) in &sessions {
            let got = get_as(&client, &page, Some(session)).await;
            match persona {
                Persona::Organiser | Persona::Coordinator => {
                    assert_eq!(got.status, 200, "{persona:?} at {page}: {}", got.body);
                    assert_eq!(got.headers[header::CACHE_CONTROL], "private, no-store", "{page}");
                    assert!(got.body.contains("alpha group"), "{page}");
                }
                _ => {
                    assert_eq!(got.status, 403, "{persona:?} at {page}");
                    assert!(got.body.contains("These pages are for the group"), "{}", got.body);
                    assert!(!got.body.contains("FORBIDDEN"));
                }
            }
            assert_no_foreign_email(&net, *persona, &page, &got.body);
        }
    }
    let organiser = &sessions[2].1;
    assert_eq!(
        get_as(&client, "/groups/nowhere/manage", Some(organiser)).await.status,
        404
    );
    let beta_event = format!("/groups/alpha/manage/events/{}", net.beta_members_event);
    let coordinator = &sessions[4].1;
    assert_eq!(get_as(&client, &beta_event, Some(coordinator)).await.status, 404);

    // The members page shows the organiser their members' and applicants'
    // emails, and each read is in the subject's access log.
    let members = get_as(&client, "/groups/alpha/manage", Some(organiser)).await;
    assert!(members.body.contains(&net.member.email), "{}", members.body);
    assert!(members.body.contains(&net.pending.email));
    let reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::SubjectId.eq(net.member.id))
        .filter(audit_entry::Column::Operation.eq("groupMembersPage"))
        .count(&db.conn)
        .await
        .unwrap();
    assert!(reads > 0, "the page's reads of emails are audited");

    for (persona, session) in &sessions {
        let group = get_as(&client, "/groups/alpha", Some(session)).await;
        let linked = group.body.contains("href=\"/groups/alpha/manage\"");
        let may = matches!(persona, Persona::Organiser | Persona::Coordinator);
        assert_eq!(linked, may, "{persona:?}");
    }
    assert!(
        !get_as(&client, "/groups/alpha", None)
            .await
            .body
            .contains("/groups/alpha/manage")
    );
}

async fn membership_of(db: &TestDb, user: Uuid, group: Uuid) -> Option<membership::Model> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user))
        .filter(membership::Column::GroupId.eq(group))
        .one(&db.conn)
        .await
        .unwrap()
}

/// Approve and turn down requests to join; make a member organiser, step
/// down, remove; the last organiser's refusal said in plain words on the
/// members page; a post from another site or without its token changes
/// nothing.
async fn organisers_answer_requests_to_join_and_change_roles_within_the_rule(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = session_of(&db, net.organiser.id).await;
    let page = "/groups/alpha/manage";
    let action = "/groups/alpha/manage/members";

    let approved = post_from(
        &client,
        page,
        action,
        &organiser,
        &[("userId", &net.pending.id.to_string()), ("action", "approve")],
    )
    .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(approved.location(), Some(page));
    let now_member = membership_of(&db, net.pending.id, net.alpha).await.unwrap();
    assert_eq!(now_member.status, MembershipStatus::Active);

    let applicant = UserBuilder::new(db.now()).insert(&db.conn).await.unwrap();
    MembershipBuilder::new(applicant.id, net.alpha, db.now())
        .pending()
        .insert(&db.conn)
        .await
        .unwrap();
    let listed = get_as(&client, page, Some(&organiser)).await;
    assert!(listed.body.contains(applicant.display_name.as_deref().unwrap()));
    let declined = post_from(
        &client,
        page,
        action,
        &organiser,
        &[("userId", &applicant.id.to_string()), ("action", "decline")],
    )
    .await;
    assert_eq!(declined.status, 303, "{}", declined.body);
    assert!(membership_of(&db, applicant.id, net.alpha).await.is_none());

    // The only organiser cannot step down: said in words, on the page.
    let refused = post_from(
        &client,
        page,
        action,
        &organiser,
        &[("userId", &net.organiser.id.to_string()), ("action", "step-down")],
    )
    .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused
            .body
            .contains("a group must keep at least one organiser: make another member organiser first"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Members of alpha group"),
        "the members page, again"
    );
    assert!(!refused.body.contains("CONFLICT"));
    assert_eq!(
        membership_of(&db, net.organiser.id, net.alpha).await.unwrap().role,
        MembershipRole::Organiser
    );

    let promoted = post_from(
        &client,
        page,
        action,
        &organiser,
        &[("userId", &net.member.id.to_string()), ("action", "promote")],
    )
    .await;
    assert_eq!(promoted.status, 303, "{}", promoted.body);
    assert_eq!(
        membership_of(&db, net.member.id, net.alpha).await.unwrap().role,
        MembershipRole::Organiser
    );
    let stepped_down = post_from(
        &client,
        page,
        action,
        &organiser,
        &[("userId", &net.member.id.to_string()), ("action", "step-down")],
    )
    .await;
    assert_eq!(stepped_down.status, 303);
    assert_eq!(
        membership_of(&db, net.member.id, net.alpha).await.unwrap().role,
        MembershipRole::Member
    );

    // Forged: another site's origin, then a token that is not the cookie's.
    let opened = get_as(&client, page, Some(&organiser)).await;
    let csrf = opened.cookie("muster_csrf").unwrap();
    let remove = [("userId", net.member.id.to_string()), ("action", "remove".to_owned())];
    let remove: Vec<(&str, &str)> = remove.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cross_site = post(
        &client,
        action,
        &csrf,
        &organiser,
        &remove,
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(cross_site.status, 403);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(remove.iter().copied().chain([("csrf", "forged.1.AAAA")]))
        .finish();
    let forged = answer(
        client
            .post(action)
            .header(
                header::COOKIE,
                format!("muster_csrf={csrf}; muster_session={organiser}"),
            )
            .content_type("application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(
        membership_of(&db, net.member.id, net.alpha).await.is_some(),
        "nothing changed"
    );

    let removed = post(&client, action, &csrf, &organiser, &remove, None).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(membership_of(&db, net.member.id, net.alpha).await.is_none());

    // With another organiser, the organiser may step down, and is taken
    // to the group's page: these pages are no longer theirs.
    let promoted = post(
        &client,
        action,
        &csrf,
        &organiser,
        &[("userId", &net.pending.id.to_string()), ("action", "promote")],
        None,
    )
    .await;
    assert_eq!(promoted.status, 303, "{}", promoted.body);
    let stepped_down = post(
        &client,
        action,
        &csrf,
        &organiser,
        &[("userId", &net.organiser.id.to_string()), ("action", "step-down")],
        None,
    )
    .await;
    assert_eq!(stepped_down.location(), Some("/groups/alpha"), "{}", stepped_down.body);
    assert_eq!(get_as(&client, page, Some(&organiser)).await.status, 403);

    // Someone without the right gets the 403 page for a post too.
    let supporter = session_of(&db, net.supporter.id).await;
    let refused = post(&client, action, &csrf, &supporter, &remove, None).await;
    assert_eq!(refused.status, 403);
}

/// `datetime-local` text for an instant, as a UK browser sends it.
fn uk_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%Y-%m-%dT%H:%M").to_string()
}

async fn events_of(db: &TestDb, group: Uuid) -> u64 {
    event::Entity::find()
        .filter(event::Column::GroupId.eq(group))
        .count(&db.conn)
        .await
        .unwrap()
}

/// Three bad fields are all shown beside their fields at once, with what
/// was typed kept and nothing written; a time the clocks skip is said; a
/// members-only event is created, seen by a member at its page and "not
/// found" for a stranger; it is changed, then cancelled and marked so.
async fn events_are_checked_whole_created_seen_by_members_only_changed_and_cancelled(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = session_of(&db, net.organiser.id).await;
    let new_page = "/groups/alpha/manage/events/new";
    let before = events_of(&db, net.alpha).await;

    let (start, end) = (uk_local(day(10, 18)), uk_local(day(10, 20)));
    let bad = post_from(
        &client,
        new_page,
        new_page,
        &organiser,
        &[
            ("title", "  "),
            ("kind", "MEETING"),
            ("startsAt", &end),
            ("endsAt", &start),
            ("venue", "Quaker Meeting House"),
            ("visibility", "MEMBERS"),
            ("capacity", "0"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for field in ["title", "endsAt", "capacity"] {
        assert!(
            bad.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            bad.body
        );
        assert!(
            bad.body.contains(&format!("href=\"#{field}\"")),
            "{field} in the summary"
        );
    }
    assert!(
        bad.body.contains("value=\"Quaker Meeting House\""),
        "what was typed is kept"
    );
    assert!(bad.body.contains(&format!("value=\"{end}\"")));
    assert!(bad.body.contains("value=\"MEMBERS\" checked"));
    assert_eq!(events_of(&db, net.alpha).await, before, "nothing written");

    // The form's own problems and the domain's come together.
    let gap = post_from(
        &client,
        new_page,
        new_page,
        &organiser,
        &[
            ("title", ""),
            ("kind", "MEETING"),
            ("startsAt", "2027-03-28T01:30"),
            ("endsAt", "soon"),
            ("visibility", "PUBLIC"),
            ("capacity", "ten"),
        ],
    )
    .await;
    assert_eq!(gap.status, 422);
    assert!(gap.body.contains("clocks go forward"), "{}", gap.body);
    for field in ["title", "startsAt", "endsAt", "capacity"] {
        assert!(
            gap.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            gap.body
        );
    }
    assert_eq!(events_of(&db, net.alpha).await, before);

    let created = post_from(
        &client,
        new_page,
        new_page,
        &organiser,
        &[
            ("title", "Alpha strategy evening"),
            ("kind", "MEETING"),
            ("startsAt", &start),
            ("endsAt", &end),
            ("venue", "Quaker Meeting House"),
            ("visibility", "MEMBERS"),
            ("capacity", "25"),
            ("description", "Planning the spring."),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.location(), Some("/groups/alpha/manage/events"));
    let made = event::Entity::find()
        .filter(event::Column::Title.eq("Alpha strategy evening"))
        .one(&db.conn)
        .await
        .unwrap()
        .expect("the event");
    assert_eq!(made.visibility, EventVisibility::Members);
    assert_eq!(made.starts_at, day(10, 18), "read as UK time");
    assert_eq!(made.capacity, Some(25));
    assert_eq!(made.group_id, Some(net.alpha));

    let page = format!("/events/{}", made.id);
    let member = session_of(&db, net.member.id).await;
    let stranger = session_of(&db, net.supporter.id).await;
    assert_eq!(get_as(&client, &page, Some(&member)).await.status, 200);
    assert_eq!(get_as(&client, &page, Some(&stranger)).await.status, 404);
    assert_eq!(get_as(&client, &page, None).await.status, 404);

    let listed = get_as(&client, "/groups/alpha/manage/events", Some(&organiser)).await;
    assert!(listed.body.contains("Alpha strategy evening"), "{}", listed.body);

    let edit = format!("/groups/alpha/manage/events/{}", made.id);
    let opened = get_as(&client, &edit, Some(&organiser)).await;
    assert!(opened.body.contains("value=\"Alpha strategy evening\""));
    assert!(
        opened.body.contains(&format!("value=\"{start}\"")),
        "times shown in UK time"
    );
    let changed = post_from(
        &client,
        &edit,
        &edit,
        &organiser,
        &[
            ("title", "Alpha spring strategy"),
            ("kind", "MEETING"),
            ("startsAt", &start),
            ("endsAt", &end),
            ("venue", "Quaker Meeting House"),
            ("visibility", "MEMBERS"),
            ("capacity", "30"),
        ],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let after = event::Entity::find_by_id(made.id).one(&db.conn).await.unwrap().unwrap();
    assert_eq!(after.title, "Alpha spring strategy");
    assert_eq!(after.capacity, Some(30));
    assert!(after.sequence > made.sequence, "calendars see the change");

    let cancelled = post_from(&client, &edit, &format!("{edit}/cancel"), &organiser, &[]).await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let after = event::Entity::find_by_id(made.id).one(&db.conn).await.unwrap().unwrap();
    assert_eq!(after.status, EventStatus::Cancelled);
    let listed = get_as(&client, "/groups/alpha/manage/events", Some(&organiser)).await;
    assert!(listed.body.contains("Cancelled"), "{}", listed.body);

    // Another group's organiser cannot post to Alpha's forms either.
    let other = session_of(&db, net.other_organiser.id).await;
    let csrf = opened.cookie("muster_csrf").unwrap();
    let refused = post(&client, new_page, &csrf, &other, &[("title", "Hijack")], None).await;
    assert_eq!(refused.status, 403);
}

/// The public profile keeps every problem beside its field; a saved change
/// shows on the group's page; the region is the network's. A request for
/// the group uses the `/request` form without the organisation and contact
/// fields, and is followed with its history.
async fn the_profile_is_edited_and_a_request_for_the_group_is_followed(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = session_of(&db, net.organiser.id).await;
    let profile = "/groups/alpha/manage/profile";

    let opened = get_as(&client, profile, Some(&organiser)).await;
    assert!(
        !opened.body.contains("id=\"region\""),
        "organisers do not change the region"
    );
    let bad = post_from(
        &client,
        profile,
        profile,
        &organiser,
        &[
            ("name", ""),
            ("contactEmail", "not an address"),
            ("description", "Hello"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"name-error\""));
    assert!(bad.body.contains("id=\"contactEmail-error\""));
    assert!(bad.body.contains("value=\"not an address\""));
    let saved = post_from(
        &client,
        profile,
        profile,
        &organiser,
        &[
            ("name", "Alpha Health Campaign"),
            ("contactEmail", "alpha@groups.example.org"),
            ("description", "We meet monthly."),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let public = get_as(&client, "/groups/alpha", None).await;
    assert!(public.body.contains("Alpha Health Campaign"));
    assert!(public.body.contains("alpha@groups.example.org"));
    let coordinator = session_of(&db, net.coordinator.id).await;
    assert!(
        get_as(&client, profile, Some(&coordinator))
            .await
            .body
            .contains("id=\"region\"")
    );

    let new_request = "/groups/alpha/manage/requests/new";
    let form = get_as(&client, new_request, Some(&organiser)).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(&format!("action=\"{new_request}\"")));
    assert!(
        !form.body.contains("id=\"contactEmail\""),
        "no contact for a group's request"
    );
    assert!(!form.body.contains("id=\"organisationName\""));
    assert_eq!(form.headers[header::CACHE_CONTROL], "private, no-store");

    let (from, to) = (uk_local(day(20, 17)), uk_local(day(20, 21)));
    let topic = net.topic.to_string();
    let missing = post_from(
        &client,
        new_request,
        new_request,
        &organiser,
        &[("kind", "WORKSHOP"), ("topicId", &topic), ("notes", "Kept text")],
    )
    .await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("windows-error"), "{}", missing.body);
    assert!(missing.body.contains("Kept text"));

    let sent = post_from(
        &client,
        new_request,
        new_request,
        &organiser,
        &[
            ("kind", "WORKSHOP"),
            ("topicId", &topic),
            ("window1From", &from),
            ("window1To", &to),
            ("online", "on"),
            ("expectedAudience", "30"),
        ],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), Some("/groups/alpha/manage/requests"));
    let stored = request::Entity::find()
        .filter(request::Column::GroupId.eq(net.alpha))
        .filter(request::Column::SubmittedBy.eq(net.organiser.id))
        .one(&db.conn)
        .await
        .unwrap()
        .expect("the group's request");
    assert!(stored.contact_email.is_none() && stored.organisation_name.is_none());

    let followed = get_as(&client, "/groups/alpha/manage/requests", Some(&organiser)).await;
    assert!(followed.body.contains(&stored.reference), "{}", followed.body);
    assert!(followed.body.contains("Submitted"));
    assert!(followed.body.contains("<ol class=\"history\">"));
    assert_no_foreign_email(&net, Persona::Organiser, "requests", &followed.body);
}

async fn add_members(db: &TestDb, group: Uuid, how_many: usize) {
    for _ in 0..how_many {
        let user = UserBuilder::new(db.now()).insert(&db.conn).await.unwrap();
        MembershipBuilder::new(user.id, group, db.now())
            .insert(&db.conn)
            .await
            .unwrap();
    }
}

/// The members page answers in as many statements with 200 members as
/// with 5: names, emails and their audit entries are read and written for
/// the whole page at once.
async fn the_members_page_costs_the_same_statements_for_5_and_200_members(db: TestDb) {
    let net = network::build(&db.conn).await;
    let page = "/groups/alpha/manage";
    // Alpha has its organiser, a member and an applicant: two more make 5.
    add_members(&db, net.alpha, 2).await;
    let organiser = session_of(&db, net.organiser.id).await;
    let (few, small) = count_page_statements(&db, page, &organiser).await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert_eq!(small.body.matches("class=\"person\"").count(), 5);

    add_members(&db, net.alpha, 195).await;
    let (many, large) = count_page_statements(&db, page, &organiser).await;
    assert_eq!(large.status, 200);
    assert!(large.body.contains("Members (199)"), "199 active and 1 applicant");
    assert!(large.body.matches("class=\"person\"").count() > 100);
    assert!(few > 0);
    assert_eq!(few, many, "5 members: {few} statements; 200 members: {many}");
    eprintln!("members page: {few} statements with 5 members, {many} with 200");
}
