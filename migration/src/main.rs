//! `cargo run -p migration -- <command>`: the usual migrate CLI (`up`, `down`, `status`,
//! `fresh`, `refresh`, `reset`) against `DATABASE_URL`.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[derive(Parser)]
#[command(about = "Apply or revert metadata-synergy migrations")]
struct Cli {
    /// Database URL, e.g. `postgres://postgres@127.0.0.1/test` or `sqlite://metadata-synergy.sqlite?mode=rwc`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://metadata-synergy.sqlite?mode=rwc"
    )]
    database_url: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations (the default), or only the next N.
    Up {
        #[arg(short)]
        n: Option<u32>,
    },
    /// Revert the last migration, or the last N.
    Down {
        #[arg(short, default_value_t = 1)]
        n: u32,
    },
    /// Show which migrations are applied.
    Status,
    /// Drop every table, then apply all migrations.
    Fresh,
    /// Revert all migrations, then apply them again.
    Refresh,
    /// Revert all migrations.
    Reset,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let db = Database::connect(&cli.database_url).await?;
    match cli.command.unwrap_or(Command::Up { n: None }) {
        Command::Up { n } => Migrator::up(&db, n).await?,
        Command::Down { n } => Migrator::down(&db, Some(n)).await?,
        Command::Status => Migrator::status(&db).await?,
        Command::Fresh => Migrator::fresh(&db).await?,
        Command::Refresh => Migrator::refresh(&db).await?,
        Command::Reset => Migrator::reset(&db).await?,
    }
    Ok(())
}
