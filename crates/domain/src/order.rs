//! A new order as the rules accept it: 1–1,000 lines, each with a positive quantity, a real
//! date and a valid contact. Validation collects every problem with its field path, so a
//! client can fix all of them at once; an order with one bad line is not created at all.

use jiff::civil::Date;

use crate::field::{Collector, FieldError, FieldPath};
use crate::values::{ContactEmail, Locale, OfferSku, PersonName, ValueError, WebOrderId};

pub const MAX_LINES: usize = 1000;

/// An order as it arrives, with every field still raw (already shaped by JSON or CSV parsing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawOrder {
    pub web_order_id: Option<String>,
    pub end_customer_name: String,
    pub locale: Option<String>,
    pub lines: Vec<RawLine>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawLine {
    pub offer: String,
    pub quantity: i64,
    pub requested_start_date: String,
    pub contact_email: String,
    pub contact_name: Option<String>,
    pub locale: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    pub web_order_id: Option<WebOrderId>,
    pub end_customer: PersonName,
    pub locale: Locale,
    pub lines: Vec<NewLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLine {
    pub offer: OfferSku,
    pub quantity: u32,
    pub requested_start_date: Date,
    pub contact_email: ContactEmail,
    pub contact_name: Option<PersonName>,
    pub locale: Locale,
}

/// Every problem found in an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problems in the order", .errors.len())]
pub struct OrderError {
    pub errors: Vec<FieldError>,
}

impl OrderError {
    /// `invalid_email` when every problem is an address, else `invalid_request`.
    pub fn code(&self) -> &'static str {
        crate::field::code_of(&self.errors)
    }
}

fn parse_date(raw: &str) -> Result<Date, ValueError> {
    // Exactly YYYY-MM-DD: jiff would also accept other ISO 8601 spellings.
    let shaped = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    match raw.parse::<Date>() {
        Ok(d) if shaped => Ok(d),
        _ => Err(ValueError::invalid(
            "value-date",
            vec![("value", raw.to_owned())],
        )),
    }
}

