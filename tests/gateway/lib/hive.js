// Hive Gateway as it is deployed: the `hive-gateway` CLI with the checked-in
// `tests/gateway/gateway.config.ts`, on a supergraph we compose ourselves with
// @apollo/composition from the checked-in schema.graphql and the analytics peer's SDL:
//
//   hive-gateway supergraph <tmp>/supergraph.graphql --host 127.0.0.1 --port <free> \
//     --config-path tests/gateway/gateway.config.ts
//
// Also a minimal GraphQL-over-SSE client for the gateway's HTTP subscriptions.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ANALYTICS_SDL } from './analytics.js';
import { composeOrThrow } from './compose.js';
import { GATEWAY_DIR, freePort, readSchema, waitUntil, withTimeout } from './harness.js';

const HIVE_BIN = path.join(GATEWAY_DIR, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');
export const HIVE_CONFIG = path.join(GATEWAY_DIR, 'gateway.config.ts');

/**
 * Composes the supergraph of the running `subgraph` and `analytics` into a new temp dir and
 * starts the hive-gateway CLI on it, on a free loopback port; resolves when /readiness is 200.
 * The handle has `url`, `wsUrl`, `supergraphSdl`, `log()` and `stop()` (which also removes the
 * temp dir unless GATEWAY_TEST_KEEP is set).
 */
export async function startHiveGateway(subgraph, analytics, { label = 'hive' } = {}) {
  const supergraphSdl = composeOrThrow([
    { name: 'metadata', url: subgraph.url, sdl: readSchema() },
    { name: 'analytics', url: analytics.url, sdl: ANALYTICS_SDL },
  ]);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `ms_gw_${label}_`));
  const supergraphPath = path.join(workDir, 'supergraph.graphql');
  fs.writeFileSync(supergraphPath, supergraphSdl);

  const port = await freePort();
  const logPath = path.join(workDir, 'hive-gateway.log');
  const log = fs.openSync(logPath, 'a');
  // Only what the CLI needs from the environment: no registry tokens, no NODE_OPTIONS.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir(), NODE_ENV: 'test', NO_COLOR: '1' };
  const child = spawn(
    process.execPath,
    [HIVE_BIN, 'supergraph', supergraphPath, '--host', '127.0.0.1', '--port', String(port), '--config-path', HIVE_CONFIG],
    { cwd: workDir, env, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve((exited = { code, signal }))),
  );
  process.on('exit', () => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  const handle = {
    url: `${base}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    supergraphSdl,
    log: () => fs.readFileSync(logPath, 'utf8'),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const stopped = await withTimeout('hive-gateway to stop', exit, 10_000).catch(() => null);
        if (!stopped) {
          child.kill('SIGKILL');
          await withTimeout('hive-gateway to die after SIGKILL', exit, 5_000);
        }
      }
      if (process.env.GATEWAY_TEST_KEEP) console.log(`kept the supergraph and gateway log in ${workDir}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntil(
      `hive-gateway ${base}/readiness to answer 200`,
      async () => {
        if (exited) throw new Error(`hive-gateway exited early (${JSON.stringify(exited)})`);
        const response = await fetch(`${base}/readiness`, { signal: AbortSignal.timeout(2_000) });
        return response.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    error.message += `\n--- hive-gateway log ---\n${handle.log().slice(-4000)}`;
    await handle.stop().catch(() => {});
    throw error;
  }
  return handle;
}

/**
 * Subscribes over Server-Sent Events (GraphQL over SSE, "distinct connections" mode: a POST
 * with `accept: text/event-stream`), the gateway's default HTTP transport for subscriptions.
 * Returns `{ events, close }`; `events` fills with the `data` of each `next` event.
 */
export async function sse(url, query, variables, { headers = {} } = {}) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = [];
  const pump = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (event === 'next' && data) events.push(JSON.parse(data));
      }
    }
  })().catch((error) => {
    if (error.name !== 'AbortError') throw error;
  });
  return {
    events,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}
