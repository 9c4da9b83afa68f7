//! The demo's people and the history of its orders, replayed from 46 days ago to now so that
//! every stage and status is present: scheduled, awaiting provisioning (open, and closed by a
//! lapsed 7- and 30-day window, with a resend, a refused resend and a contact change after
//! closure), onboarded, provisioned and cancelled; in English and Swedish.

use anyhow::{Context, bail};
use jiff::SignedDuration;
use provisio_domain::SubRef;

use super::cases;
use super::replay::{DemoLine, Replay, days};
use crate::app::admin::UserInput;
use crate::app::lines::{ContactInput, OnboardingInput};
use crate::app::{App, Caller};
use crate::error::Code;

pub const OPERATOR: &str = "Provisio Demo Operator";
pub const PARTNER: &str = "Nordic Cloud Partner";
pub const DISTRIBUTOR: &str = "Demo Distribution";

/// The order placed last: when it exists, the demo data is complete.
pub const LAST_ORDER: &str = "DEMO-1004";
/// A closed line whose provisioning is still in progress, for the "try this" hint.
pub const HINT_ORDER: &str = "DEMO-1002";

pub const ADMIN: &str = "ada@operator.example";
const SUPPORT: &str = "sam@operator.example";
/// The request type the support article names.
const RESEND_TYPE: &str = "resend_provisioning_email";
const PIA: &str = "pia@partner.example";
const BO: &str = "bo@partner.example";
const CY: &str = "cy@partner.example";
const DANA: &str = "dana@distributor.example";

pub struct DemoUser {
    pub company: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub role: &'static str,
    pub can_resend: bool,
    /// What this user shows in the demo.
    pub note: &'static str,
}

const fn user(
    company: &'static str,
    email: &'static str,
    name: &'static str,
    role: &'static str,
    can_resend: bool,
    note: &'static str,
) -> DemoUser {
    DemoUser {
        company,
        email,
        name,
        role,
        can_resend,
        note,
    }
}

pub const USERS: &[DemoUser] = &[
    user(
        OPERATOR,
        ADMIN,
        "Ada Admin",
        "admin",
        false,
        "admin: everything",
    ),
    user(
        OPERATOR,
        SUPPORT,
        "Sam Support",
        "support_agent",
        false,
        "support agent: sees every order, resends on behalf",
    ),
    user(
        PARTNER,
        PIA,
        "Pia Partner",
        "member",
        false,
        "partner member who places the orders: the ordering contact",
    ),
    user(
        PARTNER,
        BO,
        "Bo Berg",
        "member",
        true,
        "partner member with can_resend",
    ),
    user(
        PARTNER,
        CY,
        "Cy Carlsson",
        "member",
        false,
        "partner member without can_resend: refused, told to ask Pia",
    ),
    user(
        DISTRIBUTOR,
        DANA,
        "Dana Dahl",
        "member",
        true,
        "distributor member with can_resend",
    ),
    user(
        DISTRIBUTOR,
        "dag@distributor.example",
        "Dag Dahlin",
        "member",
        false,
        "distributor member without can_resend",
    ),
];

const KIM: (&str, &str) = ("Kim Nordlund", "kim.nordlund@nordlys.example");
const LO: (&str, &str) = ("Lo Nordlund", "lo.nordlund@nordlys.example");
const ALEX: (&str, &str) = ("Alex Morgan", "alex.morgan@contoso.example");
const JORDAN: (&str, &str) = ("Jordan Lee", "jordan.lee@contoso.example");
const SARA: (&str, &str) = ("Sara Fjäll", "sara@fjallbutiken.example");
const NOOR: (&str, &str) = ("Noor Haddad", "noor.haddad@globex.example");
/// Noor's address as it was mistyped on an order: its mail server refuses it.
const NOOR_TYPO: (&str, &str) = ("Noor Haddad", super::replay::NO_SUCH_MAILBOX);
const EVA: (&str, &str) = ("Eva Lind", "eva.lind@lindqvist.example");

fn line(
    offer: &'static str,
    quantity: i64,
    rsd_in_days: i64,
    contact: (&'static str, &'static str),
    locale: &'static str,
) -> DemoLine {
    DemoLine {
        offer,
        quantity,
        rsd_in_days,
        contact,
        locale,
    }
}

