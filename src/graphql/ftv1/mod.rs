//! Apollo federated tracing (ftv1): when the gateway or router asks with the header
//! `apollo-federation-include-trace: ftv1`, the response carries `extensions.ftv1`, the
//! base64 of a `Trace` protobuf with every resolved field's timing and errors. Nothing is
//! recorded or sent without the header.

mod proto;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{QueryPathSegment, Response, ServerError, ServerResult, Value};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prost::Message;

pub use proto::{Node, Trace};

/// The request header that asks for an inline trace, and its one value.
pub const INCLUDE_TRACE_HEADER: &str = "apollo-federation-include-trace";
pub const INCLUDE_TRACE_VALUE: &str = "ftv1";

/// Request data that asks for an inline trace (set by the HTTP handler from the header).
#[derive(Clone, Copy, Debug)]
pub struct IncludeTrace;

/// Creates one recorder per request.
pub struct InlineTracing;

impl ExtensionFactory for InlineTracing {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Recorder::default())
    }
}

#[derive(Default)]
struct Recorder {
    started: Mutex<Option<Started>>,
    fields: Mutex<Vec<Field>>,
}

#[derive(Clone, Copy)]
struct Started {
    at: Instant,
    wall: SystemTime,
}

/// One resolved field: where it is in the response and what happened.
struct Field {
    path: Vec<Segment>,
    parent_type: String,
    return_type: String,
    original_name: Option<String>,
    start_ns: u64,
    end_ns: u64,
    error: Option<proto::Error>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Segment {
    Name(String),
    Index(u32),
}

impl Recorder {
    fn started(&self) -> Option<Started> {
        *self.started.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl Extension for Recorder {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        // Only requests that asked for a trace run on the schema with this extension
        // (`AppSchema::for_request`).
        let started = Started {
            at: Instant::now(),
            wall: SystemTime::now(),
        };
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Some(started);
        let mut response = next.run(ctx, operation_name).await;
        let fields = std::mem::take(&mut *self.fields.lock().unwrap_or_else(|p| p.into_inner()));
        let trace = build_trace(started, fields);
        let encoded = STANDARD.encode(trace.encode_to_vec());
        response
            .extensions
            .insert("ftv1".to_owned(), Value::String(encoded));
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let Some(started) = self.started() else {
            return next.run(ctx, info).await;
        };
        let path = path_of(&info);
        let parent_type = info.parent_type.to_owned();
        let return_type = info.return_type.to_owned();
        let original_name = info.alias.map(|_| info.name.to_owned());
        let start_ns = elapsed_ns(started);
        let result = next.run(ctx, info).await;
        let end_ns = elapsed_ns(started);
        let error = result
            .as_ref()
            .err()
            .map(|error| trace_error(error, end_ns));
        self.fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Field {
                path,
                parent_type,
                return_type,
                original_name,
                start_ns,
                end_ns,
                error,
            });
        result
    }
}

fn elapsed_ns(started: Started) -> u64 {
    u64::try_from(started.at.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The response path of the field being resolved (its alias, if any, is its name there).
fn path_of(info: &ResolveInfo<'_>) -> Vec<Segment> {
    let mut path = Vec::new();
    let mut node = Some(info.path_node);
    while let Some(current) = node {
        path.push(match current.segment {
            QueryPathSegment::Name(name) => Segment::Name(name.to_owned()),
            QueryPathSegment::Index(index) => {
                Segment::Index(u32::try_from(index).unwrap_or(u32::MAX))
            }
        });
        node = current.parent;
    }
    path.reverse();
    path
}

fn trace_error(error: &ServerError, time_ns: u64) -> proto::Error {
    proto::Error {
        message: error.message.clone(),
        location: error
            .locations
            .iter()
            .map(|position| proto::Location {
                line: u32::try_from(position.line).unwrap_or(0),
                column: u32::try_from(position.column).unwrap_or(0),
            })
            .collect(),
        time_ns,
        json: serde_json::to_string(error).unwrap_or_default(),
    }
}

fn timestamp(at: SystemTime) -> proto::Timestamp {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    proto::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

/// The tree of nodes: each field under its parent's node, list elements as index nodes.
fn build_trace(started: Started, mut fields: Vec<Field>) -> Trace {
    let duration_ns = elapsed_ns(started);
    // Parents before children, so that every field finds its ancestors' nodes.
    fields.sort_by(|a, b| {
        a.path
            .len()
            .cmp(&b.path.len())
            .then(a.start_ns.cmp(&b.start_ns))
    });
    let mut tree = Tree::default();
    for field in fields {
        let node = tree.node_at(field.path);
        node.r#type = field.return_type;
        node.parent_type = field.parent_type;
        node.original_field_name = field.original_name.unwrap_or_default();
        node.start_time = field.start_ns;
        node.end_time = field.end_ns;
        node.error.extend(field.error);
    }
    Trace {
        start_time: Some(timestamp(started.wall)),
        end_time: Some(timestamp(SystemTime::now())),
        duration_ns,
        root: Some(tree.into_root()),
    }
}

/// Nodes in creation order (the root first, every node after its parent) with an index by
/// (parent, segment), so that a list of n elements costs O(n), not O(n²), to build.
struct Tree {
    nodes: Vec<(usize, proto::Node)>,
    children: HashMap<(usize, Segment), usize>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![(0, proto::Node::default())],
            children: HashMap::new(),
        }
    }
}

impl Tree {
    /// The node at `path` below the root, created (with its missing ancestors) when needed.
    fn node_at(&mut self, path: Vec<Segment>) -> &mut proto::Node {
        let mut current = 0;
        for segment in path {
            let next = self.nodes.len();
            let nodes = &mut self.nodes;
            current =
                *self
                    .children
                    .entry((current, segment))
                    .or_insert_with_key(|(parent, segment)| {
                        let id = match segment {
                            Segment::Name(name) => proto::NodeId::ResponseName(name.clone()),
                            Segment::Index(index) => proto::NodeId::Index(*index),
                        };
                        nodes.push((
                            *parent,
                            proto::Node {
                                id: Some(id),
                                ..Default::default()
                            },
                        ));
                        next
                    });
        }
        &mut self.nodes[current].1
    }

    /// Moves every node into its parent, last created first: a node's children all come
    /// after it, so each is complete when it moves.
    fn into_root(mut self) -> proto::Node {
        while self.nodes.len() > 1 {
            let Some((parent, mut node)) = self.nodes.pop() else {
                break;
            };
            node.child.reverse();
            self.nodes[parent].1.child.push(node);
        }
        let mut root = self.nodes.pop().map(|(_, node)| node).unwrap_or_default();
        root.child.reverse();
        root
    }
}
