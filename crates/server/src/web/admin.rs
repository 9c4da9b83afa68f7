//! Administration in the browser (issue 12): `/admin` and its sections, for admins only.
//! Anyone else gets the not-found page for every `/admin` path, so the pages' existence is not
//! revealed. Like the workspace, every page works without JavaScript: forms post (with the
//! session's CSRF token) and answer 303 with a banner, or the form again with what is wrong.
//!
//! Here: the [`Admin`] extractor, the overview, companies, and what the sections share (form
//! errors, banners, confirmations). Users are in `admin_users.rs` (their row actions in
//! `admin_user_status.rs`), their API keys in `admin_keys.rs`, offer
//! policies (with the preview of the lines a change moves) and the sender addresses in
//! `admin_policies.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::{Actor, CompanyKind, Locale, Role};

use super::error;
use super::page::{Chrome, html, or_error_page, see_other};
use super::session::{CheckedForm, Note, SignedIn, Visitor};
use crate::app::{App, Caller};
use crate::error::{AppError, AppResult, Message, Thing};
use crate::i18n;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/companies", get(companies).post(create_company))
        .merge(super::admin_users::router())
        .merge(super::admin_keys::router())
        .merge(super::admin_policies::router())
        .merge(super::admin_audit::router())
}

/// A signed-in admin. Others who are signed in get the not-found page; visitors who are not
/// are sent to sign in first.
pub struct Admin {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<App> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let s = SignedIn::from_request_parts(parts, app).await?;
        if s.actor.role != Role::Admin {
            let hidden = AppError::not_found(Thing::Route);
            return Err(error::page(s.visitor.locale, &hidden));
        }
        Ok(Admin {
            visitor: s.visitor,
            actor: s.actor,
        })
    }
}

impl Admin {
    pub fn caller(&self) -> Caller {
        Caller::User(self.actor.clone())
    }

    pub fn locale(&self) -> Locale {
        self.visitor.locale
    }

    /// The chrome of an admin page, with the banners left for it.
    pub async fn chrome(&self, here: &str, title_key: &str) -> AppResult<Chrome> {
        let notes = self.visitor.take_notes().await?;
        let c = Chrome::new(&self.visitor, "admin", here, &notes);
        let title = c.t(title_key);
        Ok(c.titled(title))
    }

    /// A banner for the next page, then 303 there.
    pub async fn done(&self, to: &str, ok: bool, text: String) -> AppResult<Response> {
        self.visitor
            .notify(vec![Note {
                ok,
                text,
                line: None,
            }])
            .await?;
        Ok(see_other(to))
    }
}

/// What is wrong with a form: each problem with the id of its field.
#[derive(Debug, Default)]
pub struct FormErrors(pub Vec<(String, String)>);

impl FormErrors {
    /// The problems of a refused form, or `None` when the error is not about the form's input
    /// (it becomes an error page). A problem without a field (a name already taken) goes to
    /// `fallback`.
    pub fn of(locale: Locale, e: &AppError, fallback: &str) -> Option<Self> {
        let fields = e.field_errors();
        if !fields.is_empty() {
            let problems = fields.iter().map(|f| {
                let field = f.path.root().unwrap_or(fallback).to_owned();
                (field, i18n::render(locale, &Message::from(&f.error)))
            });
            return Some(FormErrors(problems.collect()));
        }
        matches!(e, AppError::AlreadyExists(_))
            .then(|| FormErrors(vec![(fallback.to_owned(), error::message(locale, e))]))
    }

    /// The message for one field, if it has one.
    pub fn error(&self, field: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A question asked before an admin action takes something away (revoke a key, disable a
/// user), as a page: the words of its dialog, for a browser without JavaScript. Yes posts
/// `answer=yes`, Cancel `answer=no`.
#[derive(Template)]
#[template(path = "admin_confirm.html")]
pub struct ConfirmPage {
    pub c: Chrome,
    pub action: String,
    pub explain: String,
    /// The words of Yes (what it does: "Disable", "Revoke").
    pub yes: String,
    /// Where the answer returns (a list with its filter), when the action takes one.
    pub back: Option<String>,
}

/// The words of a company kind.
pub fn kind_label(c: &Chrome, kind: CompanyKind) -> String {
    c.t(match kind {
        CompanyKind::Partner => "admin-kind-partner",
        CompanyKind::Distributor => "admin-kind-distributor",
        CompanyKind::Operator => "admin-kind-operator",
    })
}

#[derive(Template)]
#[template(path = "admin.html")]
struct OverviewPage {
    c: Chrome,
}

async fn overview(admin: Admin) -> Response {
    let locale = admin.locale();
    let result = async {
        let c = admin.chrome("/admin", "admin-title").await?;
        Ok(html(StatusCode::OK, &OverviewPage { c }, locale))
    };
    or_error_page(locale, result.await)
}

struct CompanyRow {
    name: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "admin_companies.html")]
struct CompaniesPage {
    c: Chrome,
    companies: Vec<CompanyRow>,
    kinds: Vec<(&'static str, String, bool)>,
    name: String,
    errors: FormErrors,
}

async fn companies_page(
    app: &App,
    admin: &Admin,
    name: String,
    kind: String,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut c = admin
        .chrome("/admin/companies", "admin-companies-title")
        .await?;
    c.has_error = !errors.is_empty();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let companies = app
        .all_companies(&admin.caller())
        .await?
        .iter()
        .map(|co| CompanyRow {
            name: co.name.clone(),
            kind: kind_label(&c, co.kind),
        })
        .collect();
    let kinds = CompanyKind::ALL
        .iter()
        .map(|k| (k.as_str(), kind_label(&c, *k), k.as_str() == kind))
        .collect();
    let page = CompaniesPage {
        c,
        companies,
        kinds,
        name,
        errors,
    };
    Ok(html(status, &page, admin.locale()))
}

async fn companies(State(app): State<App>, admin: Admin) -> Response {
    let locale = admin.locale();
    let page = companies_page(
        &app,
        &admin,
        String::new(),
        String::new(),
        FormErrors::default(),
    );
    or_error_page(locale, page.await)
}

async fn create_company(
    State(app): State<App>,
    admin: Admin,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = admin.locale();
    let result = async {
        let (name, kind) = (fields.text("name"), fields.text("kind"));
        match app.create_company(&admin.caller(), name, kind).await {
            Ok(company) => {
                let text =
                    i18n::text_with(locale, "admin-company-created", &[("name", &company.name)]);
                admin.done("/admin/companies", true, text).await
            }
            Err(e) => match FormErrors::of(locale, &e, "name") {
                Some(errors) => {
                    companies_page(&app, &admin, name.to_owned(), kind.to_owned(), errors).await
                }
                None => Err(e),
            },
        }
    };
    or_error_page(locale, result.await)
}
