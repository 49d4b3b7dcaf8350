// Hive Gateway (@graphql-hive/gateway) as a second gateway, run the way it is deployed: its
// `hive-gateway` CLI with the checked-in `tests/gateway/gateway.config.ts` (the example in the
// README) on a supergraph composed from schema.graphql and the analytics peer (lib/hive.js).
// The subgraph runs without authentication here; test/auth-hive-gateway.test.js runs the same
// config in front of a subgraph that checks bearer tokens.
//
// gateway.config.ts gives the "metadata" subgraph a WebSocket transport entry for
// subscriptions (`{ kind: "ws", location: "/ws" }` -> ws://127.0.0.1:<port>/ws). Clients reach
// the gateway's subscriptions two ways, both tested here: graphql-ws (graphql-transport-ws
// subprotocol) on its GraphQL path, ws://127.0.0.1:<port>/graphql, and Server-Sent Events
// (POST /graphql with `accept: text/event-stream`).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { impressionsOf, startAnalytics } from '../lib/analytics.js';
import {
  campaignInput,
  collect,
  graphqlOk,
  startSubgraph,
  waitUntil,
  wsClient,
} from '../lib/harness.js';
import { sse, startHiveGateway } from '../lib/hive.js';

const TRANSLATIONS_UPDATED = /* GraphQL */ `
  subscription ($entityType: EntityType) {
    translationsUpdated(entityType: $entityType) {
      entityType entityId masterId locale changedKeys translations version provider
    }
  }
`;
const CREATE = /* GraphQL */ `
  mutation ($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id name impressions metadataMaster { id version } }
  }
`;

