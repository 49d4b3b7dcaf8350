//! Prometheus metrics: one process-wide recorder, what the service records as it works
//! (GraphQL requests and errors, translator calls, WebSocket connections and
//! subscriptions), and what `/metrics` reads from the database when it is scraped (pool,
//! events, deliveries and worker lag per consumer).

mod database;
mod record;

pub use database::refresh_database_gauges;
pub use record::{
    ConnectionGauge, SubscriptionGauge, UNIDENTIFIED_OPERATION, record_error_code, record_request,
    record_translation,
};

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, from a cache hit to a slow translation.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed on first use. If another recorder was installed
/// first, this one still renders what is recorded through it directly (nothing).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        handle
    })
}

/// The Prometheus text exposition of everything recorded.
pub fn render() -> String {
    handle().render()
}
