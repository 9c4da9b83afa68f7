use std::error::Error as StdError;

/// What a store error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Unique by name.
    Company,
    /// Unique by email.
    User,
    /// Unique by hash.
    ApiKey,
    /// Unique by web order id.
    Order,
    /// Unique by subscription reference.
    Line,
    Email,
    /// A support case.
    Case,
    /// The partner, distributor or ordering contact an order names.
    OrderParty,
    /// An organization id, which belongs to the partner (tenant) whose line it was first
    /// reported for: another partner's line naming it finds no such organization.
    Organization,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Company => "company",
            Entity::User => "user",
            Entity::ApiKey => "api_key",
            Entity::Order => "order",
            Entity::Line => "line",
            Entity::Email => "email",
            Entity::Case => "case",
            Entity::OrderParty => "order_party",
            Entity::Organization => "organization",
        }
    }
}

/// What can go wrong in a store, independent of the backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique name or id is taken (`already_exists`).
    #[error("this {} already exists", .what.as_str())]
    AlreadyExists { what: Entity },
    /// An idempotency key was reused for a different request.
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyConflict,
    /// A referenced row does not exist.
    #[error("{} not found", .what.as_str())]
    NotFound { what: Entity },
    /// The transaction could not complete now (a serialization failure on a shared database,
    /// a lock held too long by another process); nothing was written and running it again
    /// may succeed. Decisions are re-runnable ([`crate::Decide`] is `Fn`), so a backend may
    /// retry by itself; [`retrying`](crate::retrying) does it for callers.
    #[error("the database was busy; nothing was written ({0})")]
    Retryable(String),
    /// The database cannot be reached now (connection lost, restarting, every connection
    /// busy for too long); nothing was written. Edges answer 503 and callers may try later.
    #[error("the database is unavailable; nothing was written ({0})")]
    Unavailable(String),
    /// Stored data that does not parse (a bug or manual tampering); never the caller's fault.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    pub fn backend(e: impl StdError + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(e))
    }
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Retryable(_))
    }
    /// Whether this refuses the one thing asked (a name taken, a row it names missing, a key
    /// reused) rather than failing the write itself: in a batch the others may still go in.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::AlreadyExists { .. }
                | StoreError::NotFound { .. }
                | StoreError::IdempotencyConflict
        )
    }
}
