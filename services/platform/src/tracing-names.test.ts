/**
 * Every span attribute key the platform writes is one the OpenTelemetry semantic conventions
 * (`@opentelemetry/semantic-conventions` 1.45, stable and incubating) define, or ours (`todo.*`),
 * so a typo cannot ship and a tool reading the conventions finds them.
 */
import { describe, expect, test } from "bun:test";
import * as stable from "@opentelemetry/semantic-conventions";
import * as incubating from "@opentelemetry/semantic-conventions/incubating";
import { ClientSpanAttributes } from "./tracing-client";
import { DbSpanAttributes } from "./tracing-db";
import { HttpSpanAttributes } from "./tracing-http";
import { JobSpanAttributes } from "./tracing-jobs";
import { MessagingSpanAttributes } from "./tracing-messaging";
import { RpcSpanAttributes } from "./tracing-rpc";

const keysOf = (module: Record<string, unknown>) =>
  Object.entries(module)
    .filter(([name, value]) => name.startsWith("ATTR_") && typeof value === "string")
    .map(([, value]) => value as string);

const stableKeys = new Set(keysOf(stable));
const conventionKeys = new Set([...stableKeys, ...keysOf(incubating)]);

describe("span attribute names", () => {
  test("RPC, messaging, database, HTTP and client attributes are the conventions' own", () => {
    for (const table of [
      RpcSpanAttributes,
      MessagingSpanAttributes,
      DbSpanAttributes,
      HttpSpanAttributes,
      ClientSpanAttributes,
    ]) {
      for (const key of Object.values(table))
        expect({ key, known: conventionKeys.has(key) }).toEqual({ key, known: true });
    }
  });

  test("the current names of the stable RPC and database conventions are there", () => {
    for (const key of [
      stable.ATTR_RPC_SYSTEM_NAME,
      stable.ATTR_RPC_METHOD,
      stable.ATTR_RPC_STATUS_CODE,
      stable.ATTR_SERVER_ADDRESS,
      stable.ATTR_SERVER_PORT,
    ])
      expect(Object.values(RpcSpanAttributes)).toContain(key);
    for (const key of [
      stable.ATTR_DB_SYSTEM_NAME,
      stable.ATTR_DB_OPERATION_NAME,
      stable.ATTR_DB_QUERY_SUMMARY,
      stable.ATTR_DB_QUERY_TEXT,
      stable.ATTR_DB_NAMESPACE,
      stable.ATTR_DB_RESPONSE_STATUS_CODE,
    ])
      expect(Object.values(DbSpanAttributes)).toContain(key);
    for (const key of [
      stable.ATTR_HTTP_REQUEST_METHOD,
      stable.ATTR_HTTP_RESPONSE_STATUS_CODE,
      stable.ATTR_HTTP_ROUTE,
      stable.ATTR_URL_FULL,
      stable.ATTR_URL_PATH,
      stable.ATTR_URL_SCHEME,
      stable.ATTR_ERROR_TYPE,
    ])
      expect(Object.values(HttpSpanAttributes)).toContain(key);
    for (const key of [
      incubating.ATTR_MESSAGING_SYSTEM,
      incubating.ATTR_MESSAGING_OPERATION_TYPE,
      incubating.ATTR_MESSAGING_DESTINATION_NAME,
      incubating.ATTR_MESSAGING_CONSUMER_GROUP_NAME,
      incubating.ATTR_MESSAGING_DESTINATION_PARTITION_ID,
      incubating.ATTR_KAFKA_OFFSET,
      incubating.ATTR_KAFKA_MESSAGE_KEY,
    ])
      expect(Object.values(MessagingSpanAttributes)).toContain(key);
  });

  test("job attributes, for which there is no convention, are ours", () => {
    for (const key of Object.values(JobSpanAttributes)) {
      expect(key.startsWith("todo.job.")).toBe(true);
      expect(conventionKeys.has(key)).toBe(false);
    }
  });
});
