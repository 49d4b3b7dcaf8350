//! `spawn_app()`: a migrated database of its own and the app listening on 127.0.0.1:0.

use std::sync::{Arc, Mutex};

use metadata_synergy::runtime::Localization;
use metadata_synergy::server::HttpOptions;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use serde_json::{Value as Json, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// The SQL of every statement the API's pool ran since the last reset.
    statements: Arc<Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    running: Option<metadata_synergy::runtime::Running>,
    database: Option<DatabaseGuard>,
}

/// Removes a test's own database when dropped: the SQLite file (and its WAL files) at once;
/// a PostgreSQL database in [`DatabaseGuard::drop_now`] (it needs a connection), or by
/// `.ci/run`'s sweep of `ms_test_%` databases if a test died first.
pub struct DatabaseGuard {
    postgres: Option<(String, String)>,
    sqlite_file: Option<std::path::PathBuf>,
}

impl DatabaseGuard {
    pub async fn drop_now(mut self) {
        if let Some((admin_url, name)) = self.postgres.take()
            && let Ok(admin) = sea_orm::Database::connect(&admin_url).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = admin.execute_unprepared(&drop).await;
        }
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        if let Some(path) = self.sqlite_file.take() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// A GraphQL response split into data and errors.
#[derive(Debug)]
pub struct Reply {
    pub data: Json,
    pub errors: Vec<Json>,
}

impl Reply {
    /// The `extensions.code` of the first error.
    pub fn code(&self) -> &str {
        self.errors
            .first()
            .and_then(|e| e["extensions"]["code"].as_str())
            .unwrap_or("<none>")
    }

    /// The data, asserting that there were no errors.
    pub fn expect_data(self) -> Json {
        assert!(
            self.errors.is_empty(),
            "unexpected errors: {:#?}",
            self.errors
        );
        self.data
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(None).await
}

/// The app with a localization worker using `localization`'s translator.
pub async fn spawn_app_with(localization: Option<Localization>) -> TestApp {
    let (url, database) = fresh_database().await;
    spawn_app_on(
        url,
        Some(database),
        localization,
        HttpOptions::default(),
        None,
    )
    .await
}

/// The app with a localization worker using the pseudo translator (`en` → `es`).
pub async fn spawn_localized_app() -> TestApp {
    use metadata_synergy::localization::{LocalizationConfig, TranslatorConfig, from_config};
    let translator = from_config(&TranslatorConfig::Pseudo).expect("pseudo translator");
    spawn_app_with(Some(Localization {
        translator,
        config: LocalizationConfig {
            source_locale: "en".into(),
            default_target_locales: vec!["es".into()],
        },
    }))
    .await
}

/// The app with these HTTP options.
pub async fn spawn_app_with_http(http: HttpOptions) -> TestApp {
    let (url, database) = fresh_database().await;
    spawn_app_on(url, Some(database), None, http, None).await
}

/// The app behind a gateway that authenticated the user and names it in `x-actor`.
pub async fn spawn_app_trusting_actor_header() -> TestApp {
    let trusting = metadata_synergy::auth::Authenticator::new(metadata_synergy::auth::AuthConfig {
        trust_actor_header: true,
        ..Default::default()
    })
    .expect("an authenticator");
    spawn_app_with_http(HttpOptions {
        auth: std::sync::Arc::new(trusting),
        ..Default::default()
    })
    .await
}

/// A second server process on the database of `first` (it does not drop it).
pub async fn spawn_second_app(first: &TestApp) -> TestApp {
    spawn_app_on(
        first.database_url.clone(),
        None,
        None,
        HttpOptions::default(),
        None,
    )
    .await
}

/// The app with a `nats` consumer publishing to `nats`.
pub async fn spawn_app_with_nats(nats: metadata_synergy::events::nats::NatsConfig) -> TestApp {
    let (url, database) = fresh_database().await;
    spawn_app_on(
        url,
        Some(database),
        None,
        HttpOptions::default(),
        Some(nats),
    )
    .await
}

async fn spawn_app_on(
    url: String,
    database: Option<DatabaseGuard>,
    localization: Option<Localization>,
    http: HttpOptions,
    nats: Option<metadata_synergy::events::nats::NatsConfig>,
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("metadata_synergy=debug")
            .try_init();
    }
    let mut db = metadata_synergy::db::connect(&url).await.expect("connect");
    let statements = Arc::new(Mutex::new(Vec::new()));
    let log = statements.clone();
    db.set_metric_callback(move |info| {
        log.lock().unwrap().push(info.statement.sql.clone());
    });
    metadata_synergy::db::migrate(&db).await.expect("migrate");
    let listener = metadata_synergy::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let options = metadata_synergy::runtime::Options {
        database_url: url.clone(),
        worker: metadata_synergy::events::worker::WorkerConfig {
            poll: std::time::Duration::from_millis(100),
            ..Default::default()
        },
        localization,
        policy_audit: true,
        nats,
        http,
        vacuum: None,
    };
    let log = statements.clone();
    let observer: metadata_synergy::db::StatementObserver = Arc::new(move |statement| {
        log.lock().unwrap().push(statement.sql.clone());
    });
    let api = metadata_synergy::db::Autocommit::observed(db.clone(), Some(observer));
    let running = metadata_synergy::runtime::start(Some(api), options)
        .await
        .expect("start");
    tokio::spawn(metadata_synergy::server::serve(
        listener,
        running.router().expect("a router"),
        async {
            let _ = stopped.await;
        },
    ));
    TestApp {
        address,
        database_url: url,
        db,
        client: reqwest::Client::new(),
        statements,
        shutdown: Some(shutdown),
        running: Some(running),
        database,
    }
}

/// SQLite: a file in the temp dir. PostgreSQL: `CREATE DATABASE` next to TEST_DATABASE_URL.
pub async fn fresh_database() -> (String, DatabaseGuard) {
    let name = format!("ms_test_{}", Uuid::new_v4().simple());
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("connect TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create db");
            // Raw writes to both sides of one pair can deadlock (see README); PostgreSQL
            // resolves that after deadlock_timeout (1 s by default). Shorter here so the
            // concurrency test spends its time writing rather than waiting.
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE {name} SET deadlock_timeout = '20ms'"
                ))
                .await
                .expect("set deadlock_timeout");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            let guard = DatabaseGuard {
                postgres: Some((admin_url.clone(), name.clone())),
                sqlite_file: None,
            };
            (format!("{base}/{name}"), guard)
        }
        _ => {
            let path = std::env::temp_dir().join(format!("{name}.sqlite"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let guard = DatabaseGuard {
                postgres: None,
                sqlite_file: Some(path),
            };
            (url, guard)
        }
    }
}

