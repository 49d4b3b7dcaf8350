//! The part of Apollo's `reports.proto` (`package mdg.engine.proto`) that an inline trace
//! uses, with its field numbers.

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `Trace`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Trace {
    #[prost(message, optional, tag = "3")]
    pub end_time: Option<Timestamp>,
    #[prost(message, optional, tag = "4")]
    pub start_time: Option<Timestamp>,
    #[prost(uint64, tag = "11")]
    pub duration_ns: u64,
    #[prost(message, optional, tag = "14")]
    pub root: Option<Node>,
}

/// `Trace.Node`: a field (`response_name`) or a list element (`index`), with its timing
/// in nanoseconds since the trace started.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Node {
    #[prost(oneof = "NodeId", tags = "1, 2")]
    pub id: Option<NodeId>,
    #[prost(string, tag = "3")]
    pub r#type: String,
    #[prost(uint64, tag = "8")]
    pub start_time: u64,
    #[prost(uint64, tag = "9")]
    pub end_time: u64,
    #[prost(message, repeated, tag = "11")]
    pub error: Vec<Error>,
    #[prost(message, repeated, tag = "12")]
    pub child: Vec<Node>,
    #[prost(string, tag = "13")]
    pub parent_type: String,
    #[prost(string, tag = "14")]
    pub original_field_name: String,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum NodeId {
    #[prost(string, tag = "1")]
    ResponseName(String),
    #[prost(uint32, tag = "2")]
    Index(u32),
}

/// `Trace.Error`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Error {
    #[prost(string, tag = "1")]
    pub message: String,
    #[prost(message, repeated, tag = "2")]
    pub location: Vec<Location>,
    #[prost(uint64, tag = "3")]
    pub time_ns: u64,
    #[prost(string, tag = "4")]
    pub json: String,
}

/// `Trace.Location`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    #[prost(uint32, tag = "1")]
    pub line: u32,
    #[prost(uint32, tag = "2")]
    pub column: u32,
}
