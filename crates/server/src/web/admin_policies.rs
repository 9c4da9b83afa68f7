//! `/admin/policies`: each offer's provisioning window and the default, a form per offer and
//! one for a new offer. A change goes first to a preview listing the lines whose deadline
//! moves (old → new, as the domain computes it), then Save or Cancel. `/admin/senders`: the
//! sender addresses and where they are configured (read-only: they come from the
//! configuration, which a restart applies).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::admin::{Admin, FormErrors};
use super::page::{Chrome, html, or_error_page, see_other, when};
use super::session::CheckedForm;
use crate::app::App;
use crate::error::AppResult;
use crate::i18n::text_with;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/policies", get(policies).post(save))
        .route("/admin/policies/preview", get(preview))
        .route("/admin/senders", get(senders))
}

struct PolicyRow {
    offer: String,
    window_days: u32,
    /// The id of its window field (unique on the page).
    field: String,
    label: String,
    error: Option<String>,
    /// What was typed, when the preview refused it.
    typed: Option<String>,
    /// Its running lines' deadlines are still being moved to this window.
    moving: bool,
}

#[derive(Template)]
#[template(path = "admin_policies.html")]
struct PoliciesPage {
    c: Chrome,
    rows: Vec<PolicyRow>,
    default_line: String,
    new_offer: String,
    new_days: String,
    errors: FormErrors,
}

/// A refused preview: the form it came from and what was typed.
struct Refused {
    /// The offer of the row's form; `None`: the new-offer form.
    offer: Option<String>,
    typed_offer: String,
    typed_days: String,
    errors: FormErrors,
}

fn field_id(offer: &str) -> String {
    format!("window-{offer}")
}

async fn policies_page(app: &App, admin: &Admin, refused: Option<Refused>) -> AppResult<Response> {
    let mut c = admin
        .chrome("/admin/policies", "admin-policies-title")
        .await?;
    let (items, default_days) = app.offer_policies().await?;
    let moving = app.moving_policies(&admin.caller()).await?;
    let refused_row = refused.as_ref().and_then(|r| r.offer.clone());
    let mut summary = FormErrors::default();
    let mut rows = Vec::with_capacity(items.len());
    for (offer, days) in items {
        let offer = offer.to_string();
        let field = field_id(&offer);
        let mine = refused_row.as_deref() == Some(offer.as_str());
        let error = refused
            .as_ref()
            .filter(|_| mine)
            .and_then(|r| r.errors.0.first().map(|(_, m)| m.clone()));
        if let Some(m) = &error {
            summary.0.push((field.clone(), m.clone()));
        }
        rows.push(PolicyRow {
            moving: moving.iter().any(|m| m.as_str() == offer),
            label: c.t_with("admin-window-of", &[("offer", &offer)]),
            typed: refused
                .as_ref()
                .filter(|_| mine)
                .map(|r| r.typed_days.clone()),
            offer,
            window_days: days,
            field,
            error,
        });
    }
    let (mut new_offer, mut new_days, mut new_errors) = (String::new(), String::new(), None);
    if let Some(r) = refused.filter(|r| r.offer.is_none()) {
        new_offer = r.typed_offer;
        new_days = r.typed_days;
        new_errors = Some(r.errors);
    }
    // The new-offer form's fields are `offer` and `new-window`.
    if let Some(errors) = new_errors {
        for (field, message) in errors.0 {
            let field = if field == "offer" {
                field
            } else {
                "new-window".into()
            };
            summary.0.push((field, message));
        }
    }
    c.has_error = !summary.is_empty();
    let status = if summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PoliciesPage {
        default_line: c.t_with(
            "admin-default-window",
            &[("days", &default_days.to_string())],
        ),
        c,
        rows,
        new_offer,
        new_days,
        errors: summary,
    };
    Ok(html(status, &page, admin.locale()))
}

async fn policies(State(app): State<App>, admin: Admin) -> Response {
    let locale = admin.locale();
    or_error_page(locale, policies_page(&app, &admin, None).await)
}

