//! Companies, users, API keys and offer policies: the admin's (and operator CLI's) work.

use jiff::Timestamp;
use provisio_domain::event::Event;
use provisio_domain::field::Collector;
use provisio_domain::policy::{DEFAULT_WINDOW_DAYS, parse_window_days, window_of};
use provisio_domain::refusal::{Denial, Refusal};
use provisio_domain::{
    CompanyId, CompanyKind, ContactEmail, FieldPath, OfferPolicies, OfferSku, PersonName, Role,
    SubRef, ValueError, WebOrderId,
};
use provisio_store::{Company, NewCompany, NewUser, PolicyChange, User};

use super::{App, Caller, secrets};
use crate::error::{AppError, AppResult};

/// A user to create, fields still raw.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    /// A company id, or (CLI) a company name.
    pub company: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub can_resend: bool,
    pub password: Option<String>,
}

/// What saving a policy would do: the lines whose deadline moves, each from → to.
#[derive(Debug, Clone)]
pub struct PolicyPreview {
    pub offer: OfferSku,
    pub window_days: u32,
    /// The window the offer has now (its policy, or the default).
    pub current_days: u32,
    /// How many lines' deadlines move.
    pub moved: usize,
    /// The first [`PREVIEW_LISTED`] of them, in the order they were stored (a page of a
    /// million rows helps nobody: the count says how many).
    pub moves: Vec<DeadlineMove>,
}

/// Lines whose deadlines a policy change moves in one transaction.
pub const MOVE_BATCH: u32 = 1_000;

/// Lines a policy preview lists by name.
pub const PREVIEW_LISTED: usize = 100;

#[derive(Debug, Clone)]
pub struct DeadlineMove {
    pub sub_ref: SubRef,
    pub web_order_id: WebOrderId,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

pub struct CreatedKey {
    pub id: uuid::Uuid,
    /// Shown once; only its hash is stored.
    pub key: String,
    pub user: User,
}

impl App {
    pub async fn create_company(
        &self,
        caller: &Caller,
        name: &str,
        kind: &str,
    ) -> AppResult<Company> {
        caller.ensure_admin()?;
        let mut c = Collector::default();
        let name = c.take(|| FieldPath::name("name"), PersonName::parse(name));
        let kind = c.take(
            || FieldPath::name("kind"),
            CompanyKind::parse(kind).map_err(Into::into),
        );
        let (Some(name), Some(kind)) = (name, kind) else {
            return Err(AppError::Invalid(c.into_errors()));
        };
        let company = self
            .store
            .create_company(
                NewCompany {
                    name: name.clone(),
                    kind,
                    now: self.clock.now(),
                },
                self.audit(
                    caller,
                    vec![Event::CompanyCreated {
                        company: name.as_str().to_owned(),
                        kind,
                    }],
                ),
            )
            .await?;
        tracing::info!(company = %company.id, kind = %company.kind, "company created");
        Ok(company)
    }

    /// Finds a company by id, or by name when `allow_name` (the CLI names companies).
    pub async fn find_company(&self, raw: &str, allow_name: bool) -> AppResult<Option<Company>> {
        if let Ok(id) = raw.parse::<CompanyId>() {
            return Ok(self.store.company(id).await?);
        }
        if allow_name {
            return Ok(self.store.company_by_name(raw.trim()).await?);
        }
        Ok(None)
    }

    pub async fn create_user(&self, caller: &Caller, input: UserInput) -> AppResult<User> {
        caller.ensure_admin()?;
        // The operator at the command line names companies; API clients give their id.
        let allow_name = matches!(caller, Caller::Operator);
        // Every field is judged, in the order of the form, so all that is wrong is said at once.
        let mut c = Collector::default();
        let company = match input.company.trim() {
            "" => Err(ValueError::invalid("value-company-missing", vec![])),
            raw => self.find_company(raw, allow_name).await?.ok_or_else(|| {
                let key = if allow_name {
                    "value-no-company"
                } else {
                    "value-no-company-id"
                };
                ValueError::invalid(key, vec![("value", raw.to_owned())])
            }),
        };
        let company = c.take(|| FieldPath::name("company_id"), company);
        let email = c.take(
            || FieldPath::name("email"),
            ContactEmail::parse(&input.email),
        );
        let name = c.take(|| FieldPath::name("name"), PersonName::parse(&input.name));
        let role = c.take(
            || FieldPath::name("role"),
            Role::parse(&input.role).map_err(Into::into),
        );
        let password_hash = match input.password.as_deref() {
            Some(p) => c
                .take(|| FieldPath::name("password"), password_hash(p))
                .map(Some),
            None => Some(None),
        };
        let (Some(company), Some(email), Some(name), Some(role), Some(password_hash)) =
            (company, email, name, role, password_hash)
        else {
            return Err(AppError::Invalid(c.into_errors()));
        };
        if !role.allowed_in(company.kind) {
            return Err(AppError::invalid_value(
                "role",
                "value-role-in-company",
                vec![
                    ("role", role.to_string()),
                    ("company", company.name.clone()),
                    ("kind", company.kind.to_string()),
                ],
            ));
        }
        let user = self
            .store
            .create_user(
                NewUser {
                    company_id: company.id,
                    email: email.clone(),
                    name,
                    role,
                    can_resend: input.can_resend,
                    password_hash,
                    now: self.clock.now(),
                },
                self.audit(
                    caller,
                    vec![Event::UserCreated {
                        user: email,
                        company: company.name.clone(),
                        role,
                        can_resend: input.can_resend,
                    }],
                ),
            )
            .await?;
        tracing::info!(user = %user.id, email = %user.email.masked(), role = %user.role, "user created");
        Ok(user)
    }

