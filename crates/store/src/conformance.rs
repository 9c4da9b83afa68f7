//! The behaviour story every store backend must pass (STYLE habit 10), chapter by chapter.
//! A backend implements [`Fresh`] (a freshly migrated, empty database per chapter, and more
//! handles on it, as further instances would open them) and calls
//! [`conformance_tests!`](crate::conformance_tests), which makes one test per chapter, so one
//! failure does not hide the rest. Each chapter panics at the first behaviour that differs,
//! naming it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use provisio_domain::event::Event;
use provisio_domain::order::{NewOrder, RawLine, RawOrder};
use provisio_domain::permission::{Named, PlacedBy, authorize_order};
use provisio_domain::search::Search;
use provisio_domain::{
    CompanyKind, ContactEmail, EmailKind, LineStatus, MailId, NewMail, OfferSku, PersonName, Role,
    Stage, SubRef, WebOrderId,
};

use crate::{
    Audit, Company, Created, IdempotencyKey, LineContext, LineQuery, LineWindow, NewCompany,
    NewLineRecord, NewOrderRecord, NewUser, OrderQuery, PageRequest, PolicyChange, Scope, Store,
    StoreError, User,
};

#[path = "conformance_search.rs"]
mod search_terms;
pub use search_terms::{order_ids_of, refs_of, search_needles};
#[path = "conformance_concurrency.rs"]
mod concurrency;
#[path = "conformance_directory.rs"]
mod directory;
#[path = "conformance_imports.rs"]
mod imports_chapter;
#[path = "conformance_outbox.rs"]
mod outbox;
#[path = "conformance_policies.rs"]
mod policies_chapter;
#[path = "conformance_sessions.rs"]
mod sessions;
#[path = "conformance_two_handles.rs"]
mod two_handles;

/// A backend under test.
#[async_trait]
pub trait Fresh: Send + Sync + Sized + 'static {
    /// A freshly migrated, empty database and a first handle on it; `Self` keeps the
    /// database alive (a temporary directory, say) until the chapter ends.
    async fn fresh() -> (Self, Arc<dyn Store>);
    /// Another handle on the same database, as a second instance opens it.
    async fn another(&self) -> Arc<dyn Store>;
}

/// One test per chapter of the story for the backend `$backend` (a [`Fresh`]). The tests run
/// on a multi-threaded runtime, so concurrent tasks really run at once.
#[macro_export]
macro_rules! conformance_tests {
    ($backend:ty) => {
        $crate::conformance_tests!(@one $backend, companies_and_users, passwords, orders,
            imports, distributors, policies, outbox, directory, policy_deadlines, sessions, concurrency);
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn two_handles() {
            let (backend, store) =
                <$backend as $crate::conformance::Fresh>::fresh().await;
            let other = $crate::conformance::Fresh::another(&backend).await;
            $crate::conformance::two_handles(store, other).await;
        }
    };
    (@one $backend:ty, $($chapter:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $chapter() {
                let (_backend, store) =
                    <$backend as $crate::conformance::Fresh>::fresh().await;
                $crate::Maintenance::migrate(store.as_ref())
                    .await
                    .expect("migrating twice is harmless");
                $crate::Maintenance::ping(store.as_ref())
                    .await
                    .expect("the database answers");
                $crate::conformance::$chapter(store).await;
            }
        )+
    };
}

fn now() -> Timestamp {
    "2026-05-04T08:00:00Z".parse().unwrap()
}

async fn company(store: &dyn Store, name: &str, kind: CompanyKind) -> Company {
    let new = NewCompany {
        name: PersonName::parse(name).unwrap(),
        kind,
        now: now(),
    };
    store.create_company(new, Audit::none(now())).await.unwrap()
}

async fn user(store: &dyn Store, company: &Company, email: &str, role: Role) -> User {
    let new = NewUser {
        company_id: company.id,
        email: ContactEmail::parse(email).unwrap(),
        name: PersonName::parse("Pia Partner").unwrap(),
        role,
        can_resend: true,
        password_hash: Some("$argon2id$stub".into()),
        now: now(),
    };
    store.create_user(new, Audit::none(now())).await.unwrap()
}

fn raw_line(email: &str) -> RawLine {
    RawLine {
        offer: "A-FLEX".into(),
        quantity: 3,
        requested_start_date: "2026-05-10".into(),
        contact_email: email.into(),
        contact_name: Some("Kim".into()),
        locale: None,
    }
}

