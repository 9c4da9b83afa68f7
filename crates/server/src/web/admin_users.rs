//! `/admin/users`: the users (filtered by company) with Disable / Enable and the resend
//! permission per row, a link to their API keys (`admin_keys.rs`), and a form to create one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use provisio_domain::{CompanyId, Role, UserStatus};
use serde::Deserialize;

use super::admin::{Admin, FormErrors};
use super::page::{Chrome, html, or_error_page};
use super::session::CheckedForm;
use crate::app::App;
use crate::app::admin::UserInput;
use crate::error::{AppError, AppResult};
use crate::i18n::text_with;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/can-resend", post(can_resend))
}

pub fn role_label(c: &Chrome, role: Role) -> String {
    c.t(match role {
        Role::Member => "admin-role-member",
        Role::SupportAgent => "admin-role-support_agent",
        Role::Admin => "admin-role-admin",
        Role::Integration => "admin-role-integration",
    })
}

fn status_label(c: &Chrome, status: UserStatus) -> String {
    c.t(match status {
        UserStatus::Active => "admin-status-active",
        UserStatus::Disabled => "admin-status-disabled",
    })
}

#[derive(Debug, Default, Deserialize)]
struct UsersQuery {
    #[serde(default)]
    company: String,
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    company: String,
    role: String,
    can_resend: bool,
    active: bool,
    status: String,
}

/// The create form's values as typed.
#[derive(Default)]
struct NewUserFields {
    company_id: String,
    email: String,
    name: String,
    role: String,
    can_resend: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    here: String,
    /// The company filter: (id, name, chosen).
    companies: Vec<(String, String, bool)>,
    /// The create form's companies: (id, name, chosen).
    form_companies: Vec<(String, String, bool)>,
    filtered: bool,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, String, bool)>,
    form: NewUserFields,
    errors: FormErrors,
}

async fn users_page(
    app: &App,
    admin: &Admin,
    filter: &str,
    form: NewUserFields,
    errors: FormErrors,
) -> AppResult<Response> {
    let company = match filter {
        "" => None,
        raw => Some(raw.parse::<CompanyId>().map_err(|_| {
            AppError::invalid_value(
                "company_id",
                "value-no-company-id",
                vec![("value", raw.to_owned())],
            )
        })?),
    };
    let here = match company {
        Some(id) => format!("/admin/users?company={id}"),
        None => "/admin/users".to_owned(),
    };
    let mut c = admin.chrome(&here, "admin-users-title").await?;
    c.has_error = !errors.is_empty();
    let caller = admin.caller();
    let all = app.all_companies(&caller).await?;
    let companies = all
        .iter()
        .map(|co| (co.id.to_string(), co.name.clone(), Some(co.id) == company))
        .collect();
    let form_companies = all
        .iter()
        .map(|co| {
            let id = co.id.to_string();
            let chosen = id == form.company_id;
            (id, co.name.clone(), chosen)
        })
        .collect();
    let users = app
        .all_users(&caller, company)
        .await?
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.name.clone(),
            email: u.email.to_string(),
            company: u.company.name.clone(),
            role: role_label(&c, u.role),
            can_resend: u.can_resend,
            active: u.status == UserStatus::Active,
            status: status_label(&c, u.status),
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), role_label(&c, *r), r.as_str() == form.role))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UsersPage {
        c,
        here,
        companies,
        form_companies,
        filtered: company.is_some(),
        users,
        roles,
        form,
        errors,
    };
    Ok(html(status, &page, admin.locale()))
}

async fn users(State(app): State<App>, admin: Admin, Query(q): Query<UsersQuery>) -> Response {
    let locale = admin.locale();
    let page = users_page(
        &app,
        &admin,
        q.company.trim(),
        NewUserFields::default(),
        FormErrors::default(),
    );
    or_error_page(locale, page.await)
}

async fn create_user(
    State(app): State<App>,
    admin: Admin,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let form = NewUserFields {
            company_id: fields.text("company_id").to_owned(),
            email: fields.text("email").to_owned(),
            name: fields.text("name").to_owned(),
            role: fields.text("role").to_owned(),
            can_resend: fields.text("can_resend") == "yes",
        };
        if form.company_id.is_empty() {
            let message = crate::i18n::text(locale, "admin-company-missing");
            let errors = FormErrors(vec![("company_id".into(), message)]);
            return users_page(&app, &admin, "", form, errors).await;
        }
        let password = fields.get("password").filter(|p| !p.is_empty()).cloned();
        let input = UserInput {
            company: form.company_id.clone(),
            email: form.email.clone(),
            name: form.name.clone(),
            role: form.role.clone(),
            can_resend: form.can_resend,
            password,
        };
        match app.create_user(&admin.caller(), input).await {
            Ok(user) => {
                let email = user.email.to_string();
                let text = text_with(locale, "admin-user-created", &[("email", &email)]);
                admin.done("/admin/users", true, text).await
            }
            Err(e) => match FormErrors::of(locale, &e, "email") {
                Some(errors) => users_page(&app, &admin, "", form, errors).await,
                None => Err(e),
            },
        }
    };
    or_error_page(locale, result.await)
}

/// Where a row's action returns: the list it was on (its filter kept).
fn back(fields: &super::form::Fields) -> String {
    super::page::local_path(fields.text("back"), "/admin/users")
}

async fn user_action(
    app: &App,
    admin: &Admin,
    raw_id: &str,
    fields: &super::form::Fields,
    act: Action,
) -> AppResult<Response> {
    let user = app.user_by_id(&admin.caller(), raw_id).await?;
    let email = user.email.to_string();
    let caller = admin.caller();
    let locale = admin.locale();
    let done = match act {
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
    admin.done(&back(fields), ok, text).await
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
