//! Command line and environment configuration.

mod auth;
mod limits;
mod maintenance;
mod reconcile;

pub use auth::AuthArgs;
pub use limits::LimitArgs;
pub use maintenance::MaintenanceArgs;
pub use reconcile::PreferSide;

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::localization::{LocalizationConfig, TranslatorConfig};
use crate::server::{DEFAULT_MAX_BODY_BYTES, HttpOptions};

/// The embedded default: a SQLite file in the working directory, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://metadata-synergy.sqlite?mode=rwc";

#[derive(Debug, Parser)]
#[command(
    name = "metadata-synergy",
    version,
    about = "GraphQL Federation v2 subgraph keeping entity metadata and _metadata_master in two-way sync"
)]
pub struct Cli {
    /// Publish every entity event to NATS JetStream here (`nats://host:4222`): subject
    /// `metadata.events.<entity_type>.<kind>` of the stream `METADATA_EVENTS`.
    #[arg(long, env = "NATS_URL", global = true)]
    pub nats_url: Option<String>,
    /// Hours a message stays in the JetStream stream this service creates (`max_age`); an
    /// existing stream keeps its own settings; 0 keeps messages until deleted.
    /// At most 876,000 (100 years): the NATS client turns larger durations into garbage.
    #[arg(long, env = "NATS_MAX_AGE_HOURS", default_value_t = 168, global = true,
          value_parser = clap::value_parser!(u64).range(0..=876_000))]
    pub nats_max_age_hours: u64,
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
    #[command(flatten)]
    pub localization: LocalizationArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Origins allowed to call the API from browsers (CORS), comma-separated; `*` for any.
    /// None by default: browsers then allow same-origin calls only.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,
    /// Request bodies larger than this many bytes are answered with 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES, global = true)]
    pub max_body_bytes: usize,
    /// Answer `content-type: application/json` instead of `application/graphql-response+json`.
    #[arg(long, env = "JSON_CONTENT_TYPE", global = true)]
    pub json_content_type: bool,
    #[command(flatten)]
    pub maintenance: MaintenanceArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which machine translator the localization worker uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TranslatorKind {
    /// Deterministic pseudo-localization (accents, expansion, brackets): no setup needed.
    Pseudo,
    /// The offline apertium engine (Debian packages `apertium`, `apertium-eng-spa`, …).
    Apertium,
    /// DeepL's JSON API (`--translator-url`, `--translator-api-key`).
    Deepl,
    /// A LibreTranslate server (`--translator-url`, optional `--translator-api-key`).
    Libretranslate,
}

/// Settings of the localization worker.
#[derive(Clone, Debug, Args)]
pub struct LocalizationArgs {
    /// The translator; `pseudo` unless another is configured.
    #[arg(
        long,
        env = "TRANSLATOR",
        value_enum,
        default_value = "pseudo",
        global = true
    )]
    pub translator: TranslatorKind,
    /// Base URL of the DeepL or LibreTranslate API (`https://…` or `http://…`).
    #[arg(long, env = "TRANSLATOR_URL", global = true)]
    pub translator_url: Option<String>,
    /// API key of the DeepL or LibreTranslate API.
    #[arg(
        long,
        env = "TRANSLATOR_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub translator_api_key: Option<String>,
    /// PEM file of extra root certificates the translator's HTTPS server may chain to (a
    /// private CA), trusted besides the system's.
    #[arg(long, env = "TRANSLATOR_CA_FILE", global = true)]
    pub translator_ca_file: Option<std::path::PathBuf>,
    /// Timeout of one translator request (or apertium run), in seconds.
    #[arg(
        long,
        env = "TRANSLATOR_TIMEOUT_SECS",
        default_value_t = 20,
        global = true
    )]
    pub translator_timeout_secs: u64,
    /// The apertium executable.
    #[arg(
        long,
        env = "APERTIUM_BINARY",
        default_value = "apertium",
        global = true
    )]
    pub apertium_binary: PathBuf,
    /// Locale of the scripts when a document does not say (`source_locale`).
    #[arg(long, env = "SOURCE_LOCALE", default_value = "en", global = true)]
    pub source_locale: String,
    /// Target locales when a document does not say (`target_locales`), comma-separated.
    #[arg(
        long,
        env = "TARGET_LOCALES",
        default_value = "es",
        value_delimiter = ',',
        global = true
    )]
    pub target_locales: Vec<String>,
}