/// Creates the companies, users and orders, replaying their history.
pub async fn create(server: &App) -> anyhow::Result<()> {
    let mut r = Replay::new(server, days(46, 0));
    people(&r.app).await?;

    // A Swedish order, sent 45 days ago: a 30-day line that lapsed, was resent by support and
    // re-addressed by the distributor; a 7-day line onboarded and provisioned within two days.
    r.to(days(45, 0)).await?;
    let nordlys = r
        .order(
            PIA,
            "DEMO-1001",
            ("Nordlys Bygg AB", "sv"),
            Some(DISTRIBUTOR),
            &[
                line("A-WX-CALL", 25, 0, KIM, "sv"),
                line("A-FLEX", 10, 0, KIM, "sv"),
            ],
        )
        .await?;
    r.to(days(44, 0)).await?;
    onboard(&r, &nordlys[1], "Nordlys Bygg AB").await?;
    r.to(days(43, 0)).await?;
    let admin = r.actor(ADMIN).await?;
    r.app.mark_provisioned(&admin, nordlys[1].as_str()).await?;

    // An English order 20 days ago: a 7-day line that lapsed; a line cancelled before its RSD.
    r.to(days(20, 0)).await?;
    let contoso = r
        .order(
            PIA,
            HINT_ORDER,
            ("Contoso Retail Ltd", "en"),
            None,
            &[
                line("A-FLEX", 5, 0, ALEX, "en"),
                line("A-FLEX-3", 3, 2, ALEX, "en"),
            ],
        )
        .await?;
    r.to(days(19, 0)).await?;
    let pia = r.actor(PIA).await?;
    r.app.cancel(&pia, contoso[1].as_str()).await?;

    // Both lapse on the way (day 15 and day 13 ago); provisioning is still in progress.
    r.to(days(12, 0)).await?;
    let sam = r.actor(SUPPORT).await?;
    r.app.resend(&sam, nordlys[0].as_str(), None).await?;
    r.tick().await?;
    r.to(days(11, 0)).await?;
    change_contact(&r, DANA, &nordlys[0], LO, "sv").await?;
    r.to(days(10, 0)).await?;
    let cy = r.actor(CY).await?;
    match r.app.resend(&cy, contoso[0].as_str(), None).await {
        Err(e) if e.code() == Code::PermissionDenied => {}
        other => bail!("a member without can_resend was not refused: {other:?}"),
    }
    r.to(days(10, -1)).await?;
    let bo = r.actor(BO).await?;
    r.app.resend(&bo, contoso[0].as_str(), None).await?;
    r.tick().await?;
    r.to(days(9, 0)).await?;
    change_contact(&r, BO, &contoso[0], JORDAN, "en").await?;

    // An English order 6 days ago: a 7-day line closing tomorrow, not set up yet; a line whose
    // contact was mistyped, so the mail server refused its email.
    r.to(days(6, 0)).await?;
    let lindqvist = r
        .order(
            BO,
            "DEMO-1005",
            ("Lindqvist Consulting Ltd", "en"),
            None,
            &[
                line("A-FLEX", 4, 0, EVA, "en"),
                line("A-WX-CALL", 6, 0, NOOR_TYPO, "en"),
            ],
        )
        .await?;
    // Bo opens a case; Sam sees the mail server's refusal beside it and answers.
    r.to(days(5, 0)).await?;
    let refused = "Noor at Lindqvist says the setup email never arrived.";
    let case = cases::open(&r, BO, &lindqvist[1], RESEND_TYPE, refused, false).await?;
    r.to(days(4, 22)).await?;
    let note = "The mail server answered 550: no such mailbox. The address looks mistyped.";
    let answer = "The customer's mail server refused the address (no such mailbox). Please \
                  check the address with Noor and change the contact; the email goes out at once.";
    cases::claim_and_answer(&r, SUPPORT, &case, note, answer).await?;

    // A Swedish order 3 days ago: one line waiting for its contact, one onboarded yesterday,
    // one scheduled for ten days from now.
    r.to(days(3, 0)).await?;
    let fjall = r
        .order(
            PIA,
            "DEMO-1003",
            ("Fjällbutiken AB", "sv"),
            Some(DISTRIBUTOR),
            &[
                line("A-FLEX", 12, 0, SARA, "sv"),
                line("A-FLEX-3", 2, 0, SARA, "sv"),
                line("A-WX-CALL", 40, 13, SARA, "sv"),
            ],
        )
        .await?;
    // A question about a line, answered by itself when Sara onboards it.
    r.to(days(2, 0)).await?;
    let ask = "Sara undrar om hon kan använda organisationen hon redan har.";
    cases::open(&r, PIA, &fjall[1], "other", ask, false).await?;
    r.to(days(1, 2)).await?;
    onboard(&r, &fjall[1], "Fjällbutiken AB").await?;

    // An English order yesterday: one line due today (sent), one scheduled for next week.
    r.to(days(1, 0)).await?;
    let globex = r
        .order(
            PIA,
            LAST_ORDER,
            ("Globex Nordic Ltd", "en"),
            None,
            &[
                line("A-FLEX-3", 8, 8, NOOR, "en"),
                line("A-WX-CALL", 15, 1, NOOR, "en"),
            ],
        )
        .await?;
    // In the last hour Bo resent the line due today five times (the customer says nothing
    // arrives): the limit of the hour is used up until the first of them is an hour old.
    let bo = r.actor(BO).await?;
    for minutes in [50, 40, 30, 20, 10] {
        r.to(SignedDuration::from_mins(minutes)).await?;
        r.app.resend(&bo, globex[1].as_str(), None).await?;
        r.tick().await?;
    }
    // Pia opens a case with a screenshot: unclaimed in the agents' queue.
    r.to(SignedDuration::from_mins(5)).await?;
    let nothing = "Noor still sees nothing after five resends. Screenshot of her inbox attached.";
    cases::open(&r, PIA, &globex[1], RESEND_TYPE, nothing, true).await?;
    r.to(days(0, 0)).await?;
    r.finish().await;
    Ok(())
}

