// Bearer tokens end to end through @apollo/gateway: the subgraph runs with
// `--jwt-hs256-secret` (so it checks every request's token and scopes), the gateway forwards
// the client's `Authorization` header with AuthForwardingDataSource (lib/apollo-auth.js), and
// what the subgraph decides (data, FORBIDDEN, UNAUTHENTICATED, the actor) reaches the client.
// @apollo/gateway runs no subscriptions; the subscription leg is in auth-hive-gateway.test.js.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

import { AuthForwardingDataSource, authorizationContext } from '../lib/apollo-auth.js';
import { impressionsOf, startAnalytics } from '../lib/analytics.js';
import { graphql, graphqlOk, startSubgraph } from '../lib/harness.js';
import { TEST_JWT_SECRET, bearer, signToken } from '../lib/jwt.js';

const WRITER = signToken({ subject: 'apollo-writer', scopes: ['metadata:read', 'metadata:write'] });
const READER = signToken({ subject: 'apollo-reader', scopes: ['metadata:read'] });
const FORGED = signToken({ subject: 'mallory', scopes: ['metadata:admin'], secret: 'not-the-secret' });

const CREATE = /* GraphQL */ `
  mutation ($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id name impressions metadataMaster { version } }
  }
`;
const CAMPAIGN_WITH_HISTORY = /* GraphQL */ `
  query ($id: UUID!) {
    campaign(id: $id) {
      name
      impressions
      metadataMaster { version history { edges { node { kind actor } } } }
    }
  }
`;

/** The `extensions.code` of every error in `body`, asserting that there is at least one. */
function errorCodes(body) {
  assert.ok(body.errors?.length, `expected errors, got ${JSON.stringify(body)}`);
  return body.errors.map((error) => error.extensions?.code);
}