fn new_order(
    partner: &Company,
    by: &User,
    web_id: Option<&str>,
    lines: Vec<RawLine>,
) -> NewOrderRecord {
    let raw = RawOrder {
        web_order_id: web_id.map(Into::into),
        end_customer_name: "Kund AB".into(),
        locale: Some("sv".into()),
        lines,
    };
    let order = NewOrder::parse(&raw).unwrap();
    let permit = authorize_order(&by.actor(), partner.id, None, false, PlacedBy::Caller).unwrap();
    NewOrderRecord {
        web_order_id: order.web_order_id,
        permit,
        end_customer: order.end_customer,
        locale: order.locale,
        placed_at: now(),
        lines: order
            .lines
            .into_iter()
            .map(|line| NewLineRecord {
                rsd_start: "2026-05-10T00:00:00Z".parse().unwrap(),
                line,
            })
            .collect(),
        event: Event::OrderCreated { lines: 1 },
        idempotency: None,
    }
}

fn page(limit: u32) -> PageRequest {
    PageRequest { after: None, limit }
}

/// A new outbox row for `line`'s contact.
pub(crate) fn mail_for(line: &LineContext, kind: EmailKind) -> NewMail {
    let id = uuid::Uuid::now_v7();
    let mut ids = move || MailId {
        id,
        message_id: format!("{}@test", id.simple()),
    };
    NewMail::new(&mut ids, kind, line.contact(), None)
}

/// A partner with a member who places orders.
async fn partner_with(store: &dyn Store, name: &str, email: &str) -> (Company, User) {
    let partner = company(store, name, CompanyKind::Partner).await;
    let by = user(store, &partner, email, Role::Member).await;
    (partner, by)
}

