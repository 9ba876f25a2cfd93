/**
 * The app's one transport: Connect over HTTP/1.1 to the origin that served the page (bun start or the
 * edge), with the signed-in user's token on every call. Provided through Solid context so components
 * and tests can swap it.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createContext, type JSX, useContext } from "solid-js";

/** Creates the browser transport; `token` is read on every call so sign-in/out take effect at once. */
export function createAppTransport(token: () => string | undefined, baseUrl = window.location.origin): Transport {
  const auth: Interceptor = (next) => (req) => {
    const t = token();
    if (t) req.header.set("authorization", `Bearer ${t}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl, interceptors: [auth], useBinaryFormat: true });
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
