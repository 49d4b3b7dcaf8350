use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use metadata_synergy::config::{Cli, Command};
use metadata_synergy::entity_types::registry;
use metadata_synergy::orchestration::{attach, drift};
use metadata_synergy::{db, graphql, localization, runtime, server};
use sea_orm::DatabaseConnection;
use tracing_subscriber::EnvFilter;

/// The read path builds and drops many small JSON values per request: mimalloc serves
/// those from thread-local pages instead of glibc malloc's arenas (see README, Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Colours only on a terminal: not in log files and collectors.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let mut cli = Cli::parse();
    match cli
        .command
        .take()
        .unwrap_or(Command::Serve { no_worker: false })
    {
        Command::ExportSchema { output } => {
            let sdl = graphql::federation_sdl(&graphql::build_schema(
                Default::default(),
                metadata_synergy::events::Broadcaster::new(Default::default()),
                Default::default(),
            ));
            match output {
                Some(path) => std::fs::write(&path, sdl)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{sdl}"),
            }
        }
        Command::DevToken {
            scopes,
            subject,
            ttl_secs,
        } => {
            let ttl = std::time::Duration::from_secs(ttl_secs);
            let token =
                metadata_synergy::auth::dev_token(&cli.auth.auth_config(), &subject, &scopes, ttl)?;
            println!("{token}");
        }
        Command::Attach {
            entity_type,
            table,
            metadata_column,
            id_column,
            batch_size,
            convert_json,
        } => {
            let db = connect_and_migrate(&cli.database_url).await?;
            let options = attach::AttachOptions {
                entity_type,
                table,
                id_column,
                metadata_column,
                batch_size,
                convert_json,
            };
            let report = attach::attach(&db, &options).await?;
            println!(
                "attached {} as {}: {} rows adopted in {} batches{}",
                options.table,
                options.entity_type,
                report.adopted,
                report.batches,
                if report.resumed { " (resumed)" } else { "" }
            );
        }
        Command::Detach {
            entity_type,
            batch_size,
        } => {
            let db = connect_and_migrate(&cli.database_url).await?;
            let report = attach::detach(&db, &entity_type, batch_size).await?;
            println!(
                "detached {entity_type}: {} masters deleted in {} batches",
                report.masters_deleted, report.batches
            );
        }
        Command::Reconcile {
            repair,
            prefer,
            entity_type,
        } => {
            let db = connect_and_migrate(&cli.database_url).await?;
            let entity_types = match entity_type {
                Some(name) => vec![registry::resolve(&db, &name).await?],
                None => registry::all(&db).await?,
            };
            let options = drift::ReconcileOptions {
                entity_types,
                repair,
                prefer: prefer.into(),
            };
            let summary = drift::reconcile(&db, &options, |drift, outcome| {
                let outcome = match outcome {
                    None => String::new(),
                    Some(Ok(repaired)) => format!("\t{repaired:?}"),
                    Some(Err(error)) => format!("\tfailed: {error}"),
                };
                println!(
                    "{}\t{}\tentity={}\tmaster={}{outcome}",
                    drift.entity_type,
                    drift.kind.as_str(),
                    drift.entity_id,
                    drift.master_id
                );
            })
            .await
            .context("reading drift")?;
            let found: u64 = summary.found.values().sum();
            println!(
                "drift found: {found}; repaired: {}, already gone: {}, not repairable: {}, failed: {}",
                summary.repaired, summary.already_gone, summary.not_repairable, summary.failed
            );
            if summary.drift_left(repair) {
                std::process::exit(1);
            }
        }
        Command::Migrate => {
            connect_and_migrate(&cli.database_url).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve { no_worker } => {
            let options = options(&cli, !no_worker)?;
            if !options.http.auth.enabled() {
                anyhow::ensure!(
                    cli.listen.ip().is_loopback() || cli.auth.insecure_no_auth,
                    "refusing to serve {} without authentication: configure --jwt-hs256-secret or \
                     --jwks-file or --jwks-url, listen on a loopback address, or pass --insecure-no-auth",
                    cli.listen
                );
                tracing::warn!(
                    "authentication is off (no key configured): every caller has every scope"
                );
            }
            // An unreachable identity provider must not stop the start: its keys are fetched
            // again when a token needs them.
            if let Err(error) = options.http.auth.prefetch().await {
                tracing::warn!(%error, "the JWKS URL could not be fetched yet");
            }
            let db = connect_and_migrate(&cli.database_url).await?;
            let listener = server::bind(cli.listen)
                .await
                .with_context(|| format!("binding {}", cli.listen))?;
            let running = runtime::start(Some(metadata_synergy::db::Autocommit::new(db)), options)
                .await
                .context("starting background tasks")?;
            let router = running.router().context("the server has no router")?;
            tracing::info!(
                "serving GraphQL on http://{}/graphql (subscriptions: /ws)",
                listener.local_addr()?
            );
            server::serve(listener, router, shutdown_signal()).await?;
            running.shutdown().await;
            tracing::info!("stopped");
        }
        Command::Worker => {
            connect_and_migrate(&cli.database_url).await?;
            let running = runtime::start(None, options(&cli, true)?)
                .await
                .context("starting the workers")?;
            tracing::info!("running the localization worker");
            shutdown_signal().await;
            running.shutdown().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

async fn connect_and_migrate(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(database_url)
        .await
        .context("connecting to the database")?;
    db::migrate(&db).await.context("applying migrations")?;
    Ok(db)
}

/// The background work of this process, from the command line.
fn options(cli: &Cli, with_workers: bool) -> anyhow::Result<runtime::Options> {
    let localization = if with_workers {
        let config = cli
            .localization
            .translator_config()
            .map_err(anyhow::Error::msg)?;
        let translator =
            localization::from_config(&config).context("configuring the translator")?;
        tracing::info!(
            translator = translator.provider(),
            "localization worker enabled"
        );
        Some(runtime::Localization {
            translator,
            config: cli.localization.localization_config(),
        })
    } else {
        None
    };
    Ok(runtime::Options {
        database_url: cli.database_url.clone(),
        worker: Default::default(),
        policy_audit: with_workers,
        nats: cli.nats_url.clone().filter(|_| with_workers).map(|url| {
            metadata_synergy::events::nats::NatsConfig {
                max_age: Duration::from_secs(cli.nats_max_age_hours.saturating_mul(3600)),
                ..metadata_synergy::events::nats::NatsConfig::new(url)
            }
        }),
        localization,
        http: cli.http_options().map_err(anyhow::Error::msg)?,
        vacuum: cli.maintenance.vacuum_config(),
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
