//! Cursor connections with keyset pagination by id.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::ErrorCode;

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// An opaque cursor: the URL-safe base64 of the row id.
pub struct IdCursor(pub Uuid);

impl CursorType for IdCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| format!("invalid cursor {s:?}"))?;
        Uuid::from_slice(&bytes)
            .map(IdCursor)
            .map_err(|_| format!("invalid cursor {s:?}"))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
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

/// A validated page request: how many rows to show and after which id.
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<String>) -> Result<Self> {
        let first = page_size(first)?;
        let after = decode::<IdCursor>(after)?.map(|cursor| cursor.0);
        Ok(PageRequest { first, after })
    }

    /// How many rows to fetch: one more than shown, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }

    /// Builds the connection from the fetched rows.
    pub fn connection<Row, Node: OutputType>(
        &self,
        mut rows: Vec<Row>,
        id_of: impl Fn(&Row) -> Uuid,
        node: impl Fn(Row) -> Node,
    ) -> Connection<IdCursor, Node> {
        let has_next = rows.len() as u64 > self.first;
        rows.truncate(self.first as usize);
        let mut connection = Connection::new(self.after.is_some(), has_next);
        connection.edges = rows
            .into_iter()
            .map(|row| Edge::new(IdCursor(id_of(&row)), node(row)))
            .collect();
        connection
    }
}
