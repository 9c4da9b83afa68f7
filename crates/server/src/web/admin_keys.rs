//! `/admin/users/{id}/keys`: a user's API keys (created, last used, revoked) with Revoke
//! (after a confirmation page that works without JavaScript) and Create API key (the new key
//! shown once, on the answer to the form itself, never kept in the session).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_store::{ApiKeyRecord, User};

use super::admin::{Admin, ConfirmPage};
use super::page::{Chrome, html, or_error_page, see_other, when};
use super::session::CheckedForm;
use crate::app::App;
use crate::error::{AppError, AppResult, Thing};
use crate::i18n::text_with;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/users/{id}/keys", get(keys).post(create_key))
        .route(
            "/admin/users/{id}/keys/{key}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

struct KeyRow {
    id: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    c: Chrome,
    user_id: String,
    keys: Vec<KeyRow>,
    intro: String,
    /// The key just created, shown this once.
    new_key: Option<String>,
}

fn key_rows(app: &App, c: &Chrome, keys: &[ApiKeyRecord]) -> Vec<KeyRow> {
    keys.iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            created: when(app, k.created_at),
            last_used: k
                .last_used_at
                .map_or_else(|| c.t("admin-key-never"), |t| when(app, t)),
            revoked: k.revoked_at.map(|t| when(app, t)),
        })
        .collect()
}

async fn keys_page(
    app: &App,
    admin: &Admin,
    user: &User,
    new_key: Option<String>,
) -> AppResult<Response> {
    let here = format!("/admin/users/{}/keys", user.id);
    let (_, keys) = app.api_keys(&admin.caller(), user.email.as_str()).await?;
    let c = admin.chrome(&here, "admin-keys-title").await?;
    let title = c.t_with("admin-keys-title", &[("name", &user.name)]);
    let page = KeysPage {
        intro: c.t_with("admin-keys-intro", &[("email", user.email.as_str())]),
        keys: key_rows(app, &c, &keys),
        c: c.titled(title),
        user_id: user.id.to_string(),
        new_key,
    };
    Ok(html(StatusCode::OK, &page, admin.locale()))
}

async fn keys(State(app): State<App>, admin: Admin, Path(id): Path<String>) -> Response {
    let locale = admin.locale();
    let result = async {
        let user = app.user_by_id(&admin.caller(), &id).await?;
        keys_page(&app, &admin, &user, None).await
    };
    or_error_page(locale, result.await)
}

async fn create_key(
    State(app): State<App>,
    admin: Admin,
    Path(id): Path<String>,
    CheckedForm(_): CheckedForm,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let user = app.user_by_id(&admin.caller(), &id).await?;
        let created = app
            .create_api_key(&admin.caller(), user.email.as_str())
            .await?;
        keys_page(&app, &admin, &user, Some(created.key)).await
    };
    or_error_page(locale, result.await)
}

/// The key of this user that the path names; any other is not found.
async fn users_key(
    app: &App,
    admin: &Admin,
    raw_user: &str,
    raw_key: &str,
) -> AppResult<(User, ApiKeyRecord)> {
    let user = app.user_by_id(&admin.caller(), raw_user).await?;
    let (_, keys) = app.api_keys(&admin.caller(), user.email.as_str()).await?;
    let key = keys
        .into_iter()
        .find(|k| k.id.to_string() == raw_key.trim())
        .ok_or(AppError::not_found(Thing::ApiKey))?;
    Ok((user, key))
}

async fn confirm_revoke(
    State(app): State<App>,
    admin: Admin,
    Path((user_id, key_id)): Path<(String, String)>,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let (user, key) = users_key(&app, &admin, &user_id, &key_id).await?;
        let back = format!("/admin/users/{}/keys", user.id);
        if key.revoked_at.is_some() {
            return Ok(see_other(&back));
        }
        let c = admin.chrome(&back, "admin-revoke-question").await?;
        let id = key.id.to_string();
        let title = c.t_with("admin-revoke-question", &[("id", &id)]);
        let page = ConfirmPage {
            explain: c.t_with("admin-revoke-explain", &[("email", user.email.as_str())]),
            yes: c.t("admin-revoke"),
            c: c.titled(title),
            action: format!("/admin/users/{}/keys/{id}/revoke", user.id),
            back: None,
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn revoke(
    State(app): State<App>,
    admin: Admin,
    Path((user_id, key_id)): Path<(String, String)>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let (user, key) = users_key(&app, &admin, &user_id, &key_id).await?;
        let back = format!("/admin/users/{}/keys", user.id);
        if fields.text("answer") != "yes" {
            return Ok(see_other(&back));
        }
        let key = app
            .revoke_api_key(&admin.caller(), &key.id.to_string())
            .await?;
        let text = text_with(
            locale,
            "admin-key-revoked-done",
            &[("id", &key.id.to_string())],
        );
        admin.done(&back, true, text).await
    };
    or_error_page(locale, result.await)
}