#[derive(Debug, Default, Deserialize)]
struct PreviewQuery {
    #[serde(default)]
    offer: String,
    #[serde(default)]
    window_days: String,
    /// Set by the new-offer form.
    #[serde(default)]
    new: String,
}

struct MoveRow {
    sub_ref: String,
    order_id: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "admin_preview.html")]
struct PreviewPage {
    c: Chrome,
    offer: String,
    window_days: u32,
    explain: String,
    moves: Vec<MoveRow>,
    /// "Deadlines of 1,000,000 lines move: the first 100 are listed", when not all are.
    more: Option<String>,
}

async fn preview(State(app): State<App>, admin: Admin, Query(q): Query<PreviewQuery>) -> Response {
    let locale = admin.locale();
    let result = async {
        let refused = |errors: FormErrors| Refused {
            offer: q.new.is_empty().then(|| q.offer.trim().to_owned()),
            typed_offer: q.offer.trim().to_owned(),
            typed_days: q.window_days.trim().to_owned(),
            errors,
        };
        // A number that is not one is refused as the domain refuses one out of range.
        let days = q.window_days.trim().parse::<i64>().unwrap_or(0);
        let preview = match app.policy_preview(&admin.caller(), &q.offer, days).await {
            Ok(p) => p,
            Err(e) => match FormErrors::of(locale, &e, "window_days") {
                Some(errors) => return policies_page(&app, &admin, Some(refused(errors))).await,
                None => return Err(e),
            },
        };
        let c = admin
            .chrome("/admin/policies", "admin-preview-title")
            .await?;
        let offer = preview.offer.to_string();
        let (from, to) = (
            preview.current_days.to_string(),
            preview.window_days.to_string(),
        );
        let title = c.t_with(
            "admin-preview-title",
            &[("offer", &offer), ("from", &from), ("to", &to)],
        );
        let none = c.t("admin-no-deadline");
        let at = |t: Option<jiff::Timestamp>| t.map_or_else(|| none.clone(), |t| when(&app, t));
        let moves = preview
            .moves
            .iter()
            .map(|m| MoveRow {
                sub_ref: m.sub_ref.to_string(),
                order_id: m.web_order_id.to_string(),
                from: at(m.from),
                to: at(m.to),
            })
            .collect();
        let more = (preview.moved > preview.moves.len()).then(|| {
            c.t_with(
                "admin-preview-more",
                &[
                    ("count", &preview.moved.to_string()),
                    ("listed", &preview.moves.len().to_string()),
                ],
            )
        });
        let page = PreviewPage {
            explain: c.t_with("admin-preview-explain", &[("offer", &offer)]),
            c: c.titled(title),
            offer,
            window_days: preview.window_days,
            more,
            moves,
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn save(State(app): State<App>, admin: Admin, CheckedForm(fields): CheckedForm) -> Response {
    let locale = admin.locale();
    let result = async {
        if fields.text("answer") != "yes" {
            return Ok(see_other("/admin/policies"));
        }
        let days = fields.text("window_days").parse::<i64>().unwrap_or(0);
        let (offer, days) = app
            .set_offer_policy(&admin.caller(), fields.text("offer"), days)
            .await?;
        let text = text_with(
            locale,
            "admin-policy-saved",
            &[("offer", offer.as_str()), ("days", &days.to_string())],
        );
        admin.done("/admin/policies", true, text).await
    };
    or_error_page(locale, result.await)
}

#[derive(Template)]
#[template(path = "admin_senders.html")]
struct SendersPage {
    c: Chrome,
    addresses: Vec<String>,
    from: String,
}

async fn senders(State(app): State<App>, admin: Admin) -> Response {
    let locale = admin.locale();
    let result = async {
        let c = admin
            .chrome("/admin/senders", "admin-senders-title")
            .await?;
        let page = SendersPage {
            c,
            addresses: app.sender_addresses(),
            from: match &app.config.mail_from.name {
                Some(name) => format!("{name} <{}>", app.config.mail_from.address),
                None => app.config.mail_from.address.clone(),
            },
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}
