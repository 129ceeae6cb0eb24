/** The one path of the API: GraphQL over HTTP and the WebSocket upgrade (graphql-transport-ws). */
export const GRAPHQL_PATH = '/graphql';
