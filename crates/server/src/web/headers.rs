//! The headers every HTML page of ours carries, error pages included (SPEC §11): HTML, never
//! cached (pages show personal data or carry a token), and its content and referrer
//! policies. (`nosniff` is added to every answer by the service's layers.)

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The workspace's policy: scripts and styles only from us, frames only ours, never framed;
/// scripts may fetch only from us (a case page looks at itself again while an email of its
/// line is on its way). Error pages send it too, wherever they appear.
pub const WORKSPACE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob:; connect-src 'self'; frame-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Sets the headers of an HTML page: its type, `no-store`, `csp` and `referrer`.
pub fn page_headers(response: &mut Response, csp: &'static str, referrer: &'static str) {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
}
