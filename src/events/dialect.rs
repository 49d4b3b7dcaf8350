//! The one place where the delivery bookkeeping's SQL differs between PostgreSQL and
//! SQLite. Statements are written once, in PostgreSQL's form with two tokens for the clock:
//! `{now}`, and `{now_plus $n}` / `{now_minus $n}` for now ± `$n` seconds; [`render`]
//! turns them into SQLite's `strftime` and `?n` placeholders.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

/// SQLite's clock in the RFC 3339 form that chrono reads back (and the tables' defaults use).
pub const SQLITE_TIMESTAMP: &str = "'%Y-%m-%dT%H:%M:%f+00:00'";

/// `template` in the dialect of `backend`.
pub fn render(backend: DatabaseBackend, template: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => template
            .replace("{now}", "now()")
            .replace("{now_plus ", "(now() + make_interval(secs => ")
            .replace("{now_minus ", "(now() - make_interval(secs => ")
            .replace('}', "))"),
        _ => {
            let sqlite = template
                .replace("{now}", &format!("strftime({SQLITE_TIMESTAMP}, 'now')"))
                .replace(
                    "{now_plus ",
                    &format!("strftime({SQLITE_TIMESTAMP}, 'now', '+' || "),
                )
                .replace(
                    "{now_minus ",
                    &format!("strftime({SQLITE_TIMESTAMP}, 'now', '-' || "),
                )
                .replace('}', " || ' seconds')");
            numbered_placeholders(&sqlite)
        }
    }
}

/// Runs a rendered statement; the number of rows it changed.
pub async fn execute(
    db: &impl ConnectionTrait,
    template: &str,
    values: Vec<Value>,
) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(statement(db, template, values))
        .await?
        .rows_affected())
}

/// A rendered statement with its values.
pub fn statement(db: &impl ConnectionTrait, template: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    Statement::from_sql_and_values(backend, render(backend, template), values)
}

/// A statement written with `$n` placeholders (and no clock tokens), as `?n` on SQLite.
pub fn plain_statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => sql.to_owned(),
        _ => numbered_placeholders(sql),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `$1, $2, …` for `ids`, numbered from `first`, and their values.
pub fn id_list(ids: &[i64], first: usize) -> (String, Vec<Value>) {
    let list: Vec<String> = (first..first + ids.len())
        .map(|n| format!("${n}"))
        .collect();
    (
        list.join(", "),
        ids.iter().map(|id| Value::from(*id)).collect(),
    )
}

/// A PostgreSQL `uuid[]` literal of `ids`, bound as text (`$n::text::uuid[]`): one value
/// however many ids.
pub fn uuid_array(ids: &[uuid::Uuid]) -> Value {
    let list: Vec<String> = ids.iter().map(uuid::Uuid::to_string).collect();
    Value::from(format!("{{{}}}", list.join(",")))
}

/// `$n` → `?n`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_clock_and_placeholders_per_backend() {
        let template =
            "UPDATE t SET a = {now}, b = {now_plus $2} WHERE c < {now_minus $1} AND d = $3";
        assert_eq!(
            render(DatabaseBackend::Postgres, template),
            "UPDATE t SET a = now(), b = (now() + make_interval(secs => $2)) WHERE c < (now() - make_interval(secs => $1)) AND d = $3"
        );
        assert_eq!(
            render(DatabaseBackend::Sqlite, template),
            "UPDATE t SET a = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), \
             b = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+' || ?2 || ' seconds') \
             WHERE c < strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || ?1 || ' seconds') AND d = ?3"
        );
    }
}
