// Shared machinery of the gateway suite: starting a fresh metadata-synergy subgraph (PostgreSQL
// when reachable, else SQLite) on a free loopback port, GraphQL over HTTP, graphql-ws clients,
// and bounded waits. Every server this suite starts binds 127.0.0.1 and every request goes to
// loopback.

import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export const GATEWAY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(GATEWAY_DIR, '..', '..');
/** The checked-in federation SDL of the subgraph: every composition in this suite uses it. */
export const SCHEMA_PATH = path.join(REPO_ROOT, 'schema.graphql');

// Nothing in this suite may talk to a hosted registry (Apollo GraphOS, Hive): drop any
// credentials an environment might carry before a gateway library sees them.
for (const name of Object.keys(process.env)) {
  if (/^(APOLLO_|HIVE_)/.test(name)) delete process.env[name];
}
// @apollo/gateway (2.14) otherwise starts usage metrics for Apollo's OTLP endpoint when it is
// constructed, probing cloud metadata addresses (169.254.169.254) for resource attributes.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

/** The subgraph's federation SDL as checked in. */
export function readSchema() {
  return fs.readFileSync(SCHEMA_PATH, 'utf8');
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we release it right away). */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Runs `fn` until it returns a truthy value, or throws after `timeoutMs` with `what`. Errors
 * `fn` throws are retried, except those with `fatal: true`, which end the wait at once.
 */
export async function waitUntil(what, fn, { timeoutMs = 10_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      if (error.fatal) throw error;
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}` +
      (lastError ? ` (last error: ${lastError.message})` : ''),
  );
}

/** Rejects after `timeoutMs` unless `promise` settles first. */
export async function withTimeout(what, promise, timeoutMs) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POSTs a GraphQL request and returns the parsed `{ data, errors }` body. Throws on a non-2xx
 * status or a body that is not JSON. `fetch` has a timeout so nothing hangs.
 */
export async function graphql(url, query, variables = {}, { headers = {}, timeoutMs = 15_000 } = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 500)}`);
  }
  if (!response.ok && !body.errors) {
    throw new Error(`${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body;
}

/** Like {@link graphql} but fails on any GraphQL error and returns `data`. */
export async function graphqlOk(url, query, variables = {}, options = {}) {
  const body = await graphql(url, query, variables, options);
  if (body.errors?.length) {
    throw new Error(`GraphQL errors from ${url}: ${JSON.stringify(body.errors, null, 2)}`);
  }
  if (!body.data) throw new Error(`no data from ${url}: ${JSON.stringify(body)}`);
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// Database choice

const PG_HOST = '127.0.0.1';
const PG_PORT = '5432';
const PG_USER = 'postgres';

function psql(sql, database = 'postgres') {
  return execFileSync(
    'psql',
    ['-h', PG_HOST, '-p', PG_PORT, '-U', PG_USER, '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql],
    {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: '3' },
    },
  ).trim();
}

function postgresAvailable() {
  try {
    return psql('SELECT 1') === '1';
  } catch {
    return false;
  }
}

/**
 * Which database the subgraph gets: `GATEWAY_TEST_DB=postgres` or `=sqlite` forces one (a forced
 * PostgreSQL that is not reachable is an error); otherwise PostgreSQL when `psql` reaches
 * 127.0.0.1:5432, else SQLite.
 */
export function databaseKind() {
  const forced = (process.env.GATEWAY_TEST_DB ?? '').toLowerCase();
  if (forced === 'sqlite') return 'sqlite';
  if (forced === 'postgres' || forced === 'postgresql') {
    if (!postgresAvailable()) {
      throw new Error('GATEWAY_TEST_DB=postgres but psql cannot reach postgres@127.0.0.1:5432');
    }
    return 'postgres';
  }
  if (forced) throw new Error(`GATEWAY_TEST_DB must be "postgres" or "sqlite", not "${forced}"`);
  return postgresAvailable() ? 'postgres' : 'sqlite';
}

// ---------------------------------------------------------------------------------------------
// The subgraph process

export function subgraphBinary() {
  const bin =
    process.env.METADATA_SYNERGY_BIN || path.join(REPO_ROOT, 'target', 'debug', 'metadata-synergy');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `no subgraph binary at ${bin}: run \`cargo build --bin metadata-synergy\` in ${REPO_ROOT} ` +
        'or set METADATA_SYNERGY_BIN (tests/gateway/run.sh does this for you)',
    );
  }
  return bin;
}

// Children still running when this process exits are killed, whatever happened.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts a fresh `metadata-synergy serve` on a free 127.0.0.1 port with a database of its own,
 * and waits (bounded) for `GET /health` to answer 200. Returns a handle whose `stop()` ends
 * the process and drops the database. `args` are appended to the `serve` command line (e.g.
 * `['--jwt-hs256-secret', secret]` turns authentication on) and `env` is added to its environment.
 */
