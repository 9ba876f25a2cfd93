/**
 * The app's one transport: Connect over HTTP/1.1 to the origin that served the page (bun start or the
 * edge), with the signed-in user's token on every call. Provided through Solid context so components
 * and tests can swap it.
 */
import type { DescService } from "@bufbuild/protobuf";
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createContext, type JSX, useContext } from "solid-js";

/** The calls whose UNAUTHENTICATED answer means "wrong password", not "your session ended". */
const SIGN_IN_CALLS = new Set(["todo.identity.v1.AuthService/SignIn", "todo.identity.v1.AuthService/SignUp"]);

/**
 * Calls `onUnauthenticated` whenever any call (unary or a stream, at any point of it) fails with
 * UNAUTHENTICATED — the token expired or was revoked — so the app can sign out wherever it happens.
 */
export function unauthenticatedInterceptor(onUnauthenticated: () => void): Interceptor {
  const check = (name: string, err: unknown) => {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated && !SIGN_IN_CALLS.has(name)) {
      onUnauthenticated();
    }
  };
  return (next) => async (req) => {
    const name = `${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      if (!res.stream) return res;
      const inner = res.message;
      async function* watched() {
        try {
          yield* inner;
        } catch (err) {
          check(name, err);
          throw err;
        }
      }
      return { ...res, message: watched() };
    } catch (err) {
      check(name, err);
      throw err;
    }
  };
}

/**
 * Creates the browser transport; `token` is read on every call so sign-in/out take effect at once.
 * `onUnauthenticated` runs when the server rejects the token (see {@link unauthenticatedInterceptor}).
 */
export function createAppTransport(
  token: () => string | undefined,
  baseUrl = window.location.origin,
  onUnauthenticated?: () => void,
): Transport {
  const auth: Interceptor = (next) => (req) => {
    const t = token();
    if (t) req.header.set("authorization", `Bearer ${t}`);
    return next(req);
  };
  const interceptors = onUnauthenticated ? [unauthenticatedInterceptor(onUnauthenticated), auth] : [auth];
  return createConnectTransport({ baseUrl, interceptors, useBinaryFormat: true });
}

const TransportContext = createContext<Transport>();

/** Provides `transport` to everything below. */
export function TransportProvider(props: { transport: Transport; children: JSX.Element }): JSX.Element {
  return <TransportContext.Provider value={props.transport}>{props.children}</TransportContext.Provider>;
}

/** A typed client of `service` on the app's transport. */
export function useClient<S extends DescService>(service: S): Client<S> {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error("useClient outside <TransportProvider>");
  return createClient(service, transport);
}

/**
 * A client of a service whose generated code is imported on first use: `load` is a dynamic
 * `import()` of its `_pb` module. Each generated file decodes and registers its descriptors when it
 * is evaluated, so the services the first screen does not call (tags, notifications, sign-in)
 * stay out of the initial JavaScript and out of its start-up time. A failed import is tried again
 * on the next call.
 */
export function useLazyClient<S extends DescService>(load: () => Promise<S>): () => Promise<Client<S>> {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error("useLazyClient outside <TransportProvider>");
  return lazyClient(load, transport);
}

/** {@link useLazyClient} on a given transport. */
export function lazyClient<S extends DescService>(
  load: () => Promise<S>,
  transport: Transport,
): () => Promise<Client<S>> {
  let client: Promise<Client<S>> | undefined;
  return () => {
    client ??= load().then(
      (service) => createClient(service, transport),
      (err: unknown) => {
        client = undefined;
        throw err;
      },
    );
    return client;
  };
}

/** A server stream whose client comes from a promise (see {@link useLazyClient}). */
export async function* lazyStream<T>(open: () => Promise<AsyncIterable<T>>): AsyncIterable<T> {
  yield* await open();
}