impl TestApp {
    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DatabaseBackend::Postgres
    }

    /// Runs a GraphQL operation over HTTP.
    pub async fn graphql(&self, query: &str, variables: Json) -> Reply {
        self.graphql_as(None, query, variables).await
    }

    /// Runs a GraphQL operation with an `x-actor` header.
    pub async fn graphql_as(&self, actor: Option<&str>, query: &str, variables: Json) -> Reply {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(actor) = actor {
            request = request.header("x-actor", actor);
        }
        let response = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        let body: Json = response.json().await.expect("json body");
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        Reply {
            data: body["data"].clone(),
            errors,
        }
    }

    pub fn reset_statement_count(&self) {
        self.statements.lock().unwrap().clear();
    }

    pub fn statement_count(&self) -> usize {
        self.statements.lock().unwrap().len()
    }

    /// The SQL of the statements run since the last reset.
    pub fn statements(&self) -> Vec<String> {
        self.statements.lock().unwrap().clone()
    }

    /// Raw SQL with `$1`-style placeholders on either backend (another service's write path).
    pub async fn sql(&self, sql: &str, values: Vec<Value>) -> Result<u64, sea_orm::DbErr> {
        let statement = self.statement(sql, values);
        self.db
            .execute_raw(statement)
            .await
            .map(|r| r.rows_affected())
    }

    pub async fn sql_rows(&self, sql: &str, values: Vec<Value>) -> Vec<sea_orm::QueryResult> {
        self.db
            .query_all_raw(self.statement(sql, values))
            .await
            .expect("query")
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let sql = match self.backend() {
            DatabaseBackend::Sqlite => numbered_placeholders(sql),
            _ => sql.to_owned(),
        };
        Statement::from_sql_and_values(self.backend(), sql, values)
    }

    /// Both documents and the version of a pair, read straight from the tables.
    pub async fn pair(&self, table: &str, entity_id: Uuid) -> (Json, Json, i64) {
        let sql = format!(
            "SELECT e.metadata AS entity_metadata, m.metadata AS master_metadata, m.version AS version \
             FROM {table} e JOIN _metadata_master m ON m.id = e.metadata_master_id WHERE e.id = $1"
        );
        let rows = self.sql_rows(&sql, vec![entity_id.into()]).await;
        let row = rows.first().expect("pair exists");
        (
            row.try_get("", "entity_metadata").unwrap(),
            row.try_get("", "master_metadata").unwrap(),
            row.try_get("", "version").unwrap(),
        )
    }

    /// Stops the server and drops the per-test PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        self.db.clone().close().await.ok();
        if let Some(database) = self.database.take() {
            database.drop_now().await;
        }
    }
}

/// Creates a campaign through the API; returns (campaign id, master id).
pub async fn create_campaign(app: &TestApp, metadata: Json) -> (Uuid, Uuid) {
    let data = app
        .graphql(
            include_str!("../operations/create_campaign.graphql"),
            json!({ "input": { "name": "Spring sale", "metadata": metadata } }),
        )
        .await
        .expect_data();
    let campaign = &data["createCampaign"];
    (
        uuid(&campaign["id"]),
        uuid(&campaign["metadataMaster"]["id"]),
    )
}

pub fn uuid(value: &Json) -> Uuid {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a uuid: {value}"))
}

/// Raw SQL that adds `key: value` to an entity's or master's metadata, per backend.
pub fn merge_key_sql(app: &TestApp, table: &str) -> String {
    if app.is_postgres() {
        format!(
            "UPDATE {table} SET metadata = metadata || jsonb_build_object($2::text, $3::bigint) WHERE id = $1"
        )
    } else {
        format!("UPDATE {table} SET metadata = json_set(metadata, '$.' || $2, $3) WHERE id = $1")
    }
}

/// `$1` → `?1` (SQLite's numbered parameters), leaving `'$.path'` strings alone.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}
