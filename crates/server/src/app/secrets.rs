//! API keys and passwords. Keys carry 256 random bits and are stored only as SHA-256 hashes;
//! passwords are stored as Argon2id PHC strings.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};

/// Every key starts with this, so a leaked key is recognisable (secret scanners).
pub const KEY_PREFIX: &str = "pvk_";
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A fresh API key: `pvk_` + 43 base64url characters (256 bits).
pub fn new_api_key() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a key.
pub fn hash_api_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// A fresh setup-link token (256 bits, base64url without padding) and the hash the store keeps.
pub fn new_setup_token() -> (String, String) {
    let bytes: [u8; 32] = rand::rng().random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_setup_token(&token);
    (token, hash)
}

pub fn hash_setup_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a password was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    Unhashable,
}

/// Validates and hashes a password for the web sign-in.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > 1024 {
        return Err(PasswordError::TooLong);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!("hashing a password: {e}");
            PasswordError::Unhashable
        })
}

/// A fresh sign-in password: four groups of four characters from an alphabet without look-alikes
/// (`0`/`O`, `1`/`l`), 80 random bits, e.g. `k7dq-m2xa-…`.
pub fn new_password() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes: [u8; 16] = rand::rng().random();
    let chars: Vec<char> = bytes
        .iter()
        // 256 is a multiple of 32, so every character is equally likely.
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_hashed() {
        let (a, b) = (new_api_key(), new_api_key());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert_eq!(hash_api_key(&a).len(), 64);
        assert_ne!(hash_api_key(&a), a);
        assert_eq!(hash_api_key(&a), hash_api_key(&a));
    }

    #[test]
    fn new_passwords_are_random_long_enough_and_hashable() {
        let (a, b) = (new_password(), new_password());
        assert_ne!(a, b);
        assert_eq!(a.len(), 19, "{a}");
        assert!(
            a.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()),
            "{a}"
        );
        assert!(verify_password(&a, &hash_password(&a).unwrap()));
    }

    #[test]
    fn passwords_are_checked_and_verified() {
        assert!(hash_password("short").is_err());
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
