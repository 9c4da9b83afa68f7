//! The enums that are persisted as constrained text (STYLE habit 2). Each knows its stable
//! wire / column spelling; the database has a CHECK constraint with the same words.

use std::fmt;

use serde::{Serialize, Serializer};

/// An unknown spelling of one of the enums below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what} ({allowed})")]
pub struct UnknownVariant {
    pub what: &'static str,
    pub value: String,
    pub allowed: String,
}

impl From<UnknownVariant> for crate::values::ValueError {
    fn from(e: UnknownVariant) -> Self {
        crate::values::ValueError::invalid(
            "value-unknown-variant",
            vec![
                ("value", e.value),
                ("what", e.what.to_owned()),
                ("allowed", e.allowed),
            ],
        )
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, UnknownVariant> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        what: $what,
                        value: raw.to_owned(),
                        allowed: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// How far provisioning of a line has come (SPEC §3).
    Stage, "stage" {
        Scheduled => "scheduled",
        AwaitingProvisioning => "awaiting_provisioning",
        Onboarded => "onboarded",
        Provisioned => "provisioned",
        Cancelled => "cancelled",
    }
);

impl Stage {
    /// Onboarded and provisioned lines are mapped to an organization: the point of no return.
    pub fn past_point_of_no_return(self) -> bool {
        matches!(self, Stage::Onboarded | Stage::Provisioned)
    }

    /// True while the stage is neither provisioned nor cancelled (SPEC §9).
    pub fn provisioning_in_progress(self) -> bool {
        !matches!(self, Stage::Provisioned | Stage::Cancelled)
    }
}

text_enum!(
    /// Whether the order line is open; independent of the stage.
    LineStatus, "status" {
        Open => "open",
        Closed => "closed",
    }
);

text_enum!(
    /// Why a line was closed.
    ClosedReason, "closed reason" {
        ProvisioningWindowLapsed => "provisioning_window_lapsed",
        Provisioned => "provisioned",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// What a company is to provisio.
    CompanyKind, "company kind" {
        Partner => "partner",
        Distributor => "distributor",
        Operator => "operator",
    }
);

text_enum!(
    /// A user's role. `admin` and `support_agent` exist only in operator companies.
    Role, "role" {
        Member => "member",
        SupportAgent => "support_agent",
        Admin => "admin",
        Integration => "integration",
    }
);

text_enum!(
    /// Whether a user may sign in and use their API keys: a `disabled` user can do neither
    /// (SPEC §10); their keys and history stay.
    UserStatus, "user status" {
        Active => "active",
        Disabled => "disabled",
    }
);

impl Role {
    /// Whether a user with this role may belong to a company of that kind (SPEC §9).
    pub fn allowed_in(self, kind: CompanyKind) -> bool {
        match self {
            Role::Admin | Role::SupportAgent => kind == CompanyKind::Operator,
            Role::Member | Role::Integration => true,
        }
    }
}

text_enum!(
    /// Why a provisioning email was sent.
    EmailKind, "email kind" {
        Initial => "initial",
        Resend => "resend",
        ContactChanged => "contact_changed",
        Reminder => "reminder",
        HandedOff => "handed_off",
        CaseOpened => "case_opened",
        CaseAnswered => "case_answered",
        CaseResolved => "case_resolved",
    }
);

text_enum!(
    /// What an outbox row is about: a line, or a support case.
    MailSubjectKind, "mail subject" {
        Line => "line",
        Case => "case",
    }
);

text_enum!(
    /// What a support case asks for (SPEC §7, §11).
    CaseRequestType, "request type" {
        ResendProvisioningEmail => "resend_provisioning_email",
        ChangeProvisioningContact => "change_provisioning_contact",
        Other => "other",
    }
);

text_enum!(
    /// Where a support case stands (SPEC §11): `open` (support is to act), `waiting` (an
    /// agent answered publicly; the opener is to act), `resolved`.
    CaseState, "case state" {
        Open => "open",
        Waiting => "waiting",
        Resolved => "resolved",
    }
);

text_enum!(
    /// Where a provisioning email is on its way out.
    EmailState, "email state" {
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Retrying => "retrying",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// Whether an email's setup link still opens the setup page (R4, R7, R9): `spent` once the
    /// organization is onboarded, `revoked` after a contact change or cancellation.
    LinkState, "link state" {
        Live => "live",
        Spent => "spent",
        Revoked => "revoked",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()).unwrap(), *s);
        }
        for s in EmailState::ALL {
            assert_eq!(EmailState::parse(s.as_str()).unwrap(), *s);
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), *r);
        }
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::parse(s.as_str()).unwrap(), *s);
        }
        let err = Stage::parse("done").unwrap_err();
        assert!(
            err.to_string().contains("scheduled, awaiting_provisioning"),
            "{err}"
        );
    }

    #[test]
    fn ponr_is_onboarded_or_provisioned() {
        let past: Vec<_> = Stage::ALL
            .iter()
            .filter(|s| s.past_point_of_no_return())
            .collect();
        assert_eq!(past, [&Stage::Onboarded, &Stage::Provisioned]);
        let running: Vec<_> = Stage::ALL
            .iter()
            .filter(|s| s.provisioning_in_progress())
            .collect();
        assert_eq!(
            running,
            [
                &Stage::Scheduled,
                &Stage::AwaitingProvisioning,
                &Stage::Onboarded
            ]
        );
    }

    #[test]
    fn staff_roles_only_in_operator_companies() {
        assert!(Role::Admin.allowed_in(CompanyKind::Operator));
        assert!(!Role::Admin.allowed_in(CompanyKind::Partner));
        assert!(!Role::SupportAgent.allowed_in(CompanyKind::Distributor));
        assert!(Role::Member.allowed_in(CompanyKind::Partner));
        assert!(Role::Integration.allowed_in(CompanyKind::Operator));
    }
}
