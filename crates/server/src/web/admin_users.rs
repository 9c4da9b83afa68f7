//! `/admin/users`: the users (filtered by company), each with whether they are active and
//! which lines they may resend and why (the domain's [`ResendStanding`], the rule itself),
//! Disable / Enable and the resend grant per row (`admin_user_status.rs`), a link to their API
//! keys (`admin_keys.rs`), and a form to create one that says everything wrong at once.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::{CompanyId, CompanyKind, ResendStanding, Role, UserStatus};
use provisio_store::User;
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
        .merge(super::admin_user_status::router())
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

/// Which lines the user may resend and why, in words (R5, as [`ResendStanding`] decides).
fn standing_words(c: &Chrome, user: &User) -> String {
    let company = &user.company;
    match ResendStanding::of(user.role, company.kind, user.can_resend) {
        ResendStanding::Admin => c.t("admin-standing-admin"),
        ResendStanding::SupportAgent => c.t("admin-standing-support_agent"),
        ResendStanding::Granted if company.kind == CompanyKind::Distributor => c.t_with(
            "admin-standing-granted-distributor",
            &[("company", &company.name)],
        ),
        ResendStanding::Granted => {
            c.t_with("admin-standing-granted", &[("company", &company.name)])
        }
        ResendStanding::OwnOrdersOnly => c.t("admin-standing-own"),
    }
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
    /// Which lines they may resend, and why.
    standing: String,
    /// Whether the resend grant changes what they may do (so its button is offered).
    grant_matters: bool,
    active: bool,
    status: String,
    /// The signed-in admin's own row: no Disable (nobody could enable them again).
    is_me: bool,
    /// The Disable dialog's question and explanation.
    disable_question: String,
    disable_explain: String,
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
        .map(|u| {
            let (disable_question, disable_explain) = disable_words(&c, u);
            UserRow {
                id: u.id.to_string(),
                name: u.name.clone(),
                email: u.email.to_string(),
                company: u.company.name.clone(),
                role: role_label(&c, u.role),
                can_resend: u.can_resend,
                standing: standing_words(&c, u),
                grant_matters: ResendStanding::grant_matters(u.role, u.company.kind),
                active: u.status == UserStatus::Active,
                status: status_label(&c, u.status),
                is_me: u.id == admin.actor.user_id,
                disable_question,
                disable_explain,
            }
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

/// What the Disable confirmation asks and says (the dialog and the page without JavaScript):
/// whose sessions end and that their API keys stop working.
pub fn disable_words(c: &Chrome, user: &User) -> (String, String) {
    let (name, email) = (user.name.as_str(), user.email.as_str());
    (
        c.t_with(
            "admin-disable-question",
            &[("name", name), ("email", email)],
        ),
        c.t_with("admin-disable-explain", &[("name", name), ("email", email)]),
    )
}
