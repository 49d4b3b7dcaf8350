//! Starting the service: the HTTP app plus its background tasks (this process's event
//! fan-out to subscribers, the PostgreSQL LISTEN wake-up and vacuum checks, the localization
//! worker and the policy audit) and stopping them again.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::events::nats::{NATS_CONSUMER, NatsConfig, NatsPublisher};
use crate::events::worker::{self, EventHandler, WorkerConfig};
use crate::events::{Broadcaster, announce_commits, delivery, listen_for_events};
use crate::localization::{LocalizationConfig, LocalizationHandler, Translator};
use crate::maintenance::{VacuumConfig, vacuum};
use crate::policy::PolicyAudit;
use crate::server::HttpOptions;

/// How often a process proves its fan-out consumer is alive, and when one is given up.
/// Attempts of the `nats` consumer before an event becomes a dead letter (about ten
/// minutes of backoff).
const NATS_MAX_ATTEMPTS: i32 = 12;
const HEARTBEAT: Duration = Duration::from_secs(10);
const HEARTBEAT_TTL: Duration = Duration::from_secs(60);

/// What to run besides the HTTP app.
#[derive(Clone)]
pub struct Options {
    /// The database URL, for the background pool and PostgreSQL's LISTEN connection.
    pub database_url: String,
    /// Pacing of the consumer workers.
    pub worker: WorkerConfig,
    /// The localization worker, when this process runs it.
    pub localization: Option<Localization>,
    /// Whether this process runs the policy audit (with the other workers).
    pub policy_audit: bool,
    /// Where the `nats` consumer publishes events, when this process runs it.
    pub nats: Option<NatsConfig>,
    /// CORS, body limit and content type of the HTTP app.
    pub http: HttpOptions,
    /// Vacuuming the churned tables (PostgreSQL), when this process does it.
    pub vacuum: Option<VacuumConfig>,
}

/// The localization worker's translator and defaults.
#[derive(Clone)]
pub struct Localization {
    pub translator: Arc<dyn Translator>,
    pub config: LocalizationConfig,
}

/// A started service: its router (unless it only runs workers) and the background tasks.
pub struct Running {
    router: Option<Router>,
    db: DatabaseConnection,
    broadcaster: Option<Broadcaster>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the HTTP app over `api_db` (with this process's subscription fan-out), or with
/// `None` only the workers. Background work gets a connection pool of its own, so that it
/// never starves API requests.
pub async fn start(
    api_db: Option<crate::db::Autocommit>,
    options: Options,
) -> Result<Running, DbErr> {
    let db = crate::db::connect(&options.database_url).await?;
    let (stop, stopped) = watch::channel(false);
    let mut running = Running {
        router: None,
        db: db.clone(),
        broadcaster: None,
        stop,
        tasks: Vec::new(),
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let listener = listen_for_events(options.database_url.clone(), stopped.clone());
        running.tasks.push(tokio::spawn(listener));
        let announcer = announce_commits(db.clone(), stopped.clone());
        running.tasks.push(tokio::spawn(announcer));
        if let Some(config) = options.vacuum {
            let vacuum = vacuum::run(db.clone(), config, stopped.clone());
            running.tasks.push(tokio::spawn(vacuum));
        }
    }
    if let Some(localization) = options.localization {
        let handler =
            LocalizationHandler::new(db.clone(), localization.translator, localization.config);
        running.spawn_consumer(Arc::new(handler), options.worker);
    }
    if options.policy_audit {
        running.spawn_consumer(Arc::new(PolicyAudit::new(db.clone())), options.worker);
    }
    if let Some(nats) = options.nats {
        // Registered before its first claim: from now on every event gets a delivery for it.
        delivery::register_consumer(&db, NATS_CONSUMER, NATS_MAX_ATTEMPTS, false).await?;
        running.spawn_consumer(Arc::new(NatsPublisher::new(nats)), options.worker);
    }
    if let Some(api_db) = api_db {
        let broadcaster = Broadcaster::new(db.clone());
        running.spawn_consumer(Arc::new(broadcaster.clone()), options.worker);
        running
            .tasks
            .push(tokio::spawn(heartbeat(db, broadcaster.clone(), stopped)));
        running.router = Some(crate::server::app(
            api_db,
            broadcaster.clone(),
            options.http.clone(),
        ));
        running.broadcaster = Some(broadcaster);
    }
    Ok(running)
}

impl Running {
    /// The HTTP app (`None` for a worker-only process).
    pub fn router(&self) -> Option<Router> {
        self.router.clone()
    }

    /// Runs another consumer in this process until shutdown.
    pub fn spawn_consumer(&mut self, handler: Arc<dyn EventHandler>, config: WorkerConfig) {
        let stopped = self.stop.subscribe();
        self.tasks.push(tokio::spawn(worker::run(
            self.db.clone(),
            handler,
            config,
            stopped,
        )));
    }

    /// Stops the background tasks and removes this process's fan-out consumer.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Some(broadcaster) = &self.broadcaster
            && let Err(error) =
                delivery::unregister_consumer(&self.db, broadcaster.consumer_name()).await
        {
            tracing::warn!(%error, "removing the subscription consumer failed; its heartbeat will expire");
        }
    }
}

/// Keeps this process's subscription consumer registered while it has subscribers (see
/// [`Broadcaster::tend`]) and prunes those of processes that died.
async fn heartbeat(
    db: DatabaseConnection,
    broadcaster: Broadcaster,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT) => {}
            _ = stop.changed() => return,
        }
        if let Err(error) = broadcaster.tend().await {
            tracing::warn!(%error, "refreshing the subscription consumer failed");
        }
        if let Err(error) = delivery::prune_stale_consumers(&db, HEARTBEAT_TTL).await {
            tracing::warn!(%error, "pruning stale consumers failed");
        }
    }
}
