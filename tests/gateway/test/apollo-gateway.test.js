// @apollo/gateway (IntrospectAndCompose: it fetches `_service { sdl }` from each running
// subgraph and composes them) served by @apollo/server on 127.0.0.1, in front of the
// metadata-synergy subgraph and the analytics peer. Queries and mutations that need both
// subgraphs, in both directions.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { IntrospectAndCompose, ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

import { impressionsOf, startAnalytics } from '../lib/analytics.js';
import { graphql, graphqlOk, readSchema, startSubgraph } from '../lib/harness.js';

describe('@apollo/gateway over metadata + analytics', () => {
  let subgraph;
  let analytics;
  let server;
  let gatewayUrl;

  before(async () => {
    [subgraph, analytics] = await Promise.all([startSubgraph({ label: 'apollo' }), startAnalytics()]);
    console.log(`subgraph on ${subgraph.base} (${subgraph.kind}), analytics on ${analytics.url}`);
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'metadata', url: subgraph.url },
          { name: 'analytics', url: analytics.url },
        ],
        // Composition errors make `server.start()` throw; the health check queries each
        // subgraph once at start-up (`query __ApolloServiceHealthCheck__ { __typename }`).
        subgraphHealthCheck: true,
      }),
    });
    server = new ApolloServer({ gateway });
    ({ url: gatewayUrl } = await startStandaloneServer(server, {
      listen: { host: '127.0.0.1', port: 0 },
    }));
    console.log(`Apollo gateway on ${gatewayUrl}`);
  });

  after(async () => {
    await server?.stop();
    await analytics?.stop();
    await subgraph?.stop();
  });

  test('the live `_service { sdl }` is the checked-in schema.graphql', async () => {
    // IntrospectAndCompose composes what the subgraph serves; the Hive test and composition
    // test use the file. They are the same document.
    const data = await graphqlOk(subgraph.url, '{ _service { sdl } }');
    assert.ok(data._service.sdl === readSchema(), 'schema.graphql is stale: run `cargo run -- export-schema --output schema.graphql`');
  });

  test('mutations through the gateway: createCampaign, trackCampaign, updateEntityMetadata', async () => {
    // Our mutation, with the peer's field on its result.
    const { createCampaign: created } = await graphqlOk(
      gatewayUrl,
      /* GraphQL */ `
        mutation ($input: CreateCampaignInput!) {
          createCampaign(input: $input) {
            id name status impressions
            metadataMaster { id version entityType entityId }
          }
        }
      `,
      // No localization scripts: the worker leaves it alone, so the versions below are exact.
      { input: { name: 'Gateway launch', metadata: { channel: 'email' } } },
    );
    assert.equal(created.name, 'Gateway launch');
    assert.equal(created.status, 'DRAFT');
    assert.equal(created.impressions, impressionsOf(created.id));
    assert.equal(created.metadataMaster.version, 1);
    assert.equal(created.metadataMaster.entityId, created.id);

    // The peer's mutation, with our fields on its result.
    const { trackCampaign: tracked } = await graphqlOk(
      gatewayUrl,
      /* GraphQL */ `
        mutation ($id: UUID!) {
          trackCampaign(id: $id) { id name impressions metadataMaster { id } }
        }
      `,
      { id: created.id },
    );
    assert.deepEqual(tracked, {
      id: created.id,
      name: 'Gateway launch',
      impressions: impressionsOf(created.id),
      metadataMaster: { id: created.metadataMaster.id },
    });

    // A merge patch through the gateway; the entity comes back through the MetadataEntity
    // interface, with the peer's field on the Campaign.
    const { updateEntityMetadata: sync } = await graphqlOk(
      gatewayUrl,
      /* GraphQL */ `
        mutation ($id: UUID!) {
          updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: { channel: "push", region: "EU" }, expectedVersion: 1) {
            entity { id metadata ... on Campaign { name impressions } }
            master { version metadata inSync }
          }
        }
      `,
      { id: created.id },
    );
    assert.equal(sync.master.version, 2);
    assert.equal(sync.master.inSync, true);
    assert.equal(sync.master.metadata.channel, 'push');
    assert.equal(sync.master.metadata.region, 'EU');
    assert.equal(sync.entity.id, created.id);
    assert.equal(sync.entity.impressions, impressionsOf(created.id));
    assert.deepEqual(sync.entity.metadata, sync.master.metadata);

    // A stale expectedVersion is a CONFLICT, and the code survives the gateway.
    const conflict = await graphql(
      gatewayUrl,
      /* GraphQL */ `
        mutation ($id: UUID!) {
          updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: { x: 1 }, expectedVersion: 1) {
            master { version }
          }
        }
      `,
      { id: created.id },
    );
    assert.ok(conflict.errors?.length, `expected a CONFLICT error, got ${JSON.stringify(conflict)}`);
    assert.equal(conflict.errors[0].extensions?.code, 'CONFLICT', JSON.stringify(conflict.errors));
  });

  test("the peer's field on our Campaign: campaign(id) { name impressions }", async () => {
    const { createCampaign: created } = await graphqlOk(
      gatewayUrl,
      'mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
      { input: { name: 'Only ours' } },
    );
    const data = await graphqlOk(
      gatewayUrl,
      'query ($id: UUID!) { campaign(id: $id) { name impressions metadataMaster { version } } }',
      { id: created.id },
    );
    assert.deepEqual(data.campaign, {
      name: 'Only ours',
      impressions: impressionsOf(created.id),
      metadataMaster: { version: 1 },
    });

    const list = await graphqlOk(gatewayUrl, '{ campaigns(first: 100) { nodes { id impressions } } }');
    const node = list.campaigns.nodes.find((n) => n.id === created.id);
    assert.deepEqual(node, { id: created.id, impressions: impressionsOf(created.id) });

    const missing = await graphqlOk(gatewayUrl, '{ campaign(id: "00000000-0000-7000-8000-000000000000") { name impressions } }');
    assert.equal(missing.campaign, null);
  });

  test('our metadataMaster on the Campaigns the peer returns: topCampaigns', async () => {
    const ids = [];
    for (const name of ['Top A', 'Top B']) {
      const { createCampaign } = await graphqlOk(
        gatewayUrl,
        'mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        { input: { name, metadata: { rank: name } } },
      );
      ids.push(createCampaign.id);
    }
    // Filled directly this time (the previous test tracked through the gateway's mutation).
    analytics.tracked.splice(0, analytics.tracked.length, ...ids);

    const data = await graphqlOk(
      gatewayUrl,
      /* GraphQL */ `
        {
          topCampaigns {
            id
            name
            impressions
            metadataMaster {
              version
              metadata
              entityType
              entity { id entityType ... on Campaign { name } }
            }
          }
        }
      `,
    );
    assert.equal(data.topCampaigns.length, 2);
    data.topCampaigns.forEach((campaign, i) => {
      const name = ['Top A', 'Top B'][i];
      assert.equal(campaign.id, ids[i]);
      assert.equal(campaign.name, name);
      assert.equal(campaign.impressions, impressionsOf(ids[i]));
      assert.equal(campaign.metadataMaster.version, 1);
      assert.equal(campaign.metadataMaster.entityType, 'CAMPAIGN');
      assert.equal(campaign.metadataMaster.metadata.rank, name);
      assert.equal(typeof campaign.metadataMaster.metadata.metadata_master_id, 'string');
      assert.deepEqual(campaign.metadataMaster.entity, { id: ids[i], entityType: 'CAMPAIGN', name });
    });

    // A reference the metadata subgraph does not know resolves to null in `_entities`; with
    // `name: String!` in `[Campaign!]!` that nulls the whole (nullable) data.
    analytics.tracked.splice(0, analytics.tracked.length, '00000000-0000-7000-8000-000000000000');
    const unknown = await graphql(gatewayUrl, '{ topCampaigns { id name } }');
    assert.equal(unknown.data, null, JSON.stringify(unknown));
  });
});
