/**
 * The metric and attribute names are the semantic conventions' where one exists — checked against
 * the `@opentelemetry/semantic-conventions` release the platform ships, not against strings copied
 * here — and every name is documented in docs/metrics.md with the Prometheus name it is stored
 * under.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from "@opentelemetry/semantic-conventions";
import {
  ATTR_CPU_MODE,
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ATTR_DB_OPERATION_NAME,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_SYSTEM,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_CONNECTION_MAX,
  METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_NODEJS_EVENTLOOP_DELAY_MAX,
  METRIC_NODEJS_EVENTLOOP_DELAY_MEAN,
  METRIC_NODEJS_EVENTLOOP_DELAY_MIN,
  METRIC_NODEJS_EVENTLOOP_DELAY_P50,
  METRIC_NODEJS_EVENTLOOP_DELAY_P90,
  METRIC_NODEJS_EVENTLOOP_DELAY_P99,
  METRIC_PROCESS_CPU_TIME,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_PROCESS_UPTIME,
  RPC_SYSTEM_NAME_VALUE_CONNECTRPC,
} from "@opentelemetry/semantic-conventions/incubating";
import { groupAttribute, jobKind, MetricAttributes, MetricNames, STATUS_CODE_NAMES } from "./metric-names";

describe("semantic-convention names", () => {
  test("metrics", () => {
    expect(MetricNames.rpcServerCallDuration).toBe(METRIC_RPC_SERVER_CALL_DURATION);
    expect(MetricNames.dbOperationDuration).toBe(METRIC_DB_CLIENT_OPERATION_DURATION);
    expect(MetricNames.dbConnectionCount).toBe(METRIC_DB_CLIENT_CONNECTION_COUNT);
    expect(MetricNames.dbConnectionMax).toBe(METRIC_DB_CLIENT_CONNECTION_MAX);
    expect(MetricNames.dbConnectionPendingRequests).toBe(METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS);
    expect(MetricNames.messagingSent).toBe(METRIC_MESSAGING_CLIENT_SENT_MESSAGES);
    expect(MetricNames.messagingConsumed).toBe(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES);
    expect(MetricNames.messagingProcessDuration).toBe(METRIC_MESSAGING_PROCESS_DURATION);
    expect(MetricNames.processCpuTime).toBe(METRIC_PROCESS_CPU_TIME);
    expect(MetricNames.processMemoryUsage).toBe(METRIC_PROCESS_MEMORY_USAGE);
    expect(MetricNames.processUptime).toBe(METRIC_PROCESS_UPTIME);
    expect(MetricNames.eventLoopDelayMin).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_MIN);
    expect(MetricNames.eventLoopDelayMax).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_MAX);
    expect(MetricNames.eventLoopDelayMean).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_MEAN);
    expect(MetricNames.eventLoopDelayP50).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_P50);
    expect(MetricNames.eventLoopDelayP90).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_P90);
    expect(MetricNames.eventLoopDelayP99).toBe(METRIC_NODEJS_EVENTLOOP_DELAY_P99);
  });

  test("attributes and values", () => {
    expect(MetricAttributes.errorType).toBe(ATTR_ERROR_TYPE);
    expect(MetricAttributes.rpcSystemName).toBe(ATTR_RPC_SYSTEM_NAME);
    expect(MetricAttributes.rpcMethod).toBe(ATTR_RPC_METHOD);
    expect(MetricAttributes.rpcStatusCode).toBe(ATTR_RPC_STATUS_CODE);
    expect(MetricAttributes.dbSystemName).toBe(ATTR_DB_SYSTEM_NAME);
    expect(MetricAttributes.dbOperationName).toBe(ATTR_DB_OPERATION_NAME);
    expect(MetricAttributes.dbResponseStatusCode).toBe(ATTR_DB_RESPONSE_STATUS_CODE);
    expect(MetricAttributes.dbPoolName).toBe(ATTR_DB_CLIENT_CONNECTION_POOL_NAME);
    expect(MetricAttributes.dbConnectionState).toBe(ATTR_DB_CLIENT_CONNECTION_STATE);
    expect(MetricAttributes.messagingSystem).toBe(ATTR_MESSAGING_SYSTEM);
    expect(MetricAttributes.messagingOperationName).toBe(ATTR_MESSAGING_OPERATION_NAME);
    expect(MetricAttributes.messagingDestination).toBe(ATTR_MESSAGING_DESTINATION_NAME);
    expect(MetricAttributes.messagingConsumerGroup).toBe(ATTR_MESSAGING_CONSUMER_GROUP_NAME);
    expect(MetricAttributes.messagingPartition).toBe(ATTR_MESSAGING_DESTINATION_PARTITION_ID);
    expect(MetricAttributes.cpuMode).toBe(ATTR_CPU_MODE);
    expect(["grpc", "connectrpc"]).toEqual([RPC_SYSTEM_NAME_VALUE_GRPC, RPC_SYSTEM_NAME_VALUE_CONNECTRPC]);
    expect(DB_SYSTEM_NAME_VALUE_POSTGRESQL).toBe("postgresql");
  });

  test("status code names are gRPC's canonical ones, in code order", () => {
    expect(STATUS_CODE_NAMES).toHaveLength(17);
    expect(STATUS_CODE_NAMES[0]).toBe("OK");
    expect(STATUS_CODE_NAMES[5]).toBe("NOT_FOUND");
    expect(STATUS_CODE_NAMES[16]).toBe("UNAUTHENTICATED");
  });
});

test("bounded attribute values", () => {
  expect(groupAttribute("task-watch-01938f1e-7c5a-7d2e-9b1f-0c6a2b8e4d11")).toBe("task-watch");
  expect(groupAttribute("scheduler")).toBe("scheduler");
  expect(jobKind("reminder/0193/r1")).toBe("reminder");
  expect(jobKind("next/0193")).toBe("next");
  expect(jobKind("odd")).toBe("other");
});

test("docs/metrics.md documents every metric and attribute", () => {
  const doc = readFileSync(join(import.meta.dir, "..", "..", "..", "docs", "metrics.md"), "utf8");
  const missing = [...Object.values(MetricNames), ...Object.values(MetricAttributes)].filter(
    (name) => !doc.includes(`\`${name}\``),
  );
  expect(missing).toEqual([]);
});
