//! Headers every HTML page muster serves carries, whatever produced it
//! (the public pages, the privacy notice, the GraphiQL playground): each
//! page names its own Content-Security-Policy, the rest is shared.

use poem::{ResponseBuilder, http::header};

pub fn secure_headers(builder: ResponseBuilder, content_security_policy: &str) -> ResponseBuilder {
    builder
        .header(header::CONTENT_SECURITY_POLICY, content_security_policy)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // Feed addresses and references in our URLs go nowhere else.
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
}
