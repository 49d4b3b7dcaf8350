// Composition of the checked-in schema.graphql with the analytics peer: must succeed (any error
// fails), hints are printed; and a peer whose SDL clashes with ours must make it fail, which
// proves this suite catches a broken SDL.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildSchema } from 'graphql';

import { ANALYTICS_SDL } from '../lib/analytics.js';
import { compose, composeOrThrow } from '../lib/compose.js';
import { readSchema, SCHEMA_PATH } from '../lib/harness.js';

const METADATA = { name: 'metadata', url: 'http://127.0.0.1:4001/graphql' };
const ANALYTICS = { name: 'analytics', url: 'http://127.0.0.1:4002/graphql', sdl: ANALYTICS_SDL };

describe('composition', () => {
  test(`schema.graphql (${SCHEMA_PATH}) composes with the analytics peer without errors`, () => {
    const sdl = readSchema();
    const supergraphSdl = composeOrThrow([{ ...METADATA, sdl }, ANALYTICS]);

    // The supergraph has both subgraphs' fields on the one Campaign entity.
    assert.match(supergraphSdl, /@join__graph\(name: "metadata", url: "http:\/\/127\.0\.0\.1:4001\/graphql"\)/);
    assert.match(supergraphSdl, /@join__graph\(name: "analytics"/);
    assert.match(supergraphSdl, /type Campaign implements MetadataEntity[^{]*@join__type\(graph: ANALYTICS, key: "id"\)/);
    assert.match(supergraphSdl, /type MetadataMaster[^{]*@join__type\(graph: METADATA, key: "entityType entityId"\)/);

    // The supergraph SDL is self-contained (it defines the join__/link directives).
    const api = buildSchema(supergraphSdl);
    const campaign = api.getType('Campaign').getFields();
    for (const field of ['id', 'name', 'metadata', 'metadataMaster', 'impressions']) {
      assert.ok(campaign[field], `Campaign.${field} in the supergraph`);
    }
    assert.ok(api.getQueryType().getFields().topCampaigns, 'Query.topCampaigns');
    assert.ok(api.getQueryType().getFields().campaign, 'Query.campaign');
    assert.ok(api.getMutationType().getFields().createCampaign, 'Mutation.createCampaign');
    assert.ok(api.getMutationType().getFields().trackCampaign, 'Mutation.trackCampaign');
  });

  test('the supergraph has the Subscription root with translationsUpdated and metadataChanged', () => {
    // A gateway only routes subscriptions the subgraph's federation SDL declares: without the
    // Subscription type in `_service { sdl }` (= schema.graphql), no supergraph composed from
    // it can subscribe, even though the subgraph serves them on /ws.
    const supergraphSdl = composeOrThrow([{ ...METADATA, sdl: readSchema() }, ANALYTICS], {
      printHints: false,
    });
    const subscription = buildSchema(supergraphSdl).getSubscriptionType();
    assert.ok(
      subscription,
      'schema.graphql (the subgraph\'s `_service { sdl }`) has no Subscription type, so the ' +
        'composed supergraph has none: the subgraph serves subscriptions on /ws but does not publish ' +
        'them to federation, so no gateway can route them (async-graphql publishes them only with ' +
        '`SchemaBuilder::enable_subscription_in_federation()`)',
    );
    const fields = subscription.getFields();
    assert.ok(fields.translationsUpdated, 'Subscription.translationsUpdated');
    assert.ok(fields.metadataChanged, 'Subscription.metadataChanged');
  });

  test('a peer with a non-shareable clash on Campaign.name makes composition fail', () => {
    const clashing = {
      name: 'clash',
      url: 'http://127.0.0.1:4003/graphql',
      sdl: /* GraphQL */ `
        extend schema
          @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
        scalar UUID
        type Campaign @key(fields: "id") {
          id: UUID!
          name: String!
        }
        type Query {
          clashingCampaigns: [Campaign!]!
        }
      `,
    };
    const { errors, supergraphSdl } = compose([{ ...METADATA, sdl: readSchema() }, clashing], {
      printHints: false,
    });
    assert.equal(supergraphSdl, undefined, 'no supergraph from a clashing peer');
    assert.ok(errors.length > 0, 'composition reports errors');
    const codes = errors.map((error) => error.extensions?.code);
    assert.ok(
      codes.includes('INVALID_FIELD_SHARING'),
      `expected INVALID_FIELD_SHARING, got ${JSON.stringify(codes)}: ${errors.map((e) => e.message).join('; ')}`,
    );
    assert.match(errors.map((e) => e.message).join('\n'), /Campaign\.name/);
    assert.throws(
      () => composeOrThrow([{ ...METADATA, sdl: readSchema() }, clashing], { printHints: false }),
      /composition failed with \d+ error\(s\)[\s\S]*INVALID_FIELD_SHARING/,
    );
  });

  test('a broken schema.graphql (our Campaign.name clashing with the peer) would fail the positive test', () => {
    // The same clash from the other side: the peer declares Campaign.name, ours unchanged. This
    // is exactly what the positive test runs (composeOrThrow on the file's text), so a
    // schema.graphql edit that introduces such a clash fails this suite.
    const peerWithName = {
      ...ANALYTICS,
      sdl: ANALYTICS_SDL.replace('impressions: Int!', 'impressions: Int!\n    name: String!'),
    };
    assert.throws(
      () => composeOrThrow([{ ...METADATA, sdl: readSchema() }, peerWithName], { printHints: false }),
      /INVALID_FIELD_SHARING[\s\S]*Campaign\.name/,
    );
    // And an SDL that does not parse fails too.
    assert.throws(() =>
      composeOrThrow([{ ...METADATA, sdl: readSchema().replace('type Campaign', 'type Campaign {') }, ANALYTICS]),
    );
  });
});