async fn people(app: &App) -> anyhow::Result<()> {
    for (name, kind) in [
        (OPERATOR, "operator"),
        (PARTNER, "partner"),
        (DISTRIBUTOR, "distributor"),
    ] {
        app.create_company(&Caller::Operator, name, kind)
            .await
            .with_context(|| format!("creating the company {name}"))?;
    }
    // The distributor serves the partner: it sees and acts on the orders that name it.
    app.link_distributor(&Caller::Operator, DISTRIBUTOR, PARTNER, true)
        .await
        .context("linking the distributor to the partner")?;
    for u in USERS {
        let input = UserInput {
            company: u.company.into(),
            email: u.email.into(),
            name: u.name.into(),
            role: u.role.into(),
            can_resend: u.can_resend,
            password: None,
        };
        app.create_user(&Caller::Operator, input)
            .await
            .with_context(|| format!("creating the user {}", u.name))?;
    }
    // The partner names the distributor on its orders, which it may only while it is served.
    app.link_distributor(&Caller::Operator, DISTRIBUTOR, PARTNER, true)
        .await
        .context("linking the distributor to the partner")?;
    Ok(())
}

/// The admin reports the organization, as the admin portal's integration would.
async fn onboard(r: &Replay, sub_ref: &SubRef, organization: &str) -> anyhow::Result<()> {
    let admin = r.actor(ADMIN).await?;
    let input = OnboardingInput {
        organization_id: None,
        organization_name: organization.into(),
    };
    r.app.onboard(&admin, sub_ref.as_str(), input).await?;
    Ok(())
}

async fn change_contact(
    r: &Replay,
    by: &str,
    sub_ref: &SubRef,
    (name, email): (&str, &str),
    locale: &str,
) -> anyhow::Result<()> {
    let actor = r.actor(by).await?;
    let input = ContactInput {
        email: email.into(),
        name: Some(name.into()),
        locale: Some(locale.into()),
    };
    r.app
        .change_contact(&actor, sub_ref.as_str(), input)
        .await?;
    r.tick().await
}
