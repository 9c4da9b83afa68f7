//! The customer's organization (tenancy in the admin portal) that a line is onboarded to
//! (R7), and the rule for which one the provisioning contact may pick on the setup page.

use crate::values::{PersonName, ValueError};

/// Longest organization id a report may name.
pub const MAX_ID_CHARS: usize = 200;

/// An organization of the admin portal. Its id belongs to the partner (tenant) whose line it
/// was first reported for (SPEC §10): the store keeps it unique to that partner, as it keeps
/// company names unique, and another partner's line naming it finds no such organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

impl Organization {
    /// The organization an onboarding report names: its admin-portal id (trimmed; an empty
    /// one counts as absent) and name. Without an id, `new_id` makes one.
    pub fn reported(
        id: Option<&str>,
        name: &str,
        new_id: impl FnOnce() -> String,
    ) -> Result<Self, OrganizationError> {
        let name = PersonName::parse(name).map_err(OrganizationError::Name)?;
        let id = match id.map(str::trim).filter(|i| !i.is_empty()) {
            Some(id) if id.chars().count() <= MAX_ID_CHARS && !id.chars().any(char::is_control) => {
                id.to_owned()
            }
            Some(_) => return Err(OrganizationError::Id),
            None => new_id(),
        };
        Ok(Self {
            id,
            name: name.as_str().to_owned(),
        })
    }
}

/// What the provisioning contact chose on the setup page (R7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupChoice {
    /// Create an organization with this name.
    Create { name: String },
    /// Use one onboarded earlier (by its id).
    Existing { id: String },
}

/// Why an organization could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationError {
    Name(ValueError),
    /// The id is too long or has control characters.
    Id,
    /// Not one the contact may pick (SPEC §9: onboarded earlier with the same contact email).
    NotYours,
}

impl SetupChoice {
    /// R7: a new organization, or one of `known` (the organizations the contact's earlier
    /// lines were onboarded to); any other id is refused.
    pub fn resolve(
        self,
        known: &[Organization],
        new_id: impl FnOnce() -> String,
    ) -> Result<Organization, OrganizationError> {
        match self {
            SetupChoice::Create { name } => Organization::reported(None, &name, new_id),
            SetupChoice::Existing { id } => known
                .iter()
                .find(|o| o.id == id.trim())
                .cloned()
                .ok_or(OrganizationError::NotYours),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str) -> Organization {
        Organization {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_report_takes_its_id_or_gets_one() {
        let o = Organization::reported(Some(" org-7 "), " Kund AB ", || "new".into()).unwrap();
        assert_eq!(o, org("org-7", "Kund AB"));
        let made = Organization::reported(Some("  "), "Kund AB", || "org_new".into()).unwrap();
        assert_eq!(made.id, "org_new");
        let long = "x".repeat(MAX_ID_CHARS + 1);
        assert_eq!(
            Organization::reported(Some(&long), "Kund AB", String::new),
            Err(OrganizationError::Id)
        );
        assert!(matches!(
            Organization::reported(None, " ", String::new),
            Err(OrganizationError::Name(_))
        ));
    }

    #[test]
    fn the_contact_picks_only_an_organization_of_their_own() {
        let known = [org("org-1", "Kund AB")];
        let pick = |id: &str| SetupChoice::Existing { id: id.into() }.resolve(&known, String::new);
        assert_eq!(pick("org-1"), Ok(org("org-1", "Kund AB")));
        assert_eq!(pick("org-2"), Err(OrganizationError::NotYours));
        let created = SetupChoice::Create {
            name: "Ny AB".into(),
        }
        .resolve(&known, || "org-9".into());
        assert_eq!(created, Ok(org("org-9", "Ny AB")));
    }
}