pub async fn companies_and_users(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = company(store, "Acme", CompanyKind::Partner).await;
    assert_eq!(store.company(acme.id).await.unwrap(), Some(acme.clone()));
    assert_eq!(
        store.company_by_name("ACME").await.unwrap(),
        Some(acme.clone()),
        "names are case-insensitive"
    );
    let dup = NewCompany {
        name: PersonName::parse("acme").unwrap(),
        kind: CompanyKind::Distributor,
        now: now(),
    };
    assert!(matches!(
        store.create_company(dup, Audit::none(now())).await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let pia = user(store, &acme, "pia@acme.test", Role::Member).await;
    assert_eq!(pia.company, acme);
    assert_eq!(
        store.user_by_email(&pia.email).await.unwrap(),
        Some(pia.clone())
    );
    let again = NewUser {
        company_id: acme.id,
        email: pia.email.clone(),
        name: PersonName::parse("Other").unwrap(),
        role: Role::Member,
        can_resend: false,
        password_hash: None,
        now: now(),
    };
    assert!(matches!(
        store.create_user(again, Audit::none(now())).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let orphan = NewUser {
        company_id: provisio_domain::CompanyId::from_uuid(uuid::Uuid::now_v7()),
        email: ContactEmail::parse("orphan@x.test").unwrap(),
        name: PersonName::parse("Orphan").unwrap(),
        role: Role::Member,
        can_resend: false,
        password_hash: None,
        now: now(),
    };
    assert!(matches!(
        store.create_user(orphan, Audit::none(now())).await,
        Err(StoreError::NotFound { .. })
    ));

    let key_id = store
        .create_api_key(pia.id, "hash-1", Audit::none(now()))
        .await
        .unwrap();
    let found = store
        .actor_by_api_key("hash-1")
        .await
        .unwrap()
        .expect("key finds its user");
    assert_eq!(found.key_id, key_id);
    let actor = found.actor;
    assert_eq!(
        (actor.user_id, actor.company_kind, actor.can_resend),
        (pia.id, CompanyKind::Partner, true)
    );
    assert!(store.actor_by_api_key("hash-2").await.unwrap().is_none());
    assert!(matches!(
        store
            .create_api_key(pia.id, "hash-1", Audit::none(now()))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
}

/// A user's password hash is replaced or removed in place; an unknown user is `NotFound`.
pub async fn passwords(store: Arc<dyn Store>) {
    let store = store.as_ref();
    partner_with(store, "Acme", "pia@acme.test").await;
    let email = ContactEmail::parse("pia@acme.test").unwrap();
    let pia = store.user_by_email(&email).await.unwrap().unwrap();
    store
        .set_password_hash(pia.id, Some("$argon2id$new"), Audit::none(now()))
        .await
        .unwrap();
    let stored = store.user_by_email(&email).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(
        (stored.id, stored.role, stored.can_resend),
        (pia.id, pia.role, pia.can_resend),
        "nothing else changes"
    );
    store
        .set_password_hash(pia.id, None, Audit::none(now()))
        .await
        .unwrap();
    let stored = store.user_by_email(&email).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, None);
    let nobody = provisio_domain::UserId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(
        store
            .set_password_hash(nobody, Some("$argon2id$x"), Audit::none(now()))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .set_password_hash(pia.id, Some("$argon2id$stub"), Audit::none(now()))
        .await
        .unwrap();
}

/// The orders `query` lists, read a page of one at a time to the end.
async fn order_pages(store: &dyn Store, query: &OrderQuery) -> Vec<WebOrderId> {
    let mut seen = vec![];
    let mut after = None;
    loop {
        let mut q = query.clone();
        q.page = PageRequest { after, limit: 1 };
        let p = store.list_orders(&q).await.unwrap();
        seen.extend(p.items.into_iter().map(|o| o.order.web_order_id));
        match p.next {
            Some(n) => after = Some(n),
            None => return seen,
        }
    }
}

pub async fn orders(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let (acme, pia) = partner_with(store, "Acme", "pia@acme.test").await;
    let other = company(store, "Other Partner", CompanyKind::Partner).await;
    let olle = user(store, &other, "olle@other.test", Role::Member).await;

    let first = store
        .create_order(new_order(
            &acme,
            &pia,
            Some("W123"),
            vec![raw_line("kim@kund.test"), raw_line("lo@kund.test")],
        ))
        .await
        .unwrap();
    let Created::New(first) = first else {
        panic!("a new order is New")
    };
    assert_eq!(first.web_order_id.as_str(), "W123");
    assert_eq!(first.lines.len(), 2);
    assert_eq!(first.placed_by.email, "pia@acme.test");
    let refs: Vec<_> = first.lines.iter().map(|l| l.sub_ref.clone()).collect();
    assert_ne!(refs[0], refs[1], "references are unique");
    assert_eq!(
        (first.lines[0].line_number, first.lines[1].line_number),
        (1, 2)
    );
    let line = &first.lines[0];
    assert_eq!(line.state.stage, Stage::Scheduled);
    assert_eq!(line.state.status, LineStatus::Open);
    assert_eq!(line.state.rsd_start.to_string(), "2026-05-10T00:00:00Z");
    assert_eq!(line.requested_start_date.to_string(), "2026-05-10");
    assert_eq!(line.quantity, 3);

    let dup = new_order(&acme, &pia, Some("W123"), vec![raw_line("kim@kund.test")]);
    assert!(matches!(
        store.create_order(dup).await,
        Err(StoreError::AlreadyExists { .. })
    ));

    // A generated web order id; the order of another partner.
    let generated = store
        .create_order(new_order(&other, &olle, None, vec![raw_line("x@y.test")]))
        .await
        .unwrap();
    let generated = generated.into_inner();
    assert!(generated.web_order_id.as_str().starts_with('W'));

    // Idempotency: same key and request replays, another request conflicts, expiry forgets.
    let key = |hash: &str, not_before: Timestamp| IdempotencyKey {
        user_id: pia.id,
        key: "k-1".into(),
        request_hash: hash.into(),
        not_before,
    };
    let mut keyed = new_order(&acme, &pia, None, vec![raw_line("k@kund.test")]);
    keyed.idempotency = Some(key("h1", now() - SignedDuration::from_hours(24)));
    let made = store.create_order(keyed.clone()).await.unwrap();
    let Created::New(made) = made else {
        panic!("first use creates")
    };
    let replayed = store.create_order(keyed.clone()).await.unwrap();
    assert_eq!(replayed, Created::Replayed(made.clone()));
    let mut other_request = keyed.clone();
    other_request.idempotency = Some(key("h2", now() - SignedDuration::from_hours(24)));
    assert!(matches!(
        store.create_order(other_request).await,
        Err(StoreError::IdempotencyConflict)
    ));
    let mut later = keyed.clone();
    later.idempotency = Some(key("h1", now() + SignedDuration::from_secs(1)));
    let fresh = store.create_order(later).await.unwrap();
    assert!(
        matches!(fresh, Created::New(ref o) if o.web_order_id != made.web_order_id),
        "expired keys are forgotten"
    );

    // Reading and listing.
    assert_eq!(
        store.order(&first.web_order_id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .order(&WebOrderId::parse("W404").unwrap())
            .await
            .unwrap(),
        None
    );
    // A window of an order's lines: by line number, with how many there are.
    assert!(
        first.lines.len() >= 2,
        "the story's first order has several lines"
    );
    let window = |offset, limit| LineWindow { offset, limit };
    let second = store
        .order_window(&first.web_order_id, window(1, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.order.lines, first.lines[1..2].to_vec());
    assert_eq!(second.line_count as usize, first.lines.len());
    let whole = store
        .order_window(&first.web_order_id, window(0, 1000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(whole.order, first);
    let past = store
        .order_window(&first.web_order_id, window(1000, 50))
        .await
        .unwrap()
        .unwrap();
    assert!(past.order.lines.is_empty());
    assert_eq!(past.line_count as usize, first.lines.len());
    let unknown = WebOrderId::parse("W404").unwrap();
    assert_eq!(
        store.order_window(&unknown, window(0, 50)).await.unwrap(),
        None
    );
    let ctx = store.line(&refs[1]).await.unwrap().unwrap();
    assert_eq!(ctx.web_order_id, first.web_order_id);
    assert_eq!(ctx.partner, acme);
    assert_eq!(ctx.parties().ordering_contact.email, "pia@acme.test");
    assert_eq!(
        store.line(&SubRef::parse("Sub1").unwrap()).await.unwrap(),
        None
    );

    let everything = OrderQuery::new(Scope::Everything, page(50));
    let all = store.list_orders(&everything).await.unwrap();
    assert_eq!(all.items.len(), 4);
    assert_eq!(
        all.items[3].order.web_order_id.as_str(),
        "W123",
        "newest first"
    );
    for summary in &all.items {
        assert!(summary.order.lines.is_empty(), "lists carry no lines");
        let by_stage: u32 = summary.lines_by_stage.iter().map(|(_, n)| n).sum();
        let by_status: u32 = summary.lines_by_status.iter().map(|(_, n)| n).sum();
        assert!(summary.line_count > 0);
        assert_eq!(by_stage, summary.line_count);
        assert_eq!(by_status, summary.line_count);
        let full = store
            .order(&summary.order.web_order_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(full.lines.len() as u32, summary.line_count);
    }
    assert_eq!(all.next, None);

    let mut q = everything.clone();
    q.scope = Scope::Company {
        company_id: acme.id,
        user_id: pia.id,
    };
    let mine = store.list_orders(&q).await.unwrap();
    assert_eq!(
        mine.items.len(),
        3,
        "another partner's order is not in scope"
    );

    // Keyset pagination visits every order once.
    let seen = order_pages(store, &everything).await;
    assert_eq!(seen.len(), 4);

    for (needle, expect) in [
        ("w12", 1),
        ("kim@KUND", 1),
        (refs[1].as_str(), 1),
        ("kund ab", 4),
        ("KUND AB", 4),
        ("ab", 4),
        ("%", 0),
        ("_", 0),
        ("*", 0),
        ("?", 0),
        ("[k]und", 0),
    ] {
        let mut q = everything.clone();
        q.q = Search::parse(needle);
        assert_eq!(
            store.list_orders(&q).await.unwrap().items.len(),
            expect,
            "search {needle:?}"
        );
        let lines = LineQuery {
            q: Search::parse(needle),
            ..LineQuery::new(Scope::Everything, page(50))
        };
        let found = store.list_lines(&lines).await.unwrap().items;
        assert_eq!(found.is_empty(), expect == 0, "lines: search {needle:?}");
    }

    // A search's pages visit every order it finds once, newest first.
    let mut searched = everything.clone();
    searched.q = Search::parse("Kund");
    let seen = order_pages(store, &searched).await;
    let newest_first: Vec<_> = all
        .items
        .iter()
        .map(|o| o.order.web_order_id.clone())
        .collect();
    assert_eq!(seen, newest_first);
    let mut q = everything.clone();
    q.stage = Some(Stage::Scheduled);
    assert_eq!(store.list_orders(&q).await.unwrap().items.len(), 4);
    q.stage = Some(Stage::Onboarded);
    assert_eq!(store.list_orders(&q).await.unwrap().items.len(), 0);
    q.stage = None;
    q.status = Some(LineStatus::Closed);
    assert_eq!(store.list_orders(&q).await.unwrap().items.len(), 0);

    let lines = LineQuery {
        stages: vec![Stage::Scheduled, Stage::AwaitingProvisioning],
        ..LineQuery::new(Scope::Everything, page(2))
    };
    let p1 = store.list_lines(&lines).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    assert!(p1.next.is_some());
    let scoped = LineQuery {
        scope: Scope::Company {
            company_id: other.id,
            user_id: olle.id,
        },
        ..lines
    };
    assert_eq!(store.list_lines(&scoped).await.unwrap().items.len(), 1);

    let events = store.line_events(&refs[0]).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "order.created");
    assert_eq!(events[0].actor_email.as_deref(), Some("pia@acme.test"));
    // A history names the person and their role, not only an address.
    assert_eq!(events[0].actor_name.as_deref(), Some("Pia Partner"));
    assert_eq!(events[0].actor_role, Some(Role::Member));
    assert_eq!(events[0].at, now());
}

pub async fn policies(store: Arc<dyn Store>) {
    let store = store.as_ref();
    partner_with(store, "Acme", "pia@acme.test").await;
    let initial = store.offer_policies().await.unwrap();
    let names: Vec<_> = initial
        .iter()
        .map(|(o, d)| (o.as_str().to_owned(), *d))
        .collect();
    assert_eq!(
        names,
        [("A-FLEX".to_owned(), 7), ("A-FLEX-3".to_owned(), 7)],
        "built-ins are seeded"
    );
    let admin = store
        .user_by_email(&ContactEmail::parse("pia@acme.test").unwrap())
        .await
        .unwrap()
        .unwrap();
    let change = |offer: &str, days| PolicyChange {
        offer: OfferSku::parse(offer).unwrap(),
        window_days: days,
        actor: admin.id,
        now: now(),
    };
    store
        .set_offer_policy(change("A-WX-CALL", 14))
        .await
        .unwrap();
    store.set_offer_policy(change("A-FLEX", 10)).await.unwrap();
    let after = store.offer_policies().await.unwrap();
    let names: Vec<_> = after
        .iter()
        .map(|(o, d)| (o.as_str().to_owned(), *d))
        .collect();
    assert_eq!(
        names,
        [
            ("A-FLEX".to_owned(), 10),
            ("A-FLEX-3".to_owned(), 7),
            ("A-WX-CALL".to_owned(), 14)
        ]
    );
}

/// The outbox: first sends, claims with leases, fenced results, overtaken mail, setup links,
/// idempotent resends, closure.
pub async fn outbox(store: Arc<dyn Store>) {
    outbox::story(store.as_ref()).await;
}

/// Many orders in one write, each whole or not at all.
pub async fn imports(store: Arc<dyn Store>) {
    imports_chapter::story(store.as_ref()).await;
}

pub async fn directory(store: Arc<dyn Store>) {
    directory::story(store.as_ref()).await;
}

pub async fn policy_deadlines(store: Arc<dyn Store>) {
    policies_chapter::story(store.as_ref()).await;
}

pub async fn sessions(store: Arc<dyn Store>) {
    sessions::story(store.as_ref()).await;
}

pub async fn concurrency(store: Arc<dyn Store>) {
    concurrency::story(store).await;
}

/// Two handles on one database, as two instances: planners, closure sweeps, claims and line
/// actions at the same time.
pub async fn two_handles(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    two_handles::story(a, b).await;
}

/// A distributor sees the orders that name it only while it serves their partner, in every
/// list as for a single line (the app keeps what the domain's scope admits; the store's
/// candidates must include them).
pub async fn distributors(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let (acme, pia) = partner_with(store, "Acme", "pia@acme.test").await;
    let dist = company(store, "Dist", CompanyKind::Distributor).await;
    let dana = user(store, &dist, "dana@dist.test", Role::Member).await;
    store
        .set_distributor_link(dist.id, acme.id, true, now())
        .await
        .unwrap();
    let mut order = new_order(&acme, &pia, Some("W-DIST"), vec![raw_line("k@kund.test")]);
    order.permit = authorize_order(
        &pia.actor(),
        acme.id,
        Some(Named::Company(dist.id)),
        true,
        PlacedBy::Caller,
    )
    .unwrap();
    let order = store.create_order(order).await.unwrap().into_inner();
    let scope = Scope::of(&dana.actor());
    let orders = OrderQuery::new(scope.clone(), page(10));
    let lines = LineQuery::new(scope, page(10));
    let listed = store.list_orders(&orders).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].order.distributor_serves_partner);
    let line = store.line(&order.lines[0].sub_ref).await.unwrap().unwrap();
    assert!(line.distributor_serves_partner);
    assert!(orders.scope.admits(&line.parties()));
    assert_eq!(store.list_lines(&lines).await.unwrap().items.len(), 1);

    store
        .set_distributor_link(dist.id, acme.id, false, now())
        .await
        .unwrap();
    let line = store.line(&order.lines[0].sub_ref).await.unwrap().unwrap();
    assert!(!line.distributor_serves_partner, "the link is read afresh");
    assert!(!orders.scope.admits(&line.parties()));
    let full = store.order(&order.web_order_id).await.unwrap().unwrap();
    assert!(!full.distributor_serves_partner);
    assert!(store.list_orders(&orders).await.unwrap().items.is_empty());
    assert!(store.list_lines(&lines).await.unwrap().items.is_empty());
}
