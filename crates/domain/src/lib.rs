//! provisio's rules, free of I/O.
//!
//! Everything here is pure: values are parsed once at the edge into the newtypes of [`values`],
//! the lifecycle rules R1–R10 of SPEC §3 are functions of a line's state and `now` (a
//! parameter; nothing in this crate reads the wall clock), and a mutation that needs
//! permission takes the permit value only [`permission`] can mint (its fields are private).
//! What a rule decides comes back as data: a decision on a line with *all* its effects
//! ([`decide`]: state, events, mail to queue and cancel, links), the outcome of a delivery
//! attempt ([`delivery`]), what happens next to a line ([`next_step`]), or a typed
//! [`Refusal`] / [`ValueError`] that names its translation key and arguments, never prose.
//! What each kind of mail is, is declared once ([`mail`]).

pub mod actions;
pub mod attachment;
pub mod attention;
pub mod case;
#[cfg(test)]
mod case_tests;
pub mod decide;
pub mod delivery;
pub mod event;
pub mod field;
#[cfg(test)]
mod fixtures;
pub mod ids;
pub mod lifecycle;
pub mod mail;
pub mod next_step;
pub mod order;
pub mod organization;
pub mod permission;
pub mod policy;
pub mod rate_limit;
pub mod refusal;
pub mod search;
pub mod state;
pub mod values;

pub use decide::{Decision, Effects, LineFacts};
pub use event::{Event, EventType};
pub use field::{FieldError, FieldPath};
pub use ids::{CaseId, CompanyId, UserId};
pub use lifecycle::LineState;
pub use mail::{HandOff, MailFact, MailId, MintMail, NewMail, Recipient};
pub use order::{NewLine, NewOrder, OrderError};
pub use organization::Organization;
pub use permission::{
    Actor, CancelPermit, LinePermit, OrderParties, OrderPermit, ReportPermit, ResendStanding, Scope,
};
pub use policy::OfferPolicies;
pub use refusal::Refusal;
pub use state::{
    CaseRequestType, CaseState, ClosedReason, CompanyKind, EmailKind, EmailState, LineStatus,
    LinkState, MailSubjectKind, Role, Stage, UserStatus,
};
pub use values::{ContactEmail, Locale, OfferSku, PersonName, SubRef, ValueError, WebOrderId};
