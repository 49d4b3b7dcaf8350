//! Orders of a page and their keyset positions. Every order ends with the id, so that
//! rows with equal keys keep one stable order and a page boundary never skips or repeats
//! a row. Keys are whole numbers on both databases: microseconds since the epoch on
//! PostgreSQL, SQLite's millisecond time scaled to microseconds, or the version.

use sea_orm::DatabaseBackend;
use uuid::Uuid;

/// What a page is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    /// Creation order (ids are UUIDv7).
    #[default]
    Id,
    CreatedAt,
    UpdatedAt,
    /// The master's version (how many effective changes the document has had).
    Version,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    pub field: OrderField,
    pub direction: Direction,
}

/// Where a page ends: the last row's key (0 for [`OrderField::Id`]) and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub key: i64,
    pub id: Uuid,
}

impl Order {
    /// A small number that identifies the order inside a cursor, so that a cursor of one
    /// order is refused by another.
    pub fn tag(self) -> u8 {
        let field = match self.field {
            OrderField::Id => 0,
            OrderField::CreatedAt => 1,
            OrderField::UpdatedAt => 2,
            OrderField::Version => 3,
        };
        field * 2 + u8::from(self.direction == Direction::Desc)
    }

    pub(super) fn sql_order(self) -> sea_orm::Order {
        match self.direction {
            Direction::Asc => sea_orm::Order::Asc,
            Direction::Desc => sea_orm::Order::Desc,
        }
    }

    pub(super) fn after(self) -> &'static str {
        match self.direction {
            Direction::Asc => ">",
            Direction::Desc => "<",
        }
    }

    /// The key's SQL expression for rows of `table` (a registry table name or the master
    /// table); `None` when the id alone orders.
    pub(super) fn key_sql(self, backend: DatabaseBackend, table: &str) -> Option<String> {
        let time = |column: &str| match backend {
            DatabaseBackend::Postgres => {
                format!("(extract(epoch FROM \"{table}\".\"{column}\") * 1000000)::bigint")
            }
            _ => format!(
                "CAST(round((julianday(\"{table}\".\"{column}\") - 2440587.5) * 86400000000.0) AS INTEGER)"
            ),
        };
        match self.field {
            OrderField::Id => None,
            OrderField::CreatedAt => Some(time("created_at")),
            OrderField::UpdatedAt => Some(time("updated_at")),
            OrderField::Version if table == MASTER_TABLE => {
                Some(format!("\"{table}\".\"version\""))
            }
            OrderField::Version => Some(format!(
                "COALESCE((SELECT m.version FROM \"{MASTER_TABLE}\" m WHERE m.id = \"{table}\".\"metadata_master_id\"), 0)"
            )),
        }
    }
}

pub(super) const MASTER_TABLE: &str = "_metadata_master";
