// Bearer tokens end to end through Hive Gateway, with the checked-in gateway.config.ts in front
// of a subgraph started with `--jwt-hs256-secret` (so it checks every token and scope itself):
// - HTTP: `propagateHeaders.fromClientToSubgraphs` copies the client's `authorization` onto
//   every subgraph request;
// - the federated subscription: the gateway opens its own WebSocket to the subgraph's /ws and
//   puts the client's token into that connection's `connection_init` payload
//   (`connectionParams: { Authorization: '{context.clientAuthorization}' }`), one upstream
//   connection per token.
// Clients hand the gateway their token in the graphql-ws `connection_init` payload or as the
// `authorization` header (HTTP and SSE).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { impressionsOf, startAnalytics } from '../lib/analytics.js';
import { collect, graphql, graphqlOk, startSubgraph, waitUntil, withTimeout, wsClient } from '../lib/harness.js';
import { sse, startHiveGateway } from '../lib/hive.js';
import { TEST_JWT_SECRET, bearer, signToken } from '../lib/jwt.js';

const WRITER = signToken({ subject: 'hive-writer', scopes: ['metadata:read', 'metadata:write'] });
const READER = signToken({ subject: 'hive-reader', scopes: ['metadata:read'] });
const WRITE_ONLY = signToken({ subject: 'hive-write-only', scopes: ['metadata:write'] });

const CREATE = /* GraphQL */ `
  mutation ($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id name impressions metadataMaster { version } }
  }
`;
const METADATA_CHANGED = /* GraphQL */ `
  subscription { metadataChanged(entityType: CAMPAIGN) { entityId kind actor version origin } }
`;

/** The `extensions.code` of every error in `body`, asserting that there is at least one. */
function errorCodes(body) {
  assert.ok(body.errors?.length, `expected errors, got ${JSON.stringify(body)}`);
  return body.errors.map((error) => error.extensions?.code);
}

/**
 * The first thing an operation over graphql-ws yields: `{ result }` (a `next`, which is how the
 * gateway relays a subgraph's refusal too) or `{ error }`.
 */
function firstOutcome(client, query) {
  return withTimeout(
    `the first outcome of ${query.trim()}`,
    new Promise((resolve) => {
      const stop = client.subscribe(
        { query },
        {
          next: (result) => {
            stop();
            resolve({ result });
          },
          error: (error) => resolve({ error }),
          complete: () => resolve({ error: new Error('completed without a result') }),
        },
      );
    }),
    15_000,
  );
}

