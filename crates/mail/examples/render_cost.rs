//! What rendering one email costs, alone (README, Performance): a typical provisioning email
//! rendered and formatted N times (default 20,000), in English or, with `sv`, in Swedish;
//! `DUMP=1` prints one message instead.
//!
//!     cargo run --release -p provisio-mail --example render_cost -- 20000 sv
// A measurement by hand: a failed unwrap is a broken example, with its location.
#![allow(clippy::unwrap_used)]
use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Outbound, ProvisioningEmail};

#[path = "../tests/it/sample.rs"]
mod sample;

/// The tests' typical email, with a setup link of a real token's length and no admin portal.
fn email(locale: Locale, kind: EmailKind) -> ProvisioningEmail {
    ProvisioningEmail {
        setup_url: "https://provisio.example/setup/AbC123xyz_-AbC123xyz_-AbC123xyz_-AbC123xyz"
            .to_owned(),
        admin_portal_url: None,
        ..sample::email(locale, kind)
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(20000);
    let locale = if std::env::args().nth(2).as_deref() == Some("sv") {
        Locale::Sv
    } else {
        Locale::En
    };
    let out = Outbound::from(email(locale, EmailKind::Initial));
    if std::env::var("DUMP").is_ok() {
        print!(
            "{}",
            String::from_utf8_lossy(&provisio_mail::render(&out).unwrap().formatted())
        );
        return;
    }
    #[allow(clippy::disallowed_methods)] // how long rendering takes is real time
    let t = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        let m = provisio_mail::render(&out).unwrap();
        bytes += m.formatted().len();
    }
    let e = t.elapsed();
    println!(
        "{} renders, {:.2} us each, {} bytes each",
        n,
        e.as_secs_f64() * 1e6 / n as f64,
        bytes / n
    );
}
