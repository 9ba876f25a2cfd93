/**
 * Clients of the product as its users' programs hold them: connect-node transports speaking gRPC or
 * Connect, over h2c (each transport on an HTTP/2 connection of its own unless the connections are
 * shared) or, for Connect, over HTTP/1.1 as a browser does; and sign-up of a throwaway user. Every
 * HTTP/2 connection is remembered, so `close` ends them all. The benchmarks use the same class
 * (`bench/lib/clients.ts` re-exports it): a service may not import from bench/.
 */
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";

/** The wire protocols a client can speak to the servers. */
export type WireProtocol = "grpc" | "connect";

/** How the transports of a {@link GrpcClients} connect. */
export interface GrpcClientsOptions {
  /** One HTTP/2 connection per server, multiplexing every transport's calls (default: one each). */
  readonly shared?: boolean;
  /** `none`: the clients accept no compressed responses (default: connect-node's, gzip). */
  readonly compression?: "gzip" | "none";
  /** `grpc` (the default) or `connect`, the protocol of every transport. */
  readonly protocol?: WireProtocol;
  /** Connect only: `1.1` sends each call as an HTTP/1.1 request (a browser's way); default `2` (h2c). */
  readonly httpVersion?: "1.1" | "2";
}

/** A signed-up user: its id and access token. */
export interface SignedUp {
  readonly id: string;
  readonly token: string;
}

/** Adds `authorization: Bearer <token>` to every call. */
export function bearerToken(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** Transports to the services under test, and the connections they opened. */
export class GrpcClients {
  private readonly sessions: Http2SessionManager[] = [];
  private readonly sharedSessions = new Map<string, Http2SessionManager>();

  constructor(private readonly options: GrpcClientsOptions = {}) {}

  /** A transport to `baseUrl` (`http://host:port`) sending `token`, when given, as a bearer token. */
  transport(baseUrl: string, token?: string): Transport {
    const common = {
      baseUrl,
      ...(this.options.compression === "none" ? { acceptCompression: [] } : {}),
      interceptors: token ? [bearerToken(token)] : [],
    };
    if (this.options.protocol === "connect" && this.options.httpVersion === "1.1") {
      return createConnectTransport({ ...common, httpVersion: "1.1" });
    }
    let sessionManager = this.options.shared ? this.sharedSessions.get(baseUrl) : undefined;
    if (!sessionManager) {
      sessionManager = new Http2SessionManager(baseUrl);
      this.sessions.push(sessionManager);
      if (this.options.shared) this.sharedSessions.set(baseUrl, sessionManager);
    }
    return this.options.protocol === "connect"
      ? createConnectTransport({ ...common, httpVersion: "2", sessionManager })
      : createGrpcTransport({ ...common, sessionManager });
  }

  /** Signs up a new user `<label>-<random>@bench.example` at the identity service on `baseUrl`. */
  async signUp(baseUrl: string, label: string, timeZone: string): Promise<SignedUp> {
    const res = await createClient(AuthService, this.transport(baseUrl)).signUp({
      email: `${label}-${crypto.randomUUID().slice(0, 8)}@bench.example`,
      password: "benchmark password",
      timeZone,
    });
    if (!res.user) throw new Error("SignUp returned no user");
    return { id: res.user.id, token: res.accessToken };
  }

  /** Ends every connection opened so far. */
  close(): void {
    for (const s of this.sessions) s.abort();
  }
}
