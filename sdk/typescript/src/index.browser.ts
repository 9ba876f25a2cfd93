/**
 * `@todo/sdk` for browsers and every other runtime with `fetch` (the `browser` and `default`
 * export conditions): the transports come from `@connectrpc/connect-web`, so a bundle never
 * imports a Node module. Browsers cannot speak gRPC itself (fetch exposes no HTTP/2 trailers):
 * use `connect` or `grpc-web`.
 */
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { buildTodoClient, type TodoClient, type TodoClientOptions, type TransportFactory } from "./client.js";

export * from "./exports.js";

const webTransport: TransportFactory = (name, baseUrl, interceptors) => {
  switch (name) {
    case "grpc":
      throw new TypeError(
        'createTodoClient: browsers cannot speak gRPC (fetch exposes no HTTP/2 trailers); use transport "connect" or "grpc-web"',
      );
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors });
    case "connect":
      return createConnectTransport({ baseUrl, interceptors });
  }
};

/**
 * A client for the Todo API at `options.baseUrl`: `client.tasks.createTask({ task })`,
 * `client.listAllTasks({ filter })`, `for await (const change of client.watchTasks())`.
 */
export function createTodoClient(options: TodoClientOptions): TodoClient {
  return buildTodoClient(options, webTransport);
}