describe('@apollo/gateway forwards Authorization to a subgraph that checks scopes', () => {
  let subgraph;
  let analytics;
  let server;
  let gatewayUrl;
  const as = (token, query, variables) => graphql(gatewayUrl, query, variables, { headers: bearer(token) });

  before(async () => {
    [subgraph, analytics] = await Promise.all([
      startSubgraph({ label: 'apollo_auth', args: ['--jwt-hs256-secret', TEST_JWT_SECRET] }),
      startAnalytics(),
    ]);
    console.log(`subgraph on ${subgraph.base} (${subgraph.kind}, HS256 tokens), analytics on ${analytics.url}`);
    const gateway = new ApolloGateway({
      // `_service { sdl }` and the health check need no token, so composition works as before.
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'metadata', url: subgraph.url },
          { name: 'analytics', url: analytics.url },
        ],
        subgraphHealthCheck: true,
      }),
      buildService: ({ url }) => new AuthForwardingDataSource({ url }),
    });
    server = new ApolloServer({ gateway });
    ({ url: gatewayUrl } = await startStandaloneServer(server, {
      listen: { host: '127.0.0.1', port: 0 },
      context: authorizationContext,
    }));
    console.log(`Apollo gateway on ${gatewayUrl}`);
  });

  after(async () => {
    await server?.stop();
    await analytics?.stop();
    await subgraph?.stop();
  });

  test('a read+write token creates a campaign and reads it back; its subject is the actor', async () => {
    const { createCampaign: created } = await graphqlOk(
      gatewayUrl,
      CREATE,
      { input: { name: 'Scoped launch', metadata: { channel: 'email' } } },
      { headers: bearer(WRITER) },
    );
    assert.equal(created.name, 'Scoped launch');
    assert.equal(created.impressions, impressionsOf(created.id));
    assert.equal(created.metadataMaster.version, 1);

    // Reading needs only metadata:read: the read-only token sees the writer's campaign, and
    // the history names the writer's `sub` as the actor.
    const { campaign } = await graphqlOk(gatewayUrl, CAMPAIGN_WITH_HISTORY, { id: created.id }, { headers: bearer(READER) });
    assert.deepEqual(campaign, {
      name: 'Scoped launch',
      impressions: impressionsOf(created.id),
      metadataMaster: { version: 1, history: { edges: [{ node: { kind: 'CREATED', actor: 'apollo-writer' } }] } },
    });

    // A write through the gateway is recorded under the subject of the token that made it.
    const patched = await graphqlOk(
      gatewayUrl,
      'mutation ($id: UUID!) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: { region: "EU" }) { master { version } } }',
      { id: created.id },
      { headers: bearer(signToken({ subject: 'apollo-editor', scopes: ['metadata:read', 'metadata:write'] })) },
    );
    assert.equal(patched.updateEntityMetadata.master.version, 2);
    const after = await graphqlOk(gatewayUrl, CAMPAIGN_WITH_HISTORY, { id: created.id }, { headers: bearer(READER) });
    assert.deepEqual(
      after.campaign.metadataMaster.history.edges.map((e) => e.node),
      [
        { kind: 'UPDATED', actor: 'apollo-editor' },
        { kind: 'CREATED', actor: 'apollo-writer' },
      ],
    );
  });

  test('a read-only token is FORBIDDEN to write, and to read an admin field next to its data', async () => {
    const refused = await as(READER, CREATE, { input: { name: 'Not allowed' } });
    assert.equal(refused.data, null, JSON.stringify(refused));
    assert.deepEqual(errorCodes(refused), ['FORBIDDEN'], JSON.stringify(refused.errors));
    assert.deepEqual(refused.errors[0].path, ['createCampaign']);
    assert.match(refused.errors[0].message, /metadata:write/);

    // Nothing was written.
    const { campaigns } = await graphqlOk(gatewayUrl, '{ campaigns(first: 100) { nodes { name } } }', {}, { headers: bearer(READER) });
    assert.ok(!campaigns.nodes.some((c) => c.name === 'Not allowed'));

    // `metadataPolicy` needs metadata:admin: that field alone is refused (it is nullable), the
    // campaign beside it, with the analytics peer's field, is intact.
    const { createCampaign: created } = await graphqlOk(gatewayUrl, CREATE, { input: { name: 'Mixed' } }, { headers: bearer(WRITER) });
    const mixed = await as(
      READER,
      'query ($id: UUID!) { campaign(id: $id) { name impressions } metadataPolicy(entityType: CAMPAIGN) { version } }',
      { id: created.id },
    );
    assert.deepEqual(mixed.data, { campaign: { name: 'Mixed', impressions: impressionsOf(created.id) }, metadataPolicy: null });
    assert.deepEqual(errorCodes(mixed), ['FORBIDDEN'], JSON.stringify(mixed.errors));
    assert.deepEqual(mixed.errors[0].path, ['metadataPolicy']);
  });

  test('without a token the subgraph answers UNAUTHENTICATED through the gateway', async () => {
    const write = await as(null, CREATE, { input: { name: 'Anonymous' } });
    assert.equal(write.data, null, JSON.stringify(write));
    assert.deepEqual(errorCodes(write), ['UNAUTHENTICATED'], JSON.stringify(write.errors));

    const read = await as(null, '{ campaigns(first: 1) { nodes { id } } }');
    assert.equal(read.data, null, JSON.stringify(read));
    assert.deepEqual(errorCodes(read), ['UNAUTHENTICATED'], JSON.stringify(read.errors));
    assert.deepEqual(read.errors[0].path, ['campaigns']);
  });

  test('a token signed with another secret gets no data', async () => {
    // The subgraph answers HTTP 401 for the whole request; the gateway relays it as an
    // UNAUTHENTICATED error (RemoteGraphQLDataSource maps a 401 to that code).
    const forged = await as(FORGED, '{ campaigns(first: 1) { nodes { id } } }');
    assert.equal(forged.data?.campaigns ?? null, null, JSON.stringify(forged));
    assert.deepEqual(errorCodes(forged), ['UNAUTHENTICATED'], JSON.stringify(forged.errors));
  });
});