export async function startSubgraph({ label = 'subgraph', targetLocales = 'es,ca', args = [], env = {} } = {}) {
  const kind = databaseKind();
  const tag = `ms_gw_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}_`));
  let databaseUrl;
  let dropDatabase;
  if (kind === 'postgres') {
    psql(`CREATE DATABASE ${tag}`);
    databaseUrl = `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${tag}`;
    dropDatabase = () => psql(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
  } else {
    databaseUrl = `sqlite://${path.join(workDir, 'db.sqlite')}?mode=rwc`;
    dropDatabase = () => {};
  }

  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const logPath = path.join(workDir, 'subgraph.log');
  const log = fs.openSync(logPath, 'a');
  const child = spawn(
    subgraphBinary(),
    [
      'serve',
      '--listen', listen,
      '--database-url', databaseUrl,
      '--translator', 'pseudo',
      '--target-locales', targetLocales,
      ...args,
    ],
    {
      cwd: workDir,
      stdio: ['ignore', log, log],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info', NO_COLOR: '1', ...env },
    },
  );
  fs.closeSync(log);
  liveChildren.add(child);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      liveChildren.delete(child);
      resolve(exited);
    });
  });

  const base = `http://${listen}`;
  const handle = {
    kind,
    databaseUrl,
    port,
    base,
    url: `${base}/graphql`,
    wsUrl: `ws://${listen}/ws`,
    logPath,
    log: () => fs.readFileSync(logPath, 'utf8'),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const stopped = await withTimeout('the subgraph to stop on SIGTERM', exit, 10_000).catch(() => null);
        if (!stopped) {
          child.kill('SIGKILL');
          await withTimeout('the subgraph to die after SIGKILL', exit, 5_000);
        }
      }
      dropDatabase();
      if (process.env.GATEWAY_TEST_KEEP) console.log(`kept the subgraph's log: ${logPath}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    },
  };

  try {
    await waitUntil(
      `GET ${base}/health to answer 200`,
      async () => {
        if (exited) {
          throw new Error(`the subgraph exited early (${JSON.stringify(exited)}):\n${handle.log()}`);
        }
        const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
        return response.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 150 },
    );
  } catch (error) {
    const output = fs.existsSync(logPath) ? handle.log() : '';
    await handle.stop().catch(() => {});
    error.message += `\n--- subgraph log ---\n${output.slice(-4000)}`;
    throw error;
  }
  return handle;
}

// ---------------------------------------------------------------------------------------------
// graphql-ws

/**
 * A graphql-ws (`graphql-transport-ws` subprotocol) client over the `ws` package. Resolves once
 * the server acknowledged the connection. `connectionParams` is the `connection_init` payload
 * (e.g. `{ Authorization: 'Bearer …' }`).
 */
export async function wsClient(url, { timeoutMs = 10_000, connectionParams } = {}) {
  let connected;
  const ready = new Promise((resolve, reject) => {
    connected = { resolve, reject };
  });
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    on: {
      connected: () => connected.resolve(),
      error: (error) => connected.reject(error instanceof Error ? error : new Error(String(error?.message ?? error))),
      closed: (event) =>
        connected.reject(new Error(`the WebSocket closed before being acknowledged: ${event?.code} ${event?.reason}`)),
    },
  });
  try {
    await withTimeout(`graphql-ws connection_ack from ${url}`, ready, timeoutMs);
  } catch (error) {
    await client.dispose();
    throw error;
  }
  return client;
}

/**
 * Starts a subscription and collects its results. `waitFor(predicate, timeoutMs)` resolves
 * with the first (past or future) result whose `data` satisfies `predicate`; a GraphQL error or
 * the subscription failing rejects it. `stop()` completes the subscription.
 */
export function collect(client, query, variables = {}) {
  const results = [];
  const waiters = new Set();
  let failure = null;
  let completed = false;
  const settle = () => {
    for (const waiter of [...waiters]) waiter.check();
  };
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) {
          failure = new Error(`subscription error: ${JSON.stringify(result.errors)}`);
        } else {
          results.push(result.data);
        }
        settle();
      },
      error: (error) => {
        failure =
          error instanceof Error
            ? error
            : new Error(`subscription failed: ${JSON.stringify(error?.message ?? error?.reason ?? error)}`);
        settle();
      },
      complete: () => {
        completed = true;
        settle();
      },
    },
  );
  return {
    results,
    /** Throws (fatal for {@link waitUntil}) if the subscription failed or completed. */
    assertAlive() {
      const error = failure ?? (completed ? new Error('the subscription completed') : null);
      if (error) throw Object.assign(error, { fatal: true });
    },
    waitFor(predicate, timeoutMs = 10_000, what = 'a matching subscription result') {
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            const found = results.find(predicate);
            if (found) return finish(() => resolve(found));
            if (failure) return finish(() => reject(failure));
            if (completed) return finish(() => reject(new Error(`the subscription completed before ${what}`)));
          },
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `timed out after ${timeoutMs} ms waiting for ${what}; got ${results.length} result(s): ` +
                    JSON.stringify(results).slice(0, 2000),
                ),
              ),
            ),
          timeoutMs,
        );
        function finish(action) {
          clearTimeout(timer);
          waiters.delete(waiter);
          action();
        }
        waiters.add(waiter);
        waiter.check();
      });
    },
    stop: () => unsubscribe(),
  };
}

// ---------------------------------------------------------------------------------------------
// Operations shared by several test files

/** `createCampaign` input whose metadata carries localization scripts. */
export function campaignInput(name, title = 'Hello {name}', targetLocales = ['es']) {
  return {
    name,
    metadata: {
      channel: 'email',
      service_specific: {
        localization: { scripts: { title, body: { cta: 'Buy now' } }, target_locales: targetLocales },
      },
    },
  };
}

export const CREATE_CAMPAIGN = /* GraphQL */ `
  mutation CreateCampaign($input: CreateCampaignInput!) {
    createCampaign(input: $input) {
      id
      name
      metadataMaster { id version }
    }
  }
`;

export const PATCH_CAMPAIGN_METADATA = /* GraphQL */ `
  mutation PatchCampaign($id: UUID!, $patch: JSON!) {
    updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: $patch) {
      master { id version metadata }
    }
  }
`;
