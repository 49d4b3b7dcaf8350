// Forwarding the client's `Authorization` header through @apollo/gateway: Apollo Server puts
// the incoming header into the request context, and a RemoteGraphQLDataSource copies it onto
// every subgraph fetch made for that request. The subgraphs check the token themselves.
//
//   const gateway = new ApolloGateway({
//     supergraphSdl: ...,
//     buildService: ({ url }) => new AuthForwardingDataSource({ url }),
//   });
//   await startStandaloneServer(new ApolloServer({ gateway }), { context: authorizationContext });

import { RemoteGraphQLDataSource } from '@apollo/gateway';

/** Apollo Server `context` function: the client's `authorization` header, if it sent one. */
export async function authorizationContext({ req }) {
  return { authorization: req.headers.authorization };
}

export class AuthForwardingDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    // The gateway's own requests (IntrospectAndCompose's `_service { sdl }`, the health check)
    // have no client and so an empty context: they go out without a token.
    if (context?.authorization) {
      request.http.headers.set('authorization', context.authorization);
    }
  }
}
