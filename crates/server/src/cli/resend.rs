//! `provisio resend SUB_REF --as EMAIL`: R2 at the command line, as that user, with every rule
//! of the API (R3 PONR, R5 permission, R10 rate limit, cancelled lines). The email is queued;
//! the running server's scheduler, which polls the outbox every second, sends it.

use anyhow::anyhow;
use jiff::SignedDuration;
use provisio_domain::refusal::Refusal;

use crate::api::dto::{self, EmailDto};
use crate::app::App;
use crate::cli::{Failure, text};
use crate::error::{AppError, Code};

pub async fn run(app: &App, sub_ref: &str, as_user: &str, json: bool) -> Result<(), Failure> {
    // `--as` is an address (clap checked its form), so the only invalid input left is "no
    // such user".
    let actor = app.actor_by_email(as_user).await.map_err(|e| {
        let failure = match e.code() {
            Code::Unprocessable => {
                Failure::new(1, anyhow!("--as {as_user}: no user has this email"))
            }
            _ => Failure::of(&e),
        };
        failure.with_problem(&e, json)
    })?;
    let resent = app
        .resend(&actor, sub_ref, None)
        .await
        .map_err(|e| refused(app, sub_ref, as_user, &e).with_problem(&e, json))?;
    let email = &resent.email;
    if json {
        let dto = EmailDto::from(email);
        println!(
            "{}",
            serde_json::to_string_pretty(&dto).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let line = &resent.line;
    println!(
        "queued the provisioning email of {} (order {}, line {}, {} x{} for {}) to {} as {}: email {} ({})",
        line.line.sub_ref,
        line.web_order_id,
        line.line.line_number,
        line.line.offer,
        line.line.quantity,
        line.end_customer,
        email.to,
        actor.email,
        email.id,
        email.state,
    );
    println!(
        "a running `provisio serve` sends it within seconds; `provisio order show {}` shows its delivery",
        line.web_order_id
    );
    Ok(())
}

/// A refusal with the problem's own words: permission_denied names the ordering contact,
/// past_point_of_no_return the admin portal, resend_rate_limited when to try again.
fn refused(app: &App, sub_ref: &str, as_user: &str, e: &AppError) -> Failure {
    let why = match e.code() {
        Code::Internal => return Failure::of(e),
        Code::NotFound => {
            return Failure::new(
                1,
                anyhow!("{sub_ref}: no such subscription line, or {as_user} may not see it"),
            );
        }
        Code::PermissionDenied => ", permission denied",
        Code::PastPointOfNoReturn => ", past the point of no return",
        Code::ResendRateLimited => ", rate limited",
        // The detail says it all ("the line is cancelled").
        _ => "",
    };
    let detail = text(e);
    let retry = match e {
        AppError::Refused(Refusal::RateLimited {
            retry_after_secs, ..
        }) => {
            let secs = i64::try_from(*retry_after_secs).unwrap_or(i64::MAX);
            app.clock
                .now()
                .saturating_add(SignedDuration::from_secs(secs))
                .map(|t| format!(" (at {})", dto::time(t)))
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    Failure::new(
        1,
        anyhow!("cannot resend {sub_ref} as {as_user}{why}: {detail}{retry}"),
    )
}
