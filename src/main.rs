use anyhow::Context;
use clap::Parser;
use metadata_synergy::config::{Cli, Command};
use metadata_synergy::{db, graphql, runtime, server};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema { output } => {
            let sdl = graphql::federation_sdl(&graphql::build_schema(
                Default::default(),
                Default::default(),
            ));
            match output {
                Some(path) => std::fs::write(&path, sdl)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{sdl}"),
            }
        }
        Command::Migrate => {
            let db = db::connect(&cli.database_url)
                .await
                .context("connecting to the database")?;
            db::migrate(&db).await.context("applying migrations")?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let listen = cli.listen;
            let db = db::connect(&cli.database_url)
                .await
                .context("connecting to the database")?;
            db::migrate(&db).await.context("applying migrations")?;
            let listener = server::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(
                "serving GraphQL on http://{}/graphql",
                listener.local_addr()?
            );
            let options = runtime::Options {
                database_url: cli.database_url.clone(),
                worker: Default::default(),
            };
            let running = runtime::start(db, options)
                .await
                .context("starting background tasks")?;
            server::serve(listener, running.router(), shutdown_signal()).await?;
            running.shutdown().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
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
