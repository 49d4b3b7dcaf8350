//! Starting the service: the HTTP app plus its background tasks (this process's event
//! fan-out to subscribers, the PostgreSQL LISTEN wake-up, the consumer workers) and
//! stopping them again.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::events::worker::{self, EventHandler, WorkerConfig};
use crate::events::{Broadcaster, delivery, listen_for_events};

/// How often a process proves its fan-out consumer is alive, and when one is given up.
const HEARTBEAT: Duration = Duration::from_secs(10);
const HEARTBEAT_TTL: Duration = Duration::from_secs(60);

/// What to run besides the HTTP app.
#[derive(Clone, Debug)]
pub struct Options {
    /// The database URL, for PostgreSQL's LISTEN connection.
    pub database_url: String,
    /// Pacing of the consumer workers.
    pub worker: WorkerConfig,
}

/// A started service: its router and the background tasks to stop.
pub struct Running {
    router: Router,
    db: DatabaseConnection,
    broadcaster: Broadcaster,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the HTTP app over `api_db` with this process's subscription fan-out. Background
/// work gets a connection pool of its own, so that it never starves API requests.
pub async fn start(api_db: DatabaseConnection, options: Options) -> Result<Running, DbErr> {
    let db = crate::db::connect(&options.database_url).await?;
    let (stop, stopped) = watch::channel(false);
    let broadcaster = Broadcaster::new();
    delivery::register_consumer(&db, broadcaster.consumer_name(), 1, true).await?;
    let mut tasks = vec![
        tokio::spawn(worker::run(
            db.clone(),
            Arc::new(broadcaster.clone()),
            options.worker,
            stopped.clone(),
        )),
        tokio::spawn(heartbeat(
            db.clone(),
            broadcaster.consumer_name().to_owned(),
            stopped.clone(),
        )),
    ];
    if db.get_database_backend() == DatabaseBackend::Postgres {
        tasks.push(tokio::spawn(listen_for_events(
            options.database_url.clone(),
            stopped,
        )));
    }
    let router = crate::server::app(api_db, broadcaster.clone());
    Ok(Running {
        router,
        db,
        broadcaster,
        stop,
        tasks,
    })
}

impl Running {
    pub fn router(&self) -> Router {
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
        if let Err(error) =
            delivery::unregister_consumer(&self.db, self.broadcaster.consumer_name()).await
        {
            tracing::warn!(%error, "removing the subscription consumer failed; its heartbeat will expire");
        }
    }
}

async fn heartbeat(db: DatabaseConnection, consumer: String, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT) => {}
            _ = stop.changed() => return,
        }
        if let Err(error) = delivery::heartbeat(&db, &consumer, HEARTBEAT_TTL).await {
            tracing::warn!(%error, "consumer heartbeat failed");
        }
    }
}