describe('Hive Gateway forwards the client token to a subgraph that checks scopes', () => {
  let subgraph;
  let analytics;
  let gateway;
  const clients = [];
  const as = (token, query, variables) => graphql(gateway.url, query, variables, { headers: bearer(token) });
  const create = async (name) =>
    (await graphqlOk(gateway.url, CREATE, { input: { name } }, { headers: bearer(WRITER) })).createCampaign;
  const connect = async (connectionParams) => {
    const client = await wsClient(gateway.wsUrl, { connectionParams });
    clients.push(client);
    return client;
  };

  before(async () => {
    [subgraph, analytics] = await Promise.all([
      startSubgraph({ label: 'hive_auth', args: ['--jwt-hs256-secret', TEST_JWT_SECRET] }),
      startAnalytics(),
    ]);
    console.log(`subgraph on ${subgraph.base} (${subgraph.kind}, HS256 tokens), analytics on ${analytics.url}`);
    gateway = await startHiveGateway(subgraph, analytics, { label: 'hive_auth' });
    console.log(`Hive Gateway on ${gateway.url}`);
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await gateway?.stop();
    await analytics?.stop();
    await subgraph?.stop();
  });

  test('a read+write token writes and reads over HTTP; its subject is the actor', async () => {
    const created = await create('Hive scoped');
    assert.equal(created.impressions, impressionsOf(created.id));
    const { campaign } = await graphqlOk(
      gateway.url,
      'query ($id: UUID!) { campaign(id: $id) { name impressions metadataMaster { history { edges { node { kind actor } } } } } }',
      { id: created.id },
      { headers: bearer(READER) },
    );
    assert.deepEqual(campaign, {
      name: 'Hive scoped',
      impressions: impressionsOf(created.id),
      metadataMaster: { history: { edges: [{ node: { kind: 'CREATED', actor: 'hive-writer' } }] } },
    });
  });

  test('a read-only token is FORBIDDEN to write; no token is UNAUTHENTICATED', async () => {
    const refused = await as(READER, CREATE, { input: { name: 'Not allowed' } });
    assert.equal(refused.data, null, JSON.stringify(refused));
    assert.deepEqual(errorCodes(refused), ['FORBIDDEN'], JSON.stringify(refused.errors));
    assert.deepEqual(refused.errors[0].path, ['createCampaign']);

    // An admin field next to readable data: only that (nullable) field is refused.
    const created = await create('Hive mixed');
    const mixed = await as(
      READER,
      'query ($id: UUID!) { campaign(id: $id) { name impressions } metadataPolicy(entityType: CAMPAIGN) { version } }',
      { id: created.id },
    );
    assert.deepEqual(mixed.data, { campaign: { name: 'Hive mixed', impressions: impressionsOf(created.id) }, metadataPolicy: null });
    assert.deepEqual(errorCodes(mixed), ['FORBIDDEN'], JSON.stringify(mixed.errors));

    for (const query of [CREATE, '{ campaigns(first: 1) { nodes { id } } }']) {
      const anonymous = await as(null, query, { input: { name: 'Anonymous' } });
      assert.equal(anonymous.data, null, JSON.stringify(anonymous));
      assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED'], JSON.stringify(anonymous.errors));
    }
  });

  test('over graphql-ws the connection_init token reaches the subgraph for queries too', async () => {
    // The gateway runs a query from a graphql-ws client over HTTP to the subgraph, with the
    // token from the client's connection_init payload as the `authorization` header. (Hive
    // Gateway refuses mutations over graphql-ws: "Can only perform a mutation operation from a
    // POST request", the upgrade being a GET.)
    const created = await create('Hive over ws');
    const query = `{ campaign(id: "${created.id}") { name impressions } }`;
    const reader = await connect({ authorization: `Bearer ${READER}` });
    const { result } = await firstOutcome(reader, query);
    assert.deepEqual(result, { data: { campaign: { name: 'Hive over ws', impressions: impressionsOf(created.id) } } });

    const anonymous = await firstOutcome(await connect(undefined), query);
    assert.deepEqual(errorCodes(anonymous.result), ['UNAUTHENTICATED'], JSON.stringify(anonymous));
  });

  test('the federated subscription over graphql-ws: metadata:read receives, others are refused', async () => {
    const reader = await connect({ Authorization: `Bearer ${READER}` });
    const changes = collect(reader, METADATA_CHANGED);
    // The gateway opens its upstream WebSocket when the subscription arrives: write until an
    // event of ours comes through, so that the start-up cannot race the first write.
    let created;
    await waitUntil(
      'a metadataChanged event through the gateway',
      async () => {
        changes.assertAlive();
        created = await create('Hive live');
        return changes.waitFor((r) => r.metadataChanged.entityId === created.id, 3_000);
      },
      { timeoutMs: 20_000, intervalMs: 0 },
    );
    const event = changes.results.find((r) => r.metadataChanged.entityId === created.id).metadataChanged;
    assert.deepEqual(event, { entityId: created.id, kind: 'CREATED', actor: 'hive-writer', version: 1, origin: 'API' });

    // While the reader's upstream connection is open, clients without metadata:read are still
    // refused: the gateway does not hand them the reader's connection.
    const writeOnly = await firstOutcome(await connect({ Authorization: `Bearer ${WRITE_ONLY}` }), METADATA_CHANGED);
    assert.deepEqual(errorCodes(writeOnly.result), ['FORBIDDEN'], JSON.stringify(writeOnly));
    const anonymous = await firstOutcome(await connect(undefined), METADATA_CHANGED);
    assert.deepEqual(errorCodes(anonymous.result), ['UNAUTHENTICATED'], JSON.stringify(anonymous));

    // ... and the reader's subscription keeps working.
    const next = await create('Hive live 2');
    const later = await changes.waitFor((r) => r.metadataChanged.entityId === next.id, 10_000);
    assert.equal(later.metadataChanged.actor, 'hive-writer');
    changes.stop();
  });

  test('the federated subscription over SSE with the authorization header', async () => {
    const stream = await sse(gateway.url, METADATA_CHANGED, {}, { headers: bearer(READER) });
    const refused = await sse(gateway.url, METADATA_CHANGED, {}, { headers: bearer(WRITE_ONLY) });
    try {
      let created;
      const found = await waitUntil(
        'a metadataChanged event over SSE',
        async () => {
          const failed = stream.events.find((e) => e.errors?.length);
          if (failed) throw Object.assign(new Error(`SSE error: ${JSON.stringify(failed.errors)}`), { fatal: true });
          if (created) {
            const event = stream.events.find((e) => e.data?.metadataChanged?.entityId === created.id);
            if (event) return event;
          }
          created = await create('Hive SSE');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          return stream.events.find((e) => e.data?.metadataChanged?.entityId === created.id);
        },
        { timeoutMs: 20_000, intervalMs: 0 },
      );
      assert.equal(found.data.metadataChanged.actor, 'hive-writer');
      await waitUntil('the refused SSE subscription to answer', () => refused.events.length > 0, { timeoutMs: 10_000 });
      assert.deepEqual(errorCodes(refused.events[0]), ['FORBIDDEN'], JSON.stringify(refused.events));
    } finally {
      await stream.close();
      await refused.close();
    }
  });
});