describe('Hive Gateway over metadata + analytics', () => {
  let subgraph;
  let analytics;
  let gateway;
  let client;

  function assertSupergraphHasSubscriptions() {
    assert.ok(
      /^type Subscription\b/m.test(gateway.supergraphSdl),
      'the supergraph has no Subscription type because schema.graphql (the subgraph\'s ' +
        '`_service { sdl }`) publishes none: the gateway cannot route subscriptions to the subgraph',
    );
  }

  before(async () => {
    [subgraph, analytics] = await Promise.all([startSubgraph({ label: 'hive' }), startAnalytics()]);
    console.log(`subgraph on ${subgraph.base} (${subgraph.kind}), analytics on ${analytics.url}`);
    const started = Date.now();
    gateway = await startHiveGateway(subgraph, analytics);
    console.log(`Hive Gateway on ${gateway.url} (ready in ${Date.now() - started} ms)`);
  });

  after(async () => {
    await client?.dispose();
    const stopping = Date.now();
    await gateway?.stop();
    console.log(`Hive Gateway stopped in ${Date.now() - stopping} ms`);
    await analytics?.stop();
    await subgraph?.stop();
  });

  test('queries and mutations across both subgraphs, in both directions', async () => {
    const { createCampaign: created } = await graphqlOk(gateway.url, CREATE, {
      input: { name: 'Hive launch', metadata: { channel: 'email' } },
    });
    assert.equal(created.impressions, impressionsOf(created.id));

    const { campaign } = await graphqlOk(gateway.url, 'query ($id: UUID!) { campaign(id: $id) { name impressions } }', {
      id: created.id,
    });
    assert.deepEqual(campaign, { name: 'Hive launch', impressions: impressionsOf(created.id) });

    await graphqlOk(gateway.url, 'mutation ($id: UUID!) { trackCampaign(id: $id) { id } }', { id: created.id });
    const patched = await graphqlOk(
      gateway.url,
      /* GraphQL */ `
        mutation ($id: UUID!) {
          updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: { channel: "sms" }) {
            master { version }
          }
        }
      `,
      { id: created.id },
    );
    assert.equal(patched.updateEntityMetadata.master.version, 2);

    const { topCampaigns } = await graphqlOk(
      gateway.url,
      '{ topCampaigns { id name metadataMaster { version metadata entity { id } } } }',
    );
    assert.equal(topCampaigns.length, 1);
    assert.equal(topCampaigns[0].id, created.id);
    assert.equal(topCampaigns[0].name, 'Hive launch');
    assert.equal(topCampaigns[0].metadataMaster.version, 2);
    assert.equal(topCampaigns[0].metadataMaster.metadata.channel, 'sms');
    assert.deepEqual(topCampaigns[0].metadataMaster.entity, { id: created.id });
  });

  test('translationsUpdated subscription over WebSocket through the gateway', async () => {
    assertSupergraphHasSubscriptions();
    client = await wsClient(gateway.wsUrl);
    const updates = collect(client, TRANSLATIONS_UPDATED, { entityType: 'CAMPAIGN' });

    // The gateway opens its upstream WebSocket to the subgraph when the first subscription
    // arrives; prove the whole chain is live with a sentinel first (changing its script text
    // until a translation of it comes through), so the assertion below has no start-up race.
    const { createCampaign: sentinel } = await graphqlOk(gateway.url, CREATE, {
      input: campaignInput('Hive sentinel', 'Sentinel 0'),
    });
    const ofSentinel = (r) => r.translationsUpdated.entityId === sentinel.id;
    for (let round = 1; ; round += 1) {
      try {
        await updates.waitFor(ofSentinel, 4_000, 'a translationsUpdated of the sentinel through the gateway');
        break;
      } catch (error) {
        if (round === 5 || updates.results.length > 0 || !/timed out/.test(error.message)) throw error;
      }
      await graphqlOk(
        gateway.url,
        'mutation ($id: UUID!, $patch: JSON!) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: $patch) { master { version } } }',
        { id: sentinel.id, patch: { service_specific: { localization: { scripts: { title: `Sentinel ${round}` } } } } },
      );
    }

    // The campaign under test, created through the gateway.
    const { createCampaign: created } = await graphqlOk(gateway.url, CREATE, {
      input: campaignInput('Hive subscribed', 'Welcome {name}'),
    });
    const update = await updates.waitFor(
      (r) => r.translationsUpdated.entityId === created.id && r.translationsUpdated.locale === 'es',
      20_000,
      'translationsUpdated for locale es of the campaign created through the gateway',
    );
    const t = update.translationsUpdated;
    assert.equal(t.entityType, 'CAMPAIGN');
    assert.equal(t.masterId, created.metadataMaster.id);
    assert.equal(t.provider, 'pseudo');
    assert.ok(t.version > 1);
    assert.deepEqual([...t.changedKeys].sort(), ['body.cta', 'title']);
    assert.match(t.translations.title, /\{name\}/);
    assert.notEqual(t.translations.title, 'Welcome {name}');
    updates.stop();
  });
  test('translationsUpdated subscription over SSE through the gateway', async () => {
    assertSupergraphHasSubscriptions();
    const { createCampaign: created } = await graphqlOk(gateway.url, CREATE, {
      input: campaignInput('Hive SSE', 'Good morning {name}'),
    });
    // Wait for its first translation, so that the title change below is translated on its own.
    await waitUntil(
      'the first translation of the SSE campaign',
      async () => {
        const data = await graphqlOk(gateway.url, 'query ($id: UUID!) { campaign(id: $id) { translations(locale: "es") } }', {
          id: created.id,
        });
        return data.campaign.translations?.title;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const stream = await sse(
      gateway.url,
      'subscription ($id: UUID!) { translationsUpdated(entityType: CAMPAIGN, entityId: $id, locale: "es") { entityId locale changedKeys translations version } }',
      { id: created.id },
    );
    try {
      // Change the title until a translation of a new text comes through the stream (the first
      // change may land before the gateway's upstream subscription is open).
      let found;
      for (let round = 1; !found; round += 1) {
        const patched = await graphqlOk(
          gateway.url,
          'mutation ($id: UUID!, $patch: JSON!) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: $patch) { master { version } } }',
          { id: created.id, patch: { service_specific: { localization: { scripts: { title: `Good night {name} ${round}` } } } } },
        );
        // Events reach subscribers a little after their commit, so the stream may also carry
        // the first translation (both keys); ours is the one after the patch's version.
        const after = patched.updateEntityMetadata.master.version;
        found = await waitUntil(
          'an SSE event with the translated new title',
          () => {
            const failed = stream.events.find((e) => e.errors?.length);
            if (failed) throw Object.assign(new Error(`SSE error: ${JSON.stringify(failed.errors)}`), { fatal: true });
            return stream.events.find((e) => e.data?.translationsUpdated?.version > after);
          },
          { timeoutMs: 4_000, intervalMs: 100 },
        ).catch((error) => {
          if (round >= 5 || error.fatal) throw error;
        });
      }
      assert.equal(found.errors, undefined);
      const t = found.data.translationsUpdated;
      assert.equal(t.entityId, created.id);
      assert.equal(t.locale, 'es');
      assert.deepEqual(t.changedKeys, ['title']);
      assert.match(t.translations.title, /\{name\}/);
    } finally {
      await stream.close();
    }
  });
});
