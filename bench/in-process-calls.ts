/**
 * The per-call cost of authenticating an in-process call (`bun bench/in-process-calls.ts`), free of
 * the database: unary calls through `createInProcessTransport` (the whole server interceptor chain)
 * to a handler that only reads its caller, made either with a bearer token only — how in-process
 * calls were authenticated before the principal hand-over (the token is cached by the caller and
 * its verification by the token service, so this is the steady state, not the first call) — or with
 * `createActingAs` options, whose principal the transport hands over without a token. Prints the
 * mean µs per call and calls/s of each, measured in alternating rounds.
 */
import { type CallOptions, Code, ConnectError, createClient } from "@connectrpc/connect";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createTokenService, principalOf } from "@todo/platform";
import { createActingAs, createInProcessTransport, defineService } from "@todo/platform/serving";

const CALLS = 50_000;
const ROUNDS = 6;

const tokens = createTokenService({
  secret: "in-process-bench-secret-0123456789abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 600,
});
const user = { userId: "0190a000-0000-7000-8000-00000000000c", email: "", timeZone: "UTC" };
const unimplemented = async (): Promise<never> => {
  throw new ConnectError("not here", Code.Unimplemented);
};
const registration = defineService(TagService, {
  async listTags(_req, ctx) {
    return { tags: [{ id: principalOf(ctx).userId }], nextPageToken: "" };
  },
  createTag: unimplemented,
  updateTag: unimplemented,
  deleteTag: unimplemented,
});
const client = createClient(TagService, createInProcessTransport({ services: [registration], tokens }));
const actingAs = createActingAs(tokens);
const handedOver = await actingAs(user);
const tokenOnly = { headers: new Headers(handedOver.headers) }; // the same bearer token, no hand-over

async function microsPerCall(options: CallOptions): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const res = await client.listTags({}, options);
    if (res.tags[0]?.id !== user.userId) throw new Error("wrong caller");
  }
  return ((performance.now() - start) * 1000) / CALLS;
}

await microsPerCall(tokenOnly); // warm up both paths
await microsPerCall(await actingAs(user));
const results = { token: [] as number[], handOver: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  results.token.push(await microsPerCall(tokenOnly));
  results.handOver.push(await microsPerCall(await actingAs(user)));
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const [name, xs] of Object.entries(results)) {
  const us = mean(xs);
  console.log(`${name.padEnd(9)} ${us.toFixed(2)} µs/call  ${Math.round(1e6 / us)} calls/s`);
}
const saved = mean(results.token) - mean(results.handOver);
console.log(`saved     ${saved.toFixed(2)} µs/call (${((saved / mean(results.token)) * 100).toFixed(1)}%)`);
