use std::error::Error as StdError;

/// What can go wrong in a store, independent of the backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique name or id is taken (`already_exists`).
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    /// An idempotency key was reused for a different request.
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyConflict,
    /// A referenced row does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// A row changed between read and write; the caller re-reads and decides again.
    #[error("the record changed concurrently")]
    Conflict,
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
}
