/**
 * Reaching a running Todo server from outside (what the stdio MCP server does): Connect over HTTP/1.1
 * to its public origin (`bun start`'s port or the edge of `start:services`), as one user, with either
 * an access token or an e-mail and password signed in through `AuthService.SignIn`. With a password,
 * an expired token is replaced by signing in again, so a long-running MCP client keeps working.
 */
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";

/** Where the server is and who to be. */
export interface RemoteOptions {
  /** The server's HTTP/1.1 origin, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** An access token (from SignIn/SignUp); wins over e-mail and password. */
  readonly token?: string;
  readonly email?: string;
  readonly password?: string;
  /** A deadline for each call; default 15 s. */
  readonly timeoutMs?: number;
}

/** Clients that act as one user, and who that user is. */
export interface RemoteSession {
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  readonly userId: string;
  readonly email: string;
  /** The user's IANA time zone. */
  readonly timeZone: string;
}

/** The settings of the stdio server from its environment: `TODO_URL`, `TODO_TOKEN`, `TODO_EMAIL`, `TODO_PASSWORD`. */
export function remoteOptionsFromEnv(env: Record<string, string | undefined> = process.env): RemoteOptions {
  return {
    url: env.TODO_URL || "http://127.0.0.1:8080",
    token: env.TODO_TOKEN || undefined,
    email: env.TODO_EMAIL || undefined,
    password: env.TODO_PASSWORD || undefined,
  };
}

/**
 * Signs in (when needed), checks the token with `AuthService.GetCurrentUser`, and returns clients
 * acting as that user. Throws an error saying what to fix when there are no credentials, the server
 * is unreachable, or the credentials are refused.
 */
export async function connectRemote(options: RemoteOptions): Promise<RemoteSession> {
  const { email, password } = options;
  if (!options.token && !(email && password))
    throw new Error("no credentials: set TODO_TOKEN, or TODO_EMAIL and TODO_PASSWORD");
  const base = {
    baseUrl: options.url,
    httpVersion: "1.1" as const,
    defaultTimeoutMs: options.timeoutMs ?? 15_000,
  };
  const auth = createClient(AuthService, createConnectTransport(base));
  const signIn = async (): Promise<string> => {
    if (!email || !password) throw new Error("cannot sign in again without TODO_EMAIL and TODO_PASSWORD");
    return (await auth.signIn({ email, password })).accessToken;
  };
  let token = options.token ?? "";
  let renewing: Promise<string> | undefined;

  // Sends the current token; with a password, signs in again once when the token was refused.
  const bearer: Interceptor = (next) => async (req) => {
    const sent = token;
    req.header.set("authorization", `Bearer ${sent}`);
    try {
      return await next(req);
    } catch (err) {
      const refused = err instanceof ConnectError && err.code === Code.Unauthenticated;
      if (!refused || options.token || !email || req.stream) throw err;
      if (token === sent) {
        renewing ??= signIn().finally(() => {
          renewing = undefined;
        });
        token = await renewing;
      }
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    }
  };
  const transport = createConnectTransport({ ...base, interceptors: [bearer] });
  let user: Awaited<ReturnType<Client<typeof AuthService>["getCurrentUser"]>>["user"];
  try {
    if (!token) token = await signIn();
    user = (await createClient(AuthService, transport).getCurrentUser({})).user;
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated)
      throw new Error(`${options.url} refused the credentials: ${err.rawMessage}`);
    throw new Error(
      `cannot reach Todo at ${options.url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    tasks: createClient(TaskService, transport),
    tags: createClient(TagService, transport),
    userId: user?.id ?? "",
    email: user?.email ?? email ?? "",
    timeZone: user?.timeZone || "UTC",
  };
}
