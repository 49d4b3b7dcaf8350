// Hive Gateway configuration for the metadata-synergy supergraph (used by the gateway test
// suite through the `hive-gateway` CLI, and shown in README.md).
//
//   npx hive-gateway supergraph supergraph.graphql --host 127.0.0.1 --port 4000
//
// Queries and mutations go to each subgraph over HTTP (the URL in the supergraph); the
// "metadata" subgraph's subscriptions go over WebSocket (graphql-transport-ws) to `/ws`, resolved
// against that URL: http://127.0.0.1:4001/graphql -> ws://127.0.0.1:4001/ws.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  transportEntries: {
    metadata: {
      options: {
        subscriptions: {
          kind: 'ws',
          location: '/ws',
        },
      },
    },
  },
});
