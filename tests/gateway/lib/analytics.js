// "analytics": a peer subgraph written with @apollo/subgraph + @apollo/server. It extends our
// `Campaign @key(fields: "id")` with `impressions` (computed deterministically from the id, so
// the tests can predict it) and returns Campaign references from its own `topCampaigns` query
// (the ids the tests tracked with its `trackCampaign` mutation), so that a gateway has to
// resolve our fields on them through `_entities`.

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLScalarType, Kind, parse } from 'graphql';

export const ANALYTICS_SDL = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  scalar UUID

  "A campaign of the metadata subgraph, with this subgraph's numbers."
  type Campaign @key(fields: "id") {
    id: UUID!
    "How often the campaign was shown (deterministic from the id)."
    impressions: Int!
  }

  type Query {
    "The tracked campaigns, most recently tracked first."
    topCampaigns: [Campaign!]!
  }

  type Mutation {
    "Starts tracking a campaign; returns its reference."
    trackCampaign(id: UUID!): Campaign!
  }
`;

/** The impressions the peer reports for a campaign id: a pure function of the id. */
export function impressionsOf(id) {
  let sum = 0;
  for (const char of String(id).toLowerCase()) sum = (sum * 31 + char.charCodeAt(0)) % 1_000_003;
  return 1_000 + (sum % 9_000);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const UUID = new GraphQLScalarType({
  name: 'UUID',
  serialize: (value) => String(value),
  parseValue(value) {
    if (typeof value !== 'string' || !UUID_RE.test(value)) throw new TypeError(`not a UUID: ${value}`);
    return value.toLowerCase();
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !UUID_RE.test(ast.value)) throw new TypeError('not a UUID');
    return ast.value.toLowerCase();
  },
});

/**
 * Starts the peer on a free 127.0.0.1 port. Returns `{ url, tracked, stop }`; `tracked` is the
 * in-memory list `topCampaigns` returns (tests may also fill it directly).
 */
export async function startAnalytics() {
  const tracked = [];
  const resolvers = {
    UUID,
    Query: {
      topCampaigns: () => tracked.map((id) => ({ __typename: 'Campaign', id })),
    },
    Mutation: {
      trackCampaign: (_, { id }) => {
        tracked.unshift(id);
        return { __typename: 'Campaign', id };
      },
    },
    Campaign: {
      __resolveReference: (reference) => ({ id: reference.id }),
      impressions: (campaign) => impressionsOf(campaign.id),
    },
  };
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: parse(ANALYTICS_SDL), resolvers }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  // startStandaloneServer passes `listen` to http.Server#listen: bind loopback, any free port.
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url, // e.g. http://127.0.0.1:40123/
    tracked,
    stop: () => server.stop(),
  };
}
