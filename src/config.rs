//! Command line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The embedded default: a SQLite file in the working directory, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://metadata-synergy.sqlite?mode=rwc";

#[derive(Debug, Parser)]
#[command(
    name = "metadata-synergy",
    version,
    about = "GraphQL Federation v2 subgraph keeping entity metadata and _metadata_master in two-way sync"
)]
pub struct Cli {
    /// `postgres://…` for PostgreSQL; by default an embedded SQLite file.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Address `serve` listens on (port 0 picks a free port).
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "127.0.0.1:4001",
        global = true
    )]
    pub listen: SocketAddr,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve GraphQL (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the federation SDL (what `_service { sdl }` returns), or write it to a file.
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}