    pub async fn create_api_key(&self, caller: &Caller, email: &str) -> AppResult<CreatedKey> {
        let user = self.user_named(caller, email).await?;
        let key = secrets::new_api_key();
        let event = Event::ApiKeyCreated {
            user: user.email.clone(),
        };
        let id = self
            .store
            .create_api_key(
                user.id,
                &secrets::hash_api_key(&key),
                self.audit(caller, vec![event]),
            )
            .await?;
        tracing::info!(user = %user.id, key_id = %id, "API key created");
        Ok(CreatedKey { id, key, user })
    }

    /// Replaces a user's web sign-in password, checked and hashed as at creation; only the
    /// Argon2 hash is stored.
    pub async fn set_password(
        &self,
        caller: &Caller,
        email: &str,
        password: &str,
    ) -> AppResult<User> {
        let user = self.user_named(caller, email).await?;
        let hash = password_hash(password)
            .map_err(|e| AppError::invalid(FieldPath::name("password"), e))?;
        let event = Event::PasswordSet {
            user: user.email.clone(),
        };
        self.store
            .set_password_hash(user.id, Some(&hash), self.audit(caller, vec![event]))
            .await?;
        tracing::info!(user = %user.id, email = %user.email.masked(), "password set");
        Ok(User {
            password_hash: Some(hash),
            ..user
        })
    }

    /// Every stored policy; offers without one use [`DEFAULT_WINDOW_DAYS`].
    pub async fn offer_policies(&self) -> AppResult<(Vec<(OfferSku, u32)>, u32)> {
        Ok((self.store.offer_policies().await?, DEFAULT_WINDOW_DAYS))
    }

    /// The offers whose running lines' deadlines are still being moved to a changed window.
    pub async fn moving_policies(&self, caller: &Caller) -> AppResult<Vec<OfferSku>> {
        caller.ensure_admin()?;
        Ok(self.store.moving_policies().await?)
    }

    /// The lines whose deadline a new window for `offer` would move, as the domain decides
    /// it for each ([`provisio_domain::LineState::deadline_under`]), without changing anything.
    pub async fn policy_preview(
        &self,
        caller: &Caller,
        offer: &str,
        window_days: i64,
    ) -> AppResult<PolicyPreview> {
        caller.ensure_admin()?;
        let (offer, days) = policy_fields(offer, window_days)?;
        let current_days =
            OfferPolicies::from_entries(self.store.offer_policies().await?).window_days(&offer);
        let found = self
            .store
            .policy_moves(&offer, days, &super::outbox::follow, PREVIEW_LISTED)
            .await?;
        let moves = found
            .first
            .into_iter()
            .map(|l| DeadlineMove {
                to: l.state.deadline_under(window_of(days)),
                from: l.state.closes_at,
                sub_ref: l.sub_ref,
                web_order_id: l.web_order_id,
            })
            .collect();
        Ok(PolicyPreview {
            offer,
            window_days: days,
            current_days,
            moved: found.moved,
            moves,
        })
    }

    pub async fn set_offer_policy(
        &self,
        caller: &Caller,
        offer: &str,
        window_days: i64,
    ) -> AppResult<(OfferSku, u32)> {
        caller.ensure_admin()?;
        let (offer, days) = policy_fields(offer, window_days)?;
        let actor = match caller {
            Caller::User(a) => a.user_id,
            Caller::Operator => {
                return Err(Refusal::PermissionDenied {
                    reason: Denial::PolicyByApi,
                    ordering_contact: None,
                }
                .into());
            }
        };
        self.store
            .set_offer_policy(PolicyChange {
                offer: offer.clone(),
                window_days: days,
                actor,
                now: self.clock.now(),
            })
            .await?;
        // Every read shows the new deadlines at once (`App::read_current`), and the closure
        // sweep decides with the new window; the stored deadlines (the sweep's selector)
        // follow in batches, which the scheduler runs from now on: the change answers at once.
        tracing::info!(offer = %offer, window_days = days,
            "offer policy set; the scheduler moves the stored deadlines");
        self.wake(provisio_store::Wake::Planner);
        Ok((offer, days))
    }
}

/// An offer and its window, both judged (each problem said at once).
fn policy_fields(offer: &str, window_days: i64) -> AppResult<(OfferSku, u32)> {
    let mut c = Collector::default();
    let offer = c.take(|| FieldPath::name("offer"), OfferSku::parse(offer));
    let days = c.take(
        || FieldPath::name("window_days"),
        parse_window_days(window_days),
    );
    match (offer, days) {
        (Some(offer), Some(days)) => Ok((offer, days)),
        _ => Err(AppError::Invalid(c.into_errors())),
    }
}

/// A password checked and hashed for the web sign-in, or the problem saying why not.
fn password_hash(password: &str) -> Result<String, ValueError> {
    secrets::hash_password(password).map_err(|e| {
        let key = match e {
            secrets::PasswordError::TooShort => "value-password-too-short",
            secrets::PasswordError::TooLong => "value-password-too-long",
            secrets::PasswordError::Unhashable => "value-password-unhashable",
        };
        let args = vec![("min", secrets::MIN_PASSWORD_CHARS.to_string())];
        ValueError::invalid(key, args)
    })
}