impl Cli {
    /// The HTTP options these arguments describe.
    pub fn http_options(&self) -> Result<HttpOptions, String> {
        Ok(HttpOptions {
            cors_allowed_origins: self.cors_allowed_origins.clone(),
            max_body_bytes: self.max_body_bytes,
            force_json_content_type: self.json_content_type,
            limits: self.limits.api_limits()?,
            ws: self.limits.ws_limits(),
            auth: std::sync::Arc::new(
                crate::auth::Authenticator::new(self.auth.auth_config())
                    .map_err(|error| error.to_string())?,
            ),
        })
    }
}

impl LocalizationArgs {
    /// The translator configuration these arguments describe.
    pub fn translator_config(&self) -> Result<TranslatorConfig, String> {
        let timeout = Duration::from_secs(self.translator_timeout_secs.max(1));
        let url = || {
            self.translator_url
                .clone()
                .ok_or("this translator needs --translator-url / TRANSLATOR_URL")
        };
        Ok(match self.translator {
            TranslatorKind::Pseudo => TranslatorConfig::Pseudo,
            TranslatorKind::Apertium => TranslatorConfig::Apertium {
                binary: self.apertium_binary.clone(),
                timeout,
            },
            TranslatorKind::Deepl => TranslatorConfig::DeepL {
                url: url()?,
                api_key: self
                    .translator_api_key
                    .clone()
                    .ok_or("DeepL needs --translator-api-key / TRANSLATOR_API_KEY")?,
                timeout,
                retries: 3,
                ca_file: self.translator_ca_file.clone(),
            },
            TranslatorKind::Libretranslate => TranslatorConfig::LibreTranslate {
                url: url()?,
                api_key: self.translator_api_key.clone(),
                timeout,
                retries: 3,
                ca_file: self.translator_ca_file.clone(),
            },
        })
    }

    pub fn localization_config(&self) -> LocalizationConfig {
        LocalizationConfig {
            source_locale: self.source_locale.clone(),
            default_target_locales: self.target_locales.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve GraphQL (the default) and run the workers.
    Serve {
        /// Do not run the localization worker in this process (run `worker` elsewhere).
        #[arg(long, env = "NO_WORKER")]
        no_worker: bool,
    },
    /// Apply pending migrations, then run only the event consumers (no HTTP).
    Worker,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the federation SDL (what `_service { sdl }` returns), or write it to a file.
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Find drift between the entity tables and `_metadata_master` (what triggers did not
    /// see: restores, replication, disabled triggers) and optionally repair it. Exits 1
    /// when drift is left.
    Reconcile {
        /// Repair what is found, each drift in its own transaction (events: origin `reconcile`).
        #[arg(long)]
        repair: bool,
        /// Which document wins when an entity's and its master's differ.
        #[arg(long, value_enum, default_value_t = PreferSide::Newer)]
        prefer: PreferSide,
        /// Only this entity type (its stored name, e.g. `campaign`).
        #[arg(long)]
        entity_type: Option<String>,
    },
    /// Adopt a table that already exists (PostgreSQL): add `metadata_master_id` (and the
    /// metadata column when missing), install the sync triggers, register the type and give
    /// every row a master, in batches while the table stays writable. Run it again to
    /// resume an interrupted attach.
    Attach {
        /// The name to register the type under (lower-case snake_case, e.g. `order`).
        #[arg(long)]
        entity_type: String,
        /// The table, in the current schema.
        #[arg(long)]
        table: String,
        /// Its json/jsonb metadata column (added as jsonb when missing).
        #[arg(long, default_value = "metadata")]
        metadata_column: String,
        /// Its single-column uuid primary key.
        #[arg(long, default_value = "id")]
        id_column: String,
        /// Rows adopted per transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: u64,
        /// Convert a `json` metadata column to `jsonb` (rewrites the table, blocking its
        /// writers meanwhile); without it a `json` column is refused.
        #[arg(long)]
        convert_json: bool,
    },
    /// Undo `attach`: the triggers, the masters (each a DELETED event) and
    /// `metadata_master_id` go; the documents stay in the table's metadata column.
    Detach {
        /// The attached type's name.
        #[arg(long)]
        entity_type: String,
        /// Rows released per transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: u64,
    },
    /// Print an HS256 bearer token signed with --jwt-hs256-secret, for local development.
    DevToken {
        /// Space-separated scopes, e.g. "metadata:read metadata:write".
        #[arg(long, default_value = "metadata:read")]
        scopes: String,
        /// The token's subject (the audit actor of its writes).
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Seconds until it expires.
        #[arg(long, default_value_t = 3600)]
        ttl_secs: u64,
    },
}
