/**
 * `@todo/sdk` for Node 20+ and Bun (the `node` and `bun` export conditions): the transports come
 * from `@connectrpc/connect-node` — Connect and gRPC-web over HTTP/1.1, gRPC over HTTP/2.
 */
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { buildTodoClient, type TodoClient, type TodoClientOptions, type TransportFactory } from "./client.js";

export * from "./exports.js";

const nodeTransport: TransportFactory = (name, baseUrl, interceptors) => {
  switch (name) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
};

/**
 * A client for the Todo API at `options.baseUrl`: `client.tasks.createTask({ task })`,
 * `client.listAllTasks({ filter })`, `for await (const change of client.watchTasks())`.
 */
export function createTodoClient(options: TodoClientOptions): TodoClient {
  return buildTodoClient(options, nodeTransport);
}
