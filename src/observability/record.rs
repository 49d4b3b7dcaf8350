//! What the service records while it works. Label values come from small fixed sets, or
//! (operation names, which clients choose) are checked and capped, so that no client can
//! grow the exposition without bound.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{counter, gauge, histogram};

/// Distinct operation names kept as labels; later ones are counted as `other`.
const MAX_OPERATION_NAMES: usize = 200;
const MAX_OPERATION_NAME_LEN: usize = 64;

/// The operation label of every request by an anonymous caller (authentication on, no
/// token): the names such callers choose never become labels.
pub const UNIDENTIFIED_OPERATION: &str = "unidentified";

/// One GraphQL request over HTTP: by operation name and outcome (`ok`, `error`).
pub fn record_request(operation: Option<&str>, ok: bool, elapsed: Duration) {
    let operation = operation_label(operation);
    let outcome = if ok { "ok" } else { "error" };
    counter!("graphql_requests_total", "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    histogram!("graphql_request_duration_seconds", "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// One GraphQL error sent, by its `extensions.code` (one of the service's codes).
pub fn record_error_code(code: &'static str) {
    counter!("graphql_errors_total", "code" => code).increment(1);
}

/// One call of a translation provider (`deepl`, `libretranslate`, `apertium`, `pseudo`).
pub fn record_translation(provider: &'static str, ok: bool, elapsed: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    counter!("translator_calls_total", "provider" => provider, "outcome" => outcome).increment(1);
    histogram!("translator_call_duration_seconds", "provider" => provider)
        .record(elapsed.as_secs_f64());
}

/// An open WebSocket connection, counted while this value lives.
pub struct ConnectionGauge(());

impl ConnectionGauge {
    pub fn open() -> Self {
        gauge!("websocket_connections").increment(1.0);
        ConnectionGauge(())
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        gauge!("websocket_connections").decrement(1.0);
    }
}

/// An operation running over `/ws` (a subscription, or a query or mutation while it runs),
/// counted while this value lives.
pub struct SubscriptionGauge(());

impl SubscriptionGauge {
    pub fn start() -> Self {
        gauge!("websocket_operations").increment(1.0);
        SubscriptionGauge(())
    }
}

impl Drop for SubscriptionGauge {
    fn drop(&mut self) {
        gauge!("websocket_operations").decrement(1.0);
    }
}

/// `anonymous`, the name when it is a GraphQL name among the first 200 seen, else `other`.
fn operation_label(operation: Option<&str>) -> String {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(name) = operation.filter(|name| !name.is_empty()) else {
        return "anonymous".into();
    };
    let valid = name.len() <= MAX_OPERATION_NAME_LEN
        && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid {
        return "other".into();
    }
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let seen = seen.get_or_insert_with(HashSet::new);
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

#[cfg(test)]
mod tests {
    use super::operation_label;

    #[test]
    fn operation_labels_are_checked() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("GetCampaign")), "GetCampaign");
        assert_eq!(operation_label(Some("a b")), "other");
        assert_eq!(operation_label(Some(&"x".repeat(65))), "other");
    }
}
