//! Finding companies and users (admins and support agents see all, others their own
//! company; SPEC §10), and the partners a distributor serves (admins link them).

use provisio_domain::{Actor, CompanyId, CompanyKind};
use provisio_store::{Company, Page, PageRequest, User};

use super::orders::of_kind;
use super::{App, Caller};
use crate::error::{AppError, AppResult, Thing};

impl App {
    /// The one company an actor is limited to, or `None` when it sees every company.
    fn directory_scope(actor: &Actor) -> Option<CompanyId> {
        (!actor.sees_everything()).then_some(actor.company_id)
    }

    pub async fn list_companies(
        &self,
        actor: &Actor,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> AppResult<Page<Company>> {
        Ok(self
            .store
            .list_companies(Self::directory_scope(actor), kind, page)
            .await?)
    }

    /// One company the actor may see; any other id is `not_found`.
    pub async fn company(&self, actor: &Actor, raw_id: &str) -> AppResult<Company> {
        let not_found = || AppError::not_found(Thing::Company);
        let id = raw_id.parse::<CompanyId>().map_err(|_| not_found())?;
        if Self::directory_scope(actor).is_some_and(|own| own != id) {
            return Err(not_found());
        }
        self.store.company(id).await?.ok_or_else(not_found)
    }

    /// Users the actor may see, all or of one company (`company_id`).
    pub async fn list_users(
        &self,
        actor: &Actor,
        company_id: Option<&str>,
        page: PageRequest,
    ) -> AppResult<Page<User>> {
        let filter = match company_id {
            Some(raw) => Some(raw.parse::<CompanyId>().map_err(|_| {
                AppError::invalid_value(
                    "company_id",
                    "value-no-company-id",
                    vec![("value", raw.to_owned())],
                )
            })?),
            None => None,
        };
        let scope = match (Self::directory_scope(actor), filter) {
            (Some(own), Some(asked)) if own != asked => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
            (Some(own), _) => Some(own),
            (None, asked) => asked,
        };
        Ok(self.store.list_users(scope, page).await?)
    }

    /// Every company (admin; CLI: the operator), newest first.
    pub async fn all_companies(&self, caller: &Caller) -> AppResult<Vec<Company>> {
        caller.ensure_admin()?;
        every_page(|page| self.store.list_companies(None, None, page)).await
    }

    /// Every user, or every user of one company (admin; CLI: the operator), newest first.
    pub async fn all_users(
        &self,
        caller: &Caller,
        company: Option<CompanyId>,
    ) -> AppResult<Vec<User>> {
        caller.ensure_admin()?;
        every_page(|page| self.store.list_users(company, page)).await
    }

    /// The partners a distributor serves (visible like the distributor itself).
    pub async fn partners_of(&self, distributor: &Company) -> AppResult<Vec<Company>> {
        Ok(self.store.partners_of(distributor.id).await?)
    }

    /// Links (`linked`) or unlinks a distributor and a partner it serves (admin). Ids, or
    /// names from the CLI.
    pub async fn link_distributor(
        &self,
        caller: &Caller,
        distributor: &str,
        partner: &str,
        linked: bool,
    ) -> AppResult<(Company, Company)> {
        caller.ensure_admin()?;
        let by_name = matches!(caller, Caller::Operator);
        let distributor = self
            .linked_company(
                "distributor_id",
                distributor,
                CompanyKind::Distributor,
                by_name,
            )
            .await?;
        let partner = self
            .linked_company("partner_id", partner, CompanyKind::Partner, by_name)
            .await?;
        self.store
            .set_distributor_link(distributor.id, partner.id, linked, self.clock.now())
            .await?;
        tracing::info!(distributor = %distributor.id, partner = %partner.id, linked, "distributor link set");
        Ok((distributor, partner))
    }

    async fn linked_company(
        &self,
        field: &'static str,
        raw: &str,
        kind: CompanyKind,
        by_name: bool,
    ) -> AppResult<Company> {
        match self.find_company(raw, by_name).await? {
            Some(c) => of_kind(field, c, kind),
            None if by_name => Err(AppError::invalid_value(
                field,
                "value-no-company",
                vec![("value", raw.to_owned())],
            )),
            None => Err(AppError::not_found(Thing::Company)),
        }
    }
}

/// Every item of a keyset-paged list, read 200 at a time.
async fn every_page<T, F, Fut>(mut read: F) -> AppResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = provisio_store::StoreResult<Page<T>>>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = read(PageRequest { after, limit: 200 }).await?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
