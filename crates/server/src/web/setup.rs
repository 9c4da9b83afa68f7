//! `GET`/`POST /setup/{token}`: the page the provisioning email links to (R7, SPEC §8, §10).
//! GET never changes anything (mail scanners open links). POST carries the contact's choice:
//! create an organization (`organization_name` alone, the §7 form contract), pick one
//! onboarded earlier (`choice=org:{id}`, or `organization_id`), or hand the setup off to a
//! colleague (`choice=colleague` with `colleague_email`). `POST /setup/{token}/fresh-link`
//! asks for a fresh link from a link that no longer opens the form. Live link 200, used or
//! revoked 410, unknown 404: always a plain page in the line's language, never an error dump.
//! The pages themselves are drawn in `setup_page`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use provisio_domain::organization::SetupChoice;

use super::error;
use super::form::{Fields, StrictForm};
use super::locale::preferred_locale;
use super::setup_page::{Entered, done, fresh_link_asked, handed_off, live, view};
use crate::app::App;
use crate::app::hand_off::{FreshLink, HandOffOutcome};
use crate::app::setup::SetupOutcome;
use crate::error::AppError;

pub fn router() -> Router<App> {
    Router::new()
        .route("/setup/{token}", get(show).post(submit))
        .route("/setup/{token}/fresh-link", post(fresh))
}

async fn show(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match app.setup_link(&token).await {
        Ok(v) => view(&app, &token, v, Entered::default(), &headers),
        Err(e) => error::page(preferred_locale(&headers), &e),
    }
}

/// What the contact chose, read from the form's fields.
enum Choice {
    Organization(SetupChoice),
    Colleague(String),
}

/// The radio button says what the contact chose. Without it (a client posting only
/// `organization_name`, §7, or an `organization_id`), or when the contact chose a new
/// organization but filled in only a colleague's address, the filled field does.
fn choice(fields: &Fields) -> Choice {
    let name = fields.text("organization_name");
    let colleague = fields.text("colleague_email");
    let organization_id = fields.text("organization_id");
    let create = || {
        Choice::Organization(SetupChoice::Create {
            name: name.to_owned(),
        })
    };
    match fields.text("choice") {
        "colleague" => Choice::Colleague(colleague.to_owned()),
        picked if picked.starts_with("org:") => Choice::Organization(SetupChoice::Existing {
            id: picked["org:".len()..].to_owned(),
        }),
        "" if !organization_id.is_empty() => Choice::Organization(SetupChoice::Existing {
            id: organization_id.to_owned(),
        }),
        _ if name.is_empty() && !colleague.is_empty() => Choice::Colleague(colleague.to_owned()),
        _ => create(),
    }
}

async fn submit(
    State(app): State<App>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<StrictForm, AppError>,
) -> Response {
    let fields = match form {
        Ok(StrictForm(fields)) => fields,
        Err(e) => return error::page(preferred_locale(&headers), &e),
    };
    let entered = Entered {
        choice: fields.text("choice").to_owned(),
        organization_name: fields.get("organization_name").cloned().unwrap_or_default(),
        colleague_email: fields.text("colleague_email").to_owned(),
    };
    match choice(&fields) {
        Choice::Organization(choice) => match app.onboard_by_link(&token, choice).await {
            Ok(SetupOutcome::Onboarded { line, organization }) => done(&app, &line, &organization),
            Ok(SetupOutcome::NotLive(v)) => view(&app, &token, *v, Entered::default(), &headers),
            Ok(SetupOutcome::Invalid {
                link,
                organizations,
                error,
            }) => invalid(&app, &link, organizations, entered, &error),
            Err(e) => error::page(preferred_locale(&headers), &e),
        },
        Choice::Colleague(colleague) => match app.hand_off_by_link(&token, &colleague).await {
            Ok(HandOffOutcome::HandedOff {
                to,
                locale,
                ordering_contact,
            }) => handed_off(locale, &to, &ordering_contact),
            Ok(HandOffOutcome::NotLive(v)) => view(&app, &token, *v, Entered::default(), &headers),
            Ok(HandOffOutcome::Invalid {
                link,
                organizations,
                error,
            }) => invalid(
                &app,
                &link,
                organizations,
                Entered {
                    choice: "colleague".into(),
                    ..entered
                },
                &error,
            ),
            Err(e) => error::page(preferred_locale(&headers), &e),
        },
    }
}

/// The form again with what is wrong, 422.
fn invalid(
    app: &App,
    link: &provisio_store::SetupLink,
    organizations: Vec<provisio_domain::Organization>,
    entered: Entered,
    e: &AppError,
) -> Response {
    let mut response = live(app, link, organizations, entered, Some(e));
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// "Send me a fresh link": the same answer whether or not a mail went (unknown links 404).
async fn fresh(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match app.fresh_link(&token).await {
        Ok(FreshLink::Asked { locale }) => fresh_link_asked(locale),
        Ok(FreshLink::Unknown) => view(
            &app,
            &token,
            crate::app::setup::LinkView::Unknown,
            Entered::default(),
            &headers,
        ),
        Err(e) => error::page(preferred_locale(&headers), &e),
    }
}