impl NewOrder {
    pub fn parse(raw: &RawOrder) -> Result<Self, OrderError> {
        let mut c = Collector::default();
        let web_order_id = match &raw.web_order_id {
            Some(id) => c
                .take(|| FieldPath::name("web_order_id"), WebOrderId::parse(id))
                .map(Some),
            None => Some(None),
        };
        let end_customer = c.take(
            || FieldPath::name("end_customer").then("name"),
            PersonName::parse(&raw.end_customer_name),
        );
        let locale = match &raw.locale {
            Some(l) => c.take(|| FieldPath::name("locale"), Locale::parse(l)),
            None => Some(Locale::default()),
        };
        if raw.lines.is_empty() {
            c.push(
                FieldPath::name("lines"),
                ValueError::invalid("order-no-lines", vec![]),
            );
        }
        if raw.lines.len() > MAX_LINES {
            c.push(
                FieldPath::name("lines"),
                ValueError::invalid(
                    "order-too-many-lines",
                    vec![
                        ("max", MAX_LINES.to_string()),
                        ("count", raw.lines.len().to_string()),
                    ],
                ),
            );
        }
        let mut lines = Vec::with_capacity(raw.lines.len().min(MAX_LINES));
        for (i, l) in raw.lines.iter().enumerate().take(MAX_LINES) {
            let p = |f: &'static str| FieldPath::name("lines").at(i).then(f);
            let contact = |f: &'static str| p("provisioning_contact").then(f);
            let offer = c.take(|| p("offer"), OfferSku::parse(&l.offer));
            let quantity = match u32::try_from(l.quantity) {
                Ok(q) if q >= 1 => Some(q),
                _ => {
                    c.push(
                        p("quantity"),
                        ValueError::invalid(
                            "order-quantity",
                            vec![
                                ("max", u32::MAX.to_string()),
                                ("value", l.quantity.to_string()),
                            ],
                        ),
                    );
                    None
                }
            };
            let rsd = c.take(
                || p("requested_start_date"),
                parse_date(&l.requested_start_date),
            );
            let email = c.take(|| contact("email"), ContactEmail::parse(&l.contact_email));
            let name = match &l.contact_name {
                Some(n) => c.take(|| contact("name"), PersonName::parse(n)).map(Some),
                None => Some(None),
            };
            let line_locale = match &l.locale {
                Some(s) => c.take(|| p("locale"), Locale::parse(s)),
                None => locale,
            };
            if let (Some(offer), Some(quantity), Some(rsd), Some(email), Some(name), Some(loc)) =
                (offer, quantity, rsd, email, name, line_locale)
            {
                lines.push(NewLine {
                    offer,
                    quantity,
                    requested_start_date: rsd,
                    contact_email: email,
                    contact_name: name,
                    locale: loc,
                });
            }
        }
        match (web_order_id, end_customer, locale) {
            (Some(web_order_id), Some(end_customer), Some(locale)) if c.is_empty() => {
                Ok(NewOrder {
                    web_order_id,
                    end_customer,
                    locale,
                    lines,
                })
            }
            _ => Err(OrderError {
                errors: c.into_errors(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line() -> RawLine {
        RawLine {
            offer: "A-FLEX".into(),
            quantity: 10,
            requested_start_date: "2026-05-04".into(),
            contact_email: "kim@kund.test".into(),
            contact_name: Some("Kim".into()),
            locale: None,
        }
    }
    fn order(lines: Vec<RawLine>) -> RawOrder {
        RawOrder {
            web_order_id: Some("W123".into()),
            end_customer_name: "Kund AB".into(),
            locale: Some("sv".into()),
            lines,
        }
    }
    fn paths(r: Result<NewOrder, OrderError>) -> Vec<String> {
        r.unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.path.to_string())
            .collect()
    }

    #[test]
    fn a_good_order_parses_and_lines_inherit_the_locale() {
        let o = NewOrder::parse(&order(vec![line()])).unwrap();
        assert_eq!(o.lines[0].locale, Locale::Sv);
        assert_eq!(o.lines[0].quantity, 10);
        assert_eq!(o.web_order_id.unwrap().as_str(), "W123");
        let mut en = line();
        en.locale = Some("en".into());
        assert_eq!(
            NewOrder::parse(&order(vec![en])).unwrap().lines[0].locale,
            Locale::En
        );
    }

    #[test]
    fn every_field_is_checked_with_its_path() {
        let bad = RawLine {
            offer: "A FLEX".into(),
            quantity: 0,
            requested_start_date: "2026-02-30".into(),
            contact_email: "kim".into(),
            contact_name: Some(" ".into()),
            locale: Some("de".into()),
        };
        let mut o = order(vec![line(), bad]);
        o.web_order_id = Some("W 1".into());
        o.end_customer_name = "".into();
        o.locale = Some("fr".into());
        assert_eq!(
            paths(NewOrder::parse(&o)),
            [
                "web_order_id",
                "end_customer.name",
                "locale",
                "lines[1].offer",
                "lines[1].quantity",
                "lines[1].requested_start_date",
                "lines[1].provisioning_contact.email",
                "lines[1].provisioning_contact.name",
                "lines[1].locale",
            ]
        );
    }

    #[test]
    fn line_count_is_one_to_a_thousand() {
        assert_eq!(paths(NewOrder::parse(&order(vec![]))), ["lines"]);
        assert!(NewOrder::parse(&order(vec![line(); 1000])).is_ok());
        assert_eq!(
            paths(NewOrder::parse(&order(vec![line(); 1001]))),
            ["lines"]
        );
    }

    #[test]
    fn dates_must_be_plain_calendar_dates() {
        for bad in [
            "2026-13-01",
            "2026-5-4",
            "20260504",
            "2026-05-04T00:00:00",
            "tomorrow",
            "",
        ] {
            let mut l = line();
            l.requested_start_date = bad.into();
            assert_eq!(
                paths(NewOrder::parse(&order(vec![l]))),
                ["lines[0].requested_start_date"],
                "{bad}"
            );
        }
    }

    #[test]
    fn only_address_problems_make_it_invalid_email() {
        let mut l = line();
        l.contact_email = "nope".into();
        assert_eq!(
            NewOrder::parse(&order(vec![l.clone()])).unwrap_err().code(),
            "invalid_email"
        );
        l.quantity = -1;
        assert_eq!(
            NewOrder::parse(&order(vec![l])).unwrap_err().code(),
            "invalid_request"
        );
    }

    proptest! {
        #[test]
        fn quantity_must_be_positive(q in any::<i64>()) {
            let mut l = line();
            l.quantity = q;
            let r = NewOrder::parse(&order(vec![l]));
            prop_assert_eq!(r.is_ok(), (1..=i64::from(u32::MAX)).contains(&q));
        }
    }
}
