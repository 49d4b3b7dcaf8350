// Apollo federated tracing: @apollo/gateway asks the subgraph for inline traces
// (`apollo-federation-include-trace: ftv1`) when the request captures traces, as usage
// reporting does, and decodes `extensions.ftv1` with Apollo's own protobuf into its query
// plan trace. A plugin turns trace capture on and keeps that decoded trace.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { IntrospectAndCompose, ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

import { CREATE_CAMPAIGN, campaignInput, graphqlOk, startSubgraph } from '../lib/harness.js';

describe('inline traces (ftv1) through @apollo/gateway', () => {
  let subgraph;
  let server;
  let gatewayUrl;
  const planTraces = [];

  before(async () => {
    subgraph = await startSubgraph({ label: 'ftv1' });
    const captureTraces = {
      async requestDidStart(requestContext) {
        requestContext.metrics.captureTraces = true;
        return {
          async willSendResponse(requestContext) {
            planTraces.push(requestContext.metrics.queryPlanTrace);
          },
        };
      },
    };
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({ subgraphs: [{ name: 'metadata', url: subgraph.url }] }),
    });
    server = new ApolloServer({ gateway, plugins: [captureTraces] });
    ({ url: gatewayUrl } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } }));
  });

  after(async () => {
    await server?.stop();
    await subgraph?.stop();
  });

  test('the gateway decodes the subgraph trace: fields, timing, list indexes, errors', async () => {
    await graphqlOk(subgraph.url, CREATE_CAMPAIGN, { input: campaignInput('Traced') });
    planTraces.length = 0;
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ campaigns(first: 1) { edges { node { id metadataMaster { version } } } }
                 missing: campaign(id: "not-a-uuid") { id } }`,
      }),
    });
    const body = await response.json();
    assert.equal(body.data.campaigns.edges.length, 1, JSON.stringify(body));
    assert.equal(body.extensions?.ftv1, undefined, 'the gateway does not pass the trace on');

    assert.equal(planTraces.length, 1);
    const fetchNode = planTraces[0].fetch;
    assert.ok(fetchNode, `a fetch node: ${JSON.stringify(planTraces[0])}`);
    assert.equal(fetchNode.serviceName, 'metadata');
    assert.equal(fetchNode.traceParsingFailed, false);
    const trace = fetchNode.trace;
    console.log('decoded subgraph trace:', JSON.stringify(trace.toJSON(), null, 2));
    assert.ok(Number(trace.durationNs) > 0);
    assert.ok(trace.startTime && trace.endTime);

    const child = (node, name) => node.child.find((c) => c.responseName === name);
    const campaigns = child(trace.root, 'campaigns');
    assert.equal(campaigns.parentType, 'Query');
    assert.equal(campaigns.type, 'CampaignConnection!');
    assert.ok(Number(campaigns.endTime) >= Number(campaigns.startTime));
    const edges = child(campaigns, 'edges');
    const first = edges.child.find((c) => c.index === 0);
    assert.ok(first, 'list elements are index nodes');
    const node = child(first, 'node');
    const version = child(child(node, 'metadataMaster'), 'version');
    assert.equal(version.parentType, 'MetadataMaster');
    assert.equal(version.type, 'Int!');
    const missing = child(trace.root, 'missing');
    assert.equal(missing.originalFieldName, 'campaign');
    assert.equal(missing.error.length, 1);
    assert.match(missing.error[0].message, /uuid/i);
  });
});
