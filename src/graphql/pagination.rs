//! Cursor connections with keyset pagination (by id, or by a sort key and the id).

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::ErrorCode;
use crate::search::{Keyed, MetadataFilter, Order, PageQuery, Position};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// An opaque cursor into a page ordered by [`Order`]: the URL-safe base64 of the row id
/// (creation order, ascending) or of the order's tag, the row's sort key and its id.
pub struct PageCursor {
    tag: u8,
    position: Position,
}

impl CursorType for PageCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let invalid = || format!("invalid cursor {s:?}");
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        let (tag, key, id) = match bytes.len() {
            16 => (0, 0, &bytes[..]),
            25 => {
                let key: [u8; 8] = bytes[1..9].try_into().map_err(|_| invalid())?;
                (bytes[0], i64::from_be_bytes(key), &bytes[9..])
            }
            _ => return Err(invalid()),
        };
        let id = Uuid::from_slice(id).map_err(|_| invalid())?;
        Ok(PageCursor {
            tag,
            position: Position { key, id },
        })
    }

    fn encode_cursor(&self) -> String {
        if self.tag == 0 {
            return URL_SAFE_NO_PAD.encode(self.position.id.as_bytes());
        }
        let mut bytes = Vec::with_capacity(25);
        bytes.push(self.tag);
        bytes.extend_from_slice(&self.position.key.to_be_bytes());
        bytes.extend_from_slice(self.position.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// An opaque cursor into an ordered sequence (a history's versions, recorded violations):
/// the URL-safe base64 of the number.
pub struct SequenceCursor(pub i64);

impl CursorType for SequenceCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| format!("invalid cursor {s:?}"))?;
        let bytes: [u8; 8] = bytes
            .try_into()
            .map_err(|_| format!("invalid cursor {s:?}"))?;
        Ok(SequenceCursor(i64::from_be_bytes(bytes)))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.to_be_bytes())
    }
}

/// Decodes an optional `after` cursor; a malformed one is BAD_USER_INPUT.
pub fn decode<C: CursorType<Error = String>>(after: Option<String>) -> Result<Option<C>> {
    after
        .map(|cursor| C::decode_cursor(&cursor))
        .transpose()
        .map_err(|message| ErrorCode::BadUserInput.error(message))
}

/// Checks `first` against the page size limits.
pub fn page_size(first: Option<i32>) -> Result<u64> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if (1..=MAX_PAGE_SIZE).contains(&first) {
        Ok(first as u64)
    } else {
        Err(ErrorCode::BadUserInput.error(format!(
            "`first` must be between 1 and {MAX_PAGE_SIZE}, got {first}"
        )))
    }
}

/// A validated page request: how many rows to show, in which order, after which row.
pub struct PageRequest {
    pub first: u64,
    pub order: Order,
    pub after: Option<Position>,
}

impl PageRequest {
    /// Checks `first` and that `after` is a cursor of this same order.
    pub fn new(first: Option<i32>, after: Option<String>, order: Order) -> Result<Self> {
        let first = page_size(first)?;
        let after = match decode::<PageCursor>(after)? {
            Some(cursor) if cursor.tag != order.tag() => {
                return Err(ErrorCode::BadUserInput
                    .error("the `after` cursor comes from a page in another order"));
            }
            cursor => cursor.map(|cursor| cursor.position),
        };
        Ok(PageRequest {
            first,
            order,
            after,
        })
    }

    /// The search for this page: one row more than shown, to learn whether more follow.
    pub fn query<'a>(
        &self,
        filter: Option<&'a MetadataFilter>,
        timeout: crate::search::SearchTimeout,
    ) -> PageQuery<'a> {
        PageQuery {
            filter,
            order: self.order,
            after: self.after,
            limit: self.first + 1,
            timeout,
        }
    }

    /// Builds the connection from the fetched rows.
    pub fn connection<Row, Node: OutputType>(
        &self,
        mut rows: Vec<Keyed<Row>>,
        id_of: impl Fn(&Row) -> Uuid,
        node: impl Fn(Row) -> Node,
    ) -> Connection<PageCursor, Node> {
        let has_next = rows.len() as u64 > self.first;
        rows.truncate(self.first as usize);
        let tag = self.order.tag();
        let mut connection = Connection::new(self.after.is_some(), has_next);
        connection.edges = rows
            .into_iter()
            .map(|row| {
                let position = Position {
                    key: row.key,
                    id: id_of(&row.model),
                };
                Edge::new(PageCursor { tag, position }, node(row.model))
            })
            .collect();
        connection
    }
}
