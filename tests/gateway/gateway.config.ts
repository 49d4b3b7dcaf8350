// Hive Gateway configuration for the metadata-synergy supergraph (used by the gateway test
// suite through the `hive-gateway` CLI, and shown in README.md).
//
//   npx hive-gateway supergraph supergraph.graphql --host 127.0.0.1 --port 4000
//
// Queries and mutations go to each subgraph over HTTP (the URL in the supergraph); the
// "metadata" subgraph's subscriptions go over WebSocket (graphql-transport-ws) to `/ws`, resolved
// against that URL: http://127.0.0.1:4001/graphql -> ws://127.0.0.1:4001/ws.
//
// The client's bearer token reaches the subgraphs, which check its scopes themselves:
// - over HTTP as the `authorization` header (`propagateHeaders.fromClientToSubgraphs`);
// - over the subgraph WebSocket in the `connection_init` payload, `{ Authorization }`
//   (`connectionParams`, interpolated from the context per subscription; the gateway keeps one
//   upstream connection per distinct payload, so clients with different tokens never share one).
// A client sends it as the `authorization` header (HTTP, SSE) or, over graphql-ws, in its own
// `connection_init` payload (`Authorization` or `authorization`) or on the upgrade request.
import { defineConfig } from '@graphql-hive/gateway';

/** The client's `Authorization` value: its graphql-ws connection_init payload, else its header. */
function clientAuthorization(context: {
  connectionParams?: Record<string, unknown>;
  request?: Request;
}): string | undefined {
  const params = context.connectionParams ?? {};
  const fromParams = params.Authorization ?? params.authorization;
  if (typeof fromParams === 'string' && fromParams) return fromParams;
  return context.request?.headers.get('authorization') ?? undefined;
}

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ context }) => ({ authorization: clientAuthorization(context) }),
  },
  // Puts the token where the WebSocket transport's `connectionParams` interpolation can read it
  // (`{context.clientAuthorization}`; an absent value leaves the key out of the payload).
  plugins: () => [
    {
      onContextBuilding({ context, extendContext }) {
        const authorization = clientAuthorization(context);
        if (authorization) extendContext({ clientAuthorization: authorization });
      },
    },
  ],
  transportEntries: {
    metadata: {
      options: {
        subscriptions: {
          kind: 'ws',
          location: '/ws',
          options: {
            connectionParams: { Authorization: '{context.clientAuthorization}' },
          },
        },
      },
    },
  },
});
