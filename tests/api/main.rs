//! Integration tests: the real app on port 0, spoken to over HTTP. They run on SQLite by
//! default and on PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test).

mod attach;
mod attach_columns;
mod attach_refusals;
mod auth;
mod autocommit;
mod concurrency;
mod crud;
mod delivery;
mod document_text;
mod drift;
mod errors;
mod federation;
mod helpers;
mod history;
mod hostile;
mod http;
mod jwks_url;
mod localization;
mod maintenance;
mod migrations;
mod nats;
mod patch_where;
mod policy;
mod probes;
mod raw_sql;
mod registry;
mod sdl_docs;
mod search;
mod search_pages;
mod search_timeout;
mod state_consumers;
mod statements;
mod subscriptions;
mod write_in_place;
mod ws;
