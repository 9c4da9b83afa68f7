//! A user's row actions on `/admin/users`: Disable (which asks first: a native dialog with
//! JavaScript, the confirmation page `GET /admin/users/{id}/disable` without, both saying
//! whose sessions end and that their API keys stop working), Enable (at once: it takes
//! nothing away), and the resend grant. Each answers 303 to the list it came from, with a
//! banner.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use provisio_domain::UserStatus;
use serde::Deserialize;

use super::admin::{Admin, ConfirmPage};
use super::admin_users::disable_words;
use super::form::Fields;
use super::page::{html, local_path, or_error_page, see_other};
use super::session::CheckedForm;
use crate::app::App;
use crate::error::AppResult;
use crate::i18n::text_with;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/admin/users/{id}/disable",
            get(confirm_disable).post(disable),
        )
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/can-resend", post(can_resend))
}

#[derive(Debug, Default, Deserialize)]
struct BackQuery {
    #[serde(default)]
    back: String,
}

/// Where a row's action returns: the list it was on (its filter kept).
fn back(raw: &str) -> String {
    local_path(raw, "/admin/users")
}

async fn confirm_disable(
    State(app): State<App>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let user = app.user_by_id(&admin.caller(), &id).await?;
        let back = back(&q.back);
        // Nothing to ask: already disabled.
        if user.status == UserStatus::Disabled {
            return Ok(see_other(&back));
        }
        let c = admin.chrome(&back, "admin-users-title").await?;
        let (question, explain) = disable_words(&c, &user);
        let page = ConfirmPage {
            yes: c.t("admin-disable"),
            c: c.titled(question),
            action: format!("/admin/users/{}/disable", user.id),
            explain,
            back: Some(back),
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn user_action(
    app: &App,
    admin: &Admin,
    raw_id: &str,
    fields: &Fields,
    act: Action,
) -> AppResult<Response> {
    let user = app.user_by_id(&admin.caller(), raw_id).await?;
    let back = back(fields.text("back"));
    let email = user.email.to_string();
    let caller = admin.caller();
    let locale = admin.locale();
    let done = match act {
        // Disable only on the confirmation's Yes.
        Action::Disable if fields.text("answer") != "yes" => return Ok(see_other(&back)),
        Action::Disable => app
            .disable_user(&caller, &email)
            .await
            .map(|_| "admin-user-disabled"),
        Action::Enable => app
            .enable_user(&caller, &email)
            .await
            .map(|_| "admin-user-enabled"),
        Action::CanResend(true) => app
            .set_can_resend(&caller, &email, true)
            .await
            .map(|_| "admin-resend-allowed"),
        Action::CanResend(false) => app
            .set_can_resend(&caller, &email, false)
            .await
            .map(|_| "admin-resend-forbidden"),
    };
    let (ok, text) = match done {
        Ok(key) => (true, text_with(locale, key, &[("email", &email)])),
        // Refused as input (an admin disabling themselves): said in the banner.
        Err(e) if !e.field_errors().is_empty() => (false, super::error::message(locale, &e)),
        Err(e) => return Err(e),
    };
    admin.done(&back, ok, text).await
}

enum Action {
    Disable,
    Enable,
    CanResend(bool),
}

async fn disable(
    State(app): State<App>,
    admin: Admin,
    Path(id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    or_error_page(
        locale,
        user_action(&app, &admin, &id, &fields, Action::Disable).await,
    )
}

async fn enable(
    State(app): State<App>,
    admin: Admin,
    Path(id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    or_error_page(
        locale,
        user_action(&app, &admin, &id, &fields, Action::Enable).await,
    )
}

async fn can_resend(
    State(app): State<App>,
    admin: Admin,
    Path(id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    let allow = fields.text("can_resend") == "yes";
    or_error_page(
        locale,
        user_action(&app, &admin, &id, &fields, Action::CanResend(allow)).await,
    )
}
