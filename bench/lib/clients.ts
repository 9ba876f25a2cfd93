/**
 * The benchmarks' gRPC clients: connect-node's gRPC transport over h2c (as the services' own clients
 * use it), each transport on an HTTP/2 connection of its own unless the connections are shared, and
 * sign-up of a throwaway user per client. Every connection is remembered, so `close` ends them all.
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { bearer } from "../../tests/integration/system";

/** How the transports of a {@link GrpcClients} connect. */
export interface GrpcClientsOptions {
  /** One HTTP/2 connection per server, multiplexing every transport's calls (default: one each). */
  readonly shared?: boolean;
  /** `none`: the clients accept no compressed responses (default: connect-node's, gzip). */
  readonly compression?: "gzip" | "none";
}

/** A signed-up user: its id and access token. */
export interface SignedUp {
  readonly id: string;
  readonly token: string;
}

/** Transports to the services under test, and the connections they opened. */
export class GrpcClients {
  private readonly sessions: Http2SessionManager[] = [];
  private readonly sharedSessions = new Map<string, Http2SessionManager>();

  constructor(private readonly options: GrpcClientsOptions = {}) {}

  /** A transport to `baseUrl` (`http://host:port`) sending `token`, when given, as a bearer token. */
  transport(baseUrl: string, token?: string): Transport {
    let sessionManager = this.options.shared ? this.sharedSessions.get(baseUrl) : undefined;
    if (!sessionManager) {
      sessionManager = new Http2SessionManager(baseUrl);
      this.sessions.push(sessionManager);
      if (this.options.shared) this.sharedSessions.set(baseUrl, sessionManager);
    }
    return createGrpcTransport({
      baseUrl,
      sessionManager,
      ...(this.options.compression === "none" ? { acceptCompression: [] } : {}),
      interceptors: token ? [bearer(token)] : [],
    });
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
