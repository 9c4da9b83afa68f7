//! `provisio order show`.

use provisio_domain::Actor;

use crate::api::dto::OrderDto;
use crate::app::App;
use crate::cli::Failure;

pub async fn run(app: &App, order_id: &str, json: bool) -> Result<(), Failure> {
    let order = app
        .order_for_operator(order_id)
        .await
        .map_err(|e| Failure::of(&e).with_problem(&e, json))?;
    if json {
        let offers = app
            .order_offers(&Actor::operator(), &order)
            .await
            .map_err(|e| Failure::of(&e).with_problem(&e, json))?;
        let dto = OrderDto::new(&order, &offers);
        println!(
            "{}",
            serde_json::to_string_pretty(&dto).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let distributor = order
        .distributor
        .as_ref()
        .map(|d| format!(", distributor {}", d.name))
        .unwrap_or_default();
    println!(
        "order {} for {} (partner {}{distributor}), placed by {} <{}> at {}",
        order.web_order_id,
        order.end_customer,
        order.partner.name,
        order.placed_by.name,
        order.placed_by.email,
        order.placed_at
    );
    for l in &order.lines {
        let s = &l.state;
        let deadline = s
            .closes_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into());
        let reason = s
            .closed_reason
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let last = l
            .last_email
            .as_ref()
            .map(|e| format!("{} {} to {}", e.kind, e.state, e.to))
            .unwrap_or_else(|| "none".into());
        println!(
            "  {} line {}: {} x{} RSD {} contact {} | stage {} | status {}{reason} | deadline {deadline} | last email {last}",
            l.sub_ref,
            l.line_number,
            l.offer,
            l.quantity,
            l.requested_start_date,
            l.contact_email,
            s.stage,
            s.status,
        );
    }
    Ok(())
}
