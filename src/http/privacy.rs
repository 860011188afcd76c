//! `GET /privacy`: the privacy notice, in plain words, with the retention
//! periods this instance is configured with.
//!
//! The page is a fixed HTML string: every value put into it is escaped, it
//! loads nothing (no scripts, styles, fonts or images, which its
//! Content-Security-Policy also forbids), and it sends no referrer onward.

use poem::{Response, handler, web::Data};

use crate::{AppState, domain::retention::RetentionPolicy};

/// Nothing may load, run or frame the page; only the site's icon shows.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[handler]
pub async fn privacy_notice(Data(state): Data<&AppState>) -> Response {
    super::html::secure_headers(Response::builder(), CONTENT_SECURITY_POLICY)
        .content_type("text/html; charset=utf-8")
        .body(render(state.retention))
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn days(n: u32) -> String {
    escape_html(&if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    })
}

pub fn render(policy: RetentionPolicy) -> String {
    let contact_days = days(policy.retention_days);
    let audit_days = days(policy.audit_retention_days);
    let rsvp_days = days(policy.rsvp_retention_days);
    let signature_days = days(policy.signature_retention_days);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy: what muster keeps about you</title>
<meta name="description" content="What muster keeps about the people it serves, who sees it, for how long, and how to see, export or erase it.">
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
</head>
<body>
<main>
<h1>What muster keeps about you</h1>
<p>muster is how our campaign network organises its groups, talks,
workshops and events. Some of the people in it could be put at risk if
anyone learned they were involved, so we keep as little about you as we
can, show it only to the people who need it, and never send it to anyone
outside the network. Nothing here is sold, shared with advertisers, or
handed to any government body.</p>

<h2>What we store</h2>
<ul>
<li><strong>Your account</strong>: your email address (to sign in), the name
you choose to show, and your password, stored only as a one-way hash that
no one can read back.</li>
<li><strong>Your groups</strong>: which local groups you have joined or asked
to join, and whether you are a member or an organiser.</li>
<li><strong>Your RSVPs</strong>: which events you said you are going to.</li>
<li><strong>If you train or speak</strong>: the topics and regions you cover,
how many engagements a month you take, when you are away, and the
engagements you were asked to do.</li>
<li><strong>Requests for a speaker or workshop</strong>: who to contact about
it (a name and an email address) and any notes the requester wrote.</li>
<li><strong>If you sign a letter or a pledge</strong>: your name (or your
organisation's, its town and a contact's name), the first part of your
postcode if you give it, your email address, whether your name may be shown,
and a scrambled form of the connection you signed from (to stop floods). We
never show your name unless you chose to be listed.</li>
<li><strong>Calendar links</strong>: the names you gave your private calendar
links. The secret part of each link is not stored, only a scrambled form
of it that cannot be turned back into a working link.</li>
<li><strong>Who looked at your details</strong>: every time someone else sees
your email address or a request's contact details, or changes your
account, we record who, when and why.</li>
</ul>
<p>We do not keep logs of what you read or send. Our server logs hold no
email addresses, passwords, links or contact details.</p>

<h2>Who can see it</h2>
<ul>
<li>Anyone can see groups and public events.</li>
<li>Your email address is seen by you, by the organisers of groups you
belong to or asked to join, and by the network's coordinators. Every time
one of them sees it, that goes in your access log.</li>
<li>Members-only events are seen by that group's members. Who is going to
an event is seen by its group's organisers, the trainer delivering it and
the coordinators.</li>
<li>The email address you sign a letter with is seen only by the network's
coordinators and admins, each look recorded.</li>
<li>A request's contact details are seen by the requesting group's
organisers, the trainer once assigned, and the coordinators; each look is
recorded.</li>
</ul>

<h2>How long we keep it</h2>
<ul>
<li>Your account stays until you delete it.</li>
<li>The contact details and notes of a request are deleted
{contact_days} after the request ends (delivered, declined, withdrawn or
cancelled).</li>
<li>Records of who looked at your details are deleted after {audit_days}.</li>
<li>Your RSVPs to an event are deleted {rsvp_days} after it ends: we keep how
many came, not who.</li>
<li>The names and email addresses of a letter's signatories are deleted
{signature_days} after the letter is delivered or closed: we keep how many
signed, and the organisations that signed publicly.</li>
</ul>

<h2>Seeing, copying and deleting your data</h2>
<ul>
<li><strong>See who looked</strong>: the <code>myDataAccessLog</code> query lists
everyone who has seen or changed your details.</li>
<li><strong>Get a copy</strong>: the <code>exportMyData</code> query gives you
everything we hold about you in one file. If you cannot sign in, write to
the network's coordinators and they will send it to you.</li>
<li><strong>Delete your account</strong>: the <code>deleteMyAccount</code>
mutation (with your password) removes your email, name and password, your
group memberships, RSVPs and calendar links at once. Talks and workshops
you asked for or delivered stay in the network's records, shown as
&ldquo;former member&rdquo;, with your name and address gone. You can also
ask the coordinators to do this for you.</li>
</ul>
</main>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_notice_names_the_configured_periods() {
        let page = render(RetentionPolicy {
            retention_days: 90,
            audit_retention_days: 1,
            rsvp_retention_days: 14,
            outbox_retention_days: 30,
            signature_retention_days: 180,
        });
        assert!(page.contains("90 days after the request ends"));
        assert!(page.contains("14 days after it ends"));
        assert!(page.contains("deleted after 1 day."));
    }
}
