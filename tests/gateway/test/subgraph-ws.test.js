// A graphql-ws client (graphql-transport-ws subprotocol) subscribed to the subgraph directly at
// /ws: metadataChanged for every write path, translationsUpdated when the in-process
// localization worker writes translations.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CREATE_CAMPAIGN,
  PATCH_CAMPAIGN_METADATA,
  campaignInput,
  collect,
  graphqlOk,
  startSubgraph,
  waitUntil,
  wsClient,
} from '../lib/harness.js';

const METADATA_CHANGED = /* GraphQL */ `
  subscription { metadataChanged { kind entityType entityId masterId version origin } }
`;
const TRANSLATIONS_UPDATED = /* GraphQL */ `
  subscription Translations($entityType: EntityType) {
    translationsUpdated(entityType: $entityType) {
      entityType entityId masterId locale changedKeys translations version provider
    }
  }
`;

describe('graphql-ws client on the subgraph /ws', () => {
  let subgraph;
  let client;

  before(async () => {
    subgraph = await startSubgraph({ label: 'ws' });
    console.log(`subgraph on ${subgraph.base} (${subgraph.kind})`);
  });

  after(async () => {
    await client?.dispose();
    await subgraph?.stop();
  });

  test('the subgraph refuses a GET mutation and answers /health', async () => {
    const health = await fetch(`${subgraph.base}/health`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
    const get = await fetch(
      `${subgraph.url}?query=${encodeURIComponent('mutation { deleteCampaign(id: "00000000-0000-0000-0000-000000000000") }')}`,
      { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) },
    );
    assert.equal(get.status, 405, 'GET never runs a mutation');
  });

  test('metadataChanged and translationsUpdated arrive for a campaign created over HTTP', async () => {
    client = await wsClient(subgraph.wsUrl);
    const translations = collect(client, TRANSLATIONS_UPDATED, { entityType: 'CAMPAIGN' });
    const changes = collect(client, METADATA_CHANGED);

    // Prove the subscriptions are live before the write under test: patch a sentinel until its
    // change comes through (no race between `subscribe` and the first event).
    const sentinel = (await graphqlOk(subgraph.url, CREATE_CAMPAIGN, { input: { name: 'sentinel' } }))
      .createCampaign;
    let round = 0;
    await waitUntil(
      'a metadataChanged event for the sentinel',
      async () => {
        changes.assertAlive();
        round += 1;
        await graphqlOk(subgraph.url, PATCH_CAMPAIGN_METADATA, { id: sentinel.id, patch: { round } });
        return changes.results.some((r) => r.metadataChanged.entityId === sentinel.id);
      },
      { timeoutMs: 15_000, intervalMs: 300 },
    );

    const { createCampaign: campaign } = await graphqlOk(subgraph.url, CREATE_CAMPAIGN, {
      input: campaignInput('Spring sale (ws)'),
    });
    // Not necessarily 1: the field is read after the commit, and the worker may already have
    // written the translations (version 2) by then. The CREATED event below carries version 1.
    assert.ok(campaign.metadataMaster.version >= 1);

    const created = await changes.waitFor(
      (r) => r.metadataChanged.entityId === campaign.id && r.metadataChanged.kind === 'CREATED',
      10_000,
      'metadataChanged CREATED of the campaign',
    );
    assert.deepEqual(created.metadataChanged, {
      kind: 'CREATED',
      entityType: 'CAMPAIGN',
      entityId: campaign.id,
      masterId: campaign.metadataMaster.id,
      version: 1,
      origin: 'API',
    });

    const update = await translations.waitFor(
      (r) => r.translationsUpdated.entityId === campaign.id && r.translationsUpdated.locale === 'es',
      20_000,
      'translationsUpdated for locale es',
    );
    const t = update.translationsUpdated;
    assert.equal(t.entityType, 'CAMPAIGN');
    assert.equal(t.masterId, campaign.metadataMaster.id);
    assert.equal(t.provider, 'pseudo');
    assert.ok(t.version > 1, `the worker's write bumps the version (got ${t.version})`);
    assert.deepEqual([...t.changedKeys].sort(), ['body.cta', 'title']);
    assert.equal(typeof t.translations.title, 'string');
    assert.notEqual(t.translations.title, 'Hello {name}', 'the title is translated');
    assert.match(t.translations.title, /\{name\}/, 'the placeholder survives translation');
    assert.equal(typeof t.translations.body?.cta, 'string');
    // The document only targets "es": no other locale of this campaign is announced.
    assert.ok(
      !translations.results.some((r) => r.translationsUpdated.entityId === campaign.id && r.translationsUpdated.locale !== 'es'),
    );

    // The worker's write is itself a metadata change, with origin LOCALIZATION.
    await changes.waitFor(
      (r) =>
        r.metadataChanged.entityId === campaign.id &&
        r.metadataChanged.origin === 'LOCALIZATION' &&
        r.metadataChanged.version === t.version,
      10_000,
      'metadataChanged with origin LOCALIZATION',
    );

    // A merge patch over HTTP: UPDATED with the next version.
    const patched = await graphqlOk(subgraph.url, PATCH_CAMPAIGN_METADATA, {
      id: campaign.id,
      patch: { channel: 'sms' },
    });
    const version = patched.updateEntityMetadata.master.version;
    const updated = await changes.waitFor(
      (r) => r.metadataChanged.entityId === campaign.id && r.metadataChanged.version === version,
      10_000,
      `metadataChanged to version ${version}`,
    );
    assert.equal(updated.metadataChanged.kind, 'UPDATED');
    assert.equal(updated.metadataChanged.origin, 'API');

    translations.stop();
    changes.stop();
  });
});
