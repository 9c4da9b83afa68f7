//! Offer policies (provisioning windows) and business-calendar arithmetic.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::values::{OfferSku, ValueError};

/// Window for any offer without its own policy (SPEC §2).
pub const DEFAULT_WINDOW_DAYS: u32 = 30;
/// Longest window an admin may set: ten years.
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// The provisioning window per offer. Built-in defaults: `A-FLEX` and `A-FLEX-3` 7 days;
/// every other offer [`DEFAULT_WINDOW_DAYS`]. Admin edits override per offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferPolicies {
    windows: BTreeMap<String, u32>,
}

impl Default for OfferPolicies {
    fn default() -> Self {
        Self::from_entries(Self::builtin())
    }
}

impl OfferPolicies {
    /// The policies a fresh installation starts with.
    pub fn builtin() -> Vec<(OfferSku, u32)> {
        ["A-FLEX", "A-FLEX-3"]
            .into_iter()
            .filter_map(|s| OfferSku::parse(s).ok())
            .map(|s| (s, 7))
            .collect()
    }

    pub fn from_entries(entries: impl IntoIterator<Item = (OfferSku, u32)>) -> Self {
        Self {
            windows: entries
                .into_iter()
                .map(|(o, d)| (o.as_str().to_owned(), d))
                .collect(),
        }
    }

    pub fn window_days(&self, offer: &OfferSku) -> u32 {
        self.windows
            .get(offer.as_str())
            .copied()
            .unwrap_or(DEFAULT_WINDOW_DAYS)
    }

    pub fn window(&self, offer: &OfferSku) -> SignedDuration {
        window_of(self.window_days(offer))
    }
}

/// A window of `days` whole days (24 h each: the policy counts elapsed time, not calendar days).
pub fn window_of(days: u32) -> SignedDuration {
    SignedDuration::from_hours(i64::from(days) * 24)
}

/// Validates a window an admin sets.
pub fn parse_window_days(days: i64) -> Result<u32, ValueError> {
    match u32::try_from(days) {
        Ok(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => Ok(d),
        _ => Err(ValueError::invalid(
            "value-window-days",
            vec![
                ("max", MAX_WINDOW_DAYS.to_string()),
                ("value", days.to_string()),
            ],
        )),
    }
}

/// R6: when a line sent at `first_sent_at` closes under a window.
pub fn closes_at(first_sent_at: Timestamp, window: SignedDuration) -> Timestamp {
    first_sent_at
        .saturating_add(window)
        .unwrap_or(Timestamp::MAX)
}

/// R1: the instant the requested start date begins in the business time zone. A day that
/// starts inside a DST gap begins at the first instant that exists.
pub fn rsd_start(rsd: Date, zone: &TimeZone) -> Timestamp {
    rsd.to_zoned_datetime(zone.clone())
        .map(|z| z.timestamp())
        // Only dates at the very edge of jiff's range fail; treat them as UTC midnight.
        .unwrap_or_else(|_| {
            rsd.to_zoned_datetime(TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(s: &str) -> OfferSku {
        OfferSku::parse(s).unwrap()
    }

    #[test]
    fn flex_offers_have_seven_days_and_the_rest_thirty() {
        let p = OfferPolicies::default();
        assert_eq!(p.window_days(&sku("A-FLEX")), 7);
        assert_eq!(p.window_days(&sku("a-flex-3")), 7);
        assert_eq!(p.window_days(&sku("A-WX-CALL")), 30);
        let edited = OfferPolicies::from_entries([(sku("A-WX-CALL"), 14)]);
        assert_eq!(edited.window_days(&sku("A-WX-CALL")), 14);
        assert_eq!(
            edited.window_days(&sku("A-FLEX")),
            30,
            "entries replace the built-ins"
        );
    }

    #[test]
    fn window_days_must_be_sensible() {
        assert_eq!(parse_window_days(7), Ok(7));
        assert!(parse_window_days(0).is_err());
        assert!(parse_window_days(-3).is_err());
        assert!(parse_window_days(i64::from(MAX_WINDOW_DAYS) + 1).is_err());
    }

    #[test]
    fn closes_seven_days_after_the_first_send() {
        let sent: Timestamp = "2026-03-01T09:30:00Z".parse().unwrap();
        assert_eq!(
            closes_at(sent, window_of(7)).to_string(),
            "2026-03-08T09:30:00Z"
        );
        assert_eq!(closes_at(Timestamp::MAX, window_of(7)), Timestamp::MAX);
    }

    #[test]
    fn rsd_starts_at_local_midnight() {
        let date: Date = "2026-06-15".parse().unwrap();
        assert_eq!(
            rsd_start(date, &TimeZone::UTC).to_string(),
            "2026-06-15T00:00:00Z"
        );
        let stockholm = TimeZone::get("Europe/Stockholm").unwrap();
        assert_eq!(
            rsd_start(date, &stockholm).to_string(),
            "2026-06-14T22:00:00Z"
        );
        let winter: Date = "2026-01-15".parse().unwrap();
        assert_eq!(
            rsd_start(winter, &stockholm).to_string(),
            "2026-01-14T23:00:00Z"
        );
    }

    #[test]
    fn rsd_in_a_dst_gap_starts_when_the_day_exists() {
        // America/Havana skips from 00:00 to 01:00 on its spring-forward day.
        let havana = TimeZone::get("America/Havana").unwrap();
        let date: Date = "2026-03-08".parse().unwrap();
        let start = rsd_start(date, &havana);
        assert_eq!(start.to_zoned_datetime(havana).date(), date);
    }
}
