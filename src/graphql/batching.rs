//! Per-request DataLoaders whose batches run inside the request's own task.
//!
//! async-graphql's DataLoader collects keys for `delay` (1 ms) on a spawned task and
//! then loads them. On a busy machine, resolving a wide list can take longer than that,
//! and a batch would fire with only part of the keys. Here the loaders hand their batch
//! futures back to the request, which polls them only after the executor has finished
//! its current pass over the selection set: every key of a pass is registered before
//! any batch runs, so a page of 100 campaigns with masters and entities always costs the
//! same two statements (the page joined with its masters, then the masters' entities).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::db::Autocommit;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Request, Response};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;

use async_graphql::dataloader::HashMapCache;

use super::loaders::{MasterByEntityLoader, MasterLoader, RecordLoader};
use super::prefetch::PrefetchedMasters;
use super::{AppSchema, Prepared};

/// Executes `request` with fresh loaders, driving their batches in this task.
pub async fn execute(schema: &AppSchema, db: &Autocommit, request: Request) -> Response {
    let started = std::time::Instant::now();
    // Operation names label the request metrics; anonymous callers (authentication on, no
    // token) are counted under one label, so they cannot take the label slots.
    let identified = super::request_data::<crate::auth::Principal>(&request)
        .is_some_and(crate::auth::Principal::identified);
    let operation = if identified {
        request.operation_name.clone()
    } else {
        Some(crate::observability::UNIDENTIFIED_OPERATION.to_owned())
    };
    let mut response = match schema.prepare(request) {
        Ok(prepared) => execute_prepared(schema, db, prepared).await,
        Err(refusal) => Response::from_errors(vec![refusal]),
    };
    super::error_codes::add_codes(&mut response);
    crate::observability::record_request(
        operation.as_deref(),
        response.errors.is_empty(),
        started.elapsed(),
    );
    response
}

/// Executes a prepared request with fresh loaders, driving their batches in this task.
pub(super) async fn execute_prepared(
    schema: &AppSchema,
    db: &Autocommit,
    prepared: Prepared,
) -> Response {
    let (sender, batches) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
    let spawner = move |batch| {
        // The receiver lives as long as the request; a send can only fail after it ended.
        let _ = sender.send(batch);
    };
    // No loader delay: `drive` runs a batch only once the operation has stalled, when
    // every key of that round is registered, so waiting for more keys gains nothing. (The
    // default 1 ms delay cost every request a millisecond per loader round. A zero delay is
    // an async-io timer that is ready when first polled; with async-graphql's `tokio-timer`
    // feature it would wait for the next tick of tokio's millisecond wheel, so that feature
    // stays off.)
    let executable = schema.for_request(&prepared);
    let request = with_loaders(prepared.request, db, spawner, Duration::ZERO);
    let response = drive(executable.execute(request), batches).await;
    schema.remember_validation(prepared.validation, response.errors.is_empty());
    response
}

/// Executes `request` as a stream of responses (a subscription's events, or the one
/// response of a query or mutation) with fresh loaders whose batches run as tasks.
/// For WebSocket operations, which outlive any one poll of the socket.
pub fn execute_stream(
    schema: &AppSchema,
    db: &Autocommit,
    request: Request,
) -> BoxStream<'static, Response> {
    let spawner = |batch: BoxFuture<'static, ()>| {
        tokio::spawn(batch);
    };
    let prepared = match schema.prepare(request) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            return futures_util::stream::once(async { Response::from_errors(vec![refusal]) })
                .boxed();
        }
    };
    // Batches run as tasks here, concurrently with the operation: a short delay lets the
    // keys of one round gather (async-graphql's default).
    schema.for_request(&prepared).execute_stream(with_loaders(
        prepared.request,
        db,
        spawner,
        STREAM_LOADER_DELAY,
    ))
}

/// How long a loader of a WebSocket operation waits for more keys before it loads.
const STREAM_LOADER_DELAY: Duration = Duration::from_millis(1);

/// The request with one loader of each kind, all batching through `spawner` after `delay`.
fn with_loaders<S>(request: Request, db: &Autocommit, spawner: S, delay: Duration) -> Request
where
    S: Fn(BoxFuture<'static, ()>) + Clone + Send + Sync + 'static,
{
    let prefetched = PrefetchedMasters::default();
    request
        .data(DataLoader::new(MasterLoader::new(db.clone()), spawner.clone()).delay(delay))
        .data(
            DataLoader::new(
                RecordLoader::new(db.clone(), prefetched.clone()),
                spawner.clone(),
            )
            .delay(delay),
        )
        .data(prefetched)
        .data(
            DataLoader::with_cache(
                super::types::EntityTypeLoader(db.clone()),
                spawner.clone(),
                HashMapCache::default(),
            )
            .delay(delay),
        )
        .data(DataLoader::new(MasterByEntityLoader::new(db.clone()), spawner).delay(delay))
}

/// Polls `work` until it stops waking itself (async-graphql's joins yield after a
/// share of their children), then every batch it queued, until `work` is done.
async fn drive<T>(
    work: impl Future<Output = T>,
    mut queued: mpsc::UnboundedReceiver<BoxFuture<'static, ()>>,
) -> T {
    let mut work = pin!(work);
    let mut running = FuturesUnordered::new();
    std::future::poll_fn(|cx| {
        for _ in 0..MAX_PASSES {
            let waker = Arc::new(SelfWake {
                woken: AtomicBool::new(false),
                inner: cx.waker().clone(),
            });
            let flagged = Waker::from(waker.clone());
            if let Poll::Ready(output) = work.as_mut().poll(&mut Context::from_waker(&flagged)) {
                return Poll::Ready(output);
            }
            if !waker.woken.load(Ordering::SeqCst) {
                break;
            }
        }
        while let Poll::Ready(Some(batch)) = queued.poll_recv(cx) {
            running.push(batch);
        }
        while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
        Poll::Pending
    })
    .await
}

/// Upper bound on back-to-back polls of a request that keeps waking itself.
const MAX_PASSES: usize = 256;

/// Remembers whether the request woke itself during a poll, and forwards the wake.
struct SelfWake {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.inner.wake_by_ref();
    }
}
