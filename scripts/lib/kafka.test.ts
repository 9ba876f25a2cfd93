import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseJavaMajor } from "./java-runtime.ts";
import {
  brokersValue,
  configuredPorts,
  newClusterId,
  portsFromProperties,
  serverProperties,
} from "./kafka-config.ts";
import { brokerPom, distributionDir, KAFKA_VERSION } from "./kafka-jars.ts";
import { decodeMetadataResponse, encodeMetadataRequest, probeMetadata } from "./kafka-metadata.ts";

/** A Metadata v8 response body (after the size prefix) with the given brokers. */
function metadataResponse(correlationId: number, brokers: [number, string, number][], clusterId: string) {
  const parts: Buffer[] = [];
  const int32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  const str = (s: string | null) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(s === null ? -1 : Buffer.byteLength(s));
    parts.push(b);
    if (s !== null) parts.push(Buffer.from(s));
  };
  int32(correlationId);
  int32(0); // throttle
  int32(brokers.length);
  for (const [id, host, port] of brokers) {
    int32(id);
    str(host);
    int32(port);
    str(null); // rack
  }
  str(clusterId);
  int32(brokers[0]?.[0] ?? -1); // controller
  int32(0); // topics
  int32(0); // cluster authorized operations
  return Buffer.concat(parts);
}

describe("kafka component settings", () => {
  test("ports default to 19092/19093 and follow KAFKA_PORT and KAFKA_CONTROLLER_PORT", () => {
    expect(configuredPorts({})).toEqual({ broker: 19092, controller: 19093 });
    expect(configuredPorts({ KAFKA_PORT: " 29092 " })).toEqual({ broker: 29092, controller: 29093 });
    expect(configuredPorts({ KAFKA_PORT: "29092", KAFKA_CONTROLLER_PORT: "39000" })).toEqual({
      broker: 29092,
      controller: 39000,
    });
    expect(configuredPorts({ KAFKA_PORT: "65535" }).controller).toBe(65534);
    expect(brokersValue(19092)).toBe("127.0.0.1:19092");
  });

  test("bad or clashing ports are refused with the value named", () => {
    for (const bad of ["abc", "0", "70000", "1.5"]) {
      expect(() => configuredPorts({ KAFKA_PORT: bad })).toThrow(`got "${bad}"`);
    }
    expect(() => configuredPorts({ KAFKA_PORT: "20000", KAFKA_CONTROLLER_PORT: "20000" })).toThrow("differ");
  });

  test("server.properties: one KRaft node on loopback with the test-friendly settings", () => {
    const text = serverProperties({ broker: 19092, controller: 19093 }, "/data/kafka");
    const props = Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line && !line.startsWith("#"))
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    expect(props).toMatchObject({
      "process.roles": "broker,controller",
      "controller.quorum.voters": "1@127.0.0.1:19093",
      listeners: "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:19092",
      "log.dirs": "/data/kafka",
      "auto.create.topics.enable": "false",
      "num.partitions": "3",
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "group.initial.rebalance.delay.ms": "0",
    });
    // The running broker's ports are read back from this file.
    expect(portsFromProperties(text)).toEqual({ broker: 19092, controller: 19093 });
    expect(portsFromProperties("nothing=here")).toBeUndefined();
  });

  test("the pom pins Kafka, its tools without Kafka Connect, and a Log4j 2 binding for SLF4J 2", () => {
    const pom = brokerPom();
    expect(pom).toContain(`<artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version>`);
    expect(pom).toContain(`<artifactId>kafka-tools</artifactId><version>${KAFKA_VERSION}</version>`);
    expect(pom).toContain(
      "<exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId>",
    );
    expect(pom).toMatch(/<artifactId>slf4j-api<\/artifactId><version>2\./);
    expect(pom).toContain("<artifactId>log4j-slf4j2-impl</artifactId>");
    expect(KAFKA_VERSION).toMatch(/^4\./);
  });

  test("the jar cache lives outside the checkout and follows TODO_CACHE_DIR", () => {
    expect(distributionDir({ TODO_CACHE_DIR: "/tmp/c" })).toBe(`/tmp/c/kafka-${KAFKA_VERSION}`);
    expect(distributionDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "todo", `kafka-${KAFKA_VERSION}`));
  });

  test("cluster ids are Kafka's 22-character URL-safe base64 and never start with a dash", () => {
    const ids = new Set(Array.from({ length: 200 }, newClusterId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  test("java -version output gives the major version", () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor("command not found")).toBeUndefined();
  });
});

describe("kafka metadata probe", () => {
  test("encodes a Metadata v8 request for no topics", () => {
    const frame = Buffer.from(encodeMetadataRequest(7, "probe"));
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt16BE(4)).toBe(3); // Metadata
    expect(frame.readInt16BE(6)).toBe(8);
    expect(frame.readInt32BE(8)).toBe(7);
    expect(frame.toString("utf8", 14, 19)).toBe("probe");
    expect(frame.readInt32BE(19)).toBe(0); // empty topic array, not null (= all topics)
  });

  test("decodes brokers, cluster id and controller; refuses another request's answer", () => {
    const body = metadataResponse(7, [[1, "127.0.0.1", 19092]], "abc");
    expect(decodeMetadataResponse(body, 7)).toEqual({
      brokers: [{ nodeId: 1, host: "127.0.0.1", port: 19092 }],
      clusterId: "abc",
      controllerId: 1,
    });
    expect(() => decodeMetadataResponse(body, 8)).toThrow("expected 8");
    expect(() => decodeMetadataResponse(body.subarray(0, 20), 7)).toThrow();
  });

  test("talks to a fake broker over TCP, split across packets; fails fast on a non-Kafka peer", async () => {
    const server = Bun.listen<{ buf: Buffer }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { buf: Buffer.alloc(0) };
        },
        async data(socket, chunk) {
          socket.data.buf = Buffer.concat([socket.data.buf, chunk]);
          const buf = socket.data.buf;
          if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
          const body = metadataResponse(buf.readInt32BE(8), [[1, "127.0.0.1", 1234]], "fake");
          const frame = Buffer.alloc(4 + body.length);
          frame.writeInt32BE(body.length);
          body.copy(frame, 4);
          socket.write(frame.subarray(0, 9));
          await Bun.sleep(20);
          socket.write(frame.subarray(9));
        },
      },
    });
    try {
      const summary = await probeMetadata(server.port, 2000);
      expect(summary.clusterId).toBe("fake");
      expect(summary.brokers.map((b) => b.port)).toEqual([1234]);
    } finally {
      server.stop(true);
    }
    const http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("no") });
    try {
      await expect(probeMetadata(http.port ?? 0, 2000)).rejects.toThrow();
    } finally {
      await http.stop(true);
    }
  });
});
