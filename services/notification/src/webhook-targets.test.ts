import { describe, expect, test } from "bun:test";
import { addressProblem, checkTarget, TargetRefusedError, webhookUrlProblem } from "./webhook-targets";

async function refusal(url: string): Promise<string> {
  try {
    await checkTarget(new URL(url), false);
  } catch (err) {
    expect(err).toBeInstanceOf(TargetRefusedError);
    return (err as Error).message;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe("addressProblem", () => {
  test("refuses loopback, private, link-local, unique-local, CGNAT, multicast and unspecified addresses", () => {
    for (const a of [
      "127.0.0.1",
      "127.255.0.9",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.100.100.200",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd00:ec2::254",
      "ff02::1",
    ]) {
      expect({ a, problem: addressProblem(a) }).toEqual({ a, problem: expect.any(String) });
    }
  });

  test("reads IPv4-mapped and IPv4-embedding IPv6 addresses for what they reach", () => {
    expect(addressProblem("::ffff:127.0.0.1")).toContain("loopback");
    expect(addressProblem("::ffff:a9fe:a9fe")).toContain("linkLocal"); // 169.254.169.254
    expect(addressProblem("::ffff:10.0.0.1")).toContain("private");
    expect(addressProblem("::7f00:1")).toBeString(); // IPv4-compatible ::127.0.0.1
    expect(addressProblem("64:ff9b::a00:1")).toBeString(); // NAT64 of 10.0.0.1
    expect(addressProblem("2002:a00:1::")).toBeString(); // 6to4 of 10.0.0.1
  });

  test("accepts global unicast addresses", () => {
    expect(addressProblem("93.184.216.34")).toBeUndefined();
    expect(addressProblem("2606:2800:220:1:248:1893:25c8:1946")).toBeUndefined();
    expect(addressProblem("::ffff:93.184.216.34")).toBeUndefined();
  });
});

describe("checkTarget", () => {
  test("refuses literal loopback, private, metadata and IPv6 loopback targets", async () => {
    expect(await refusal("https://127.0.0.1/hook")).toContain("loopback");
    expect(await refusal("https://10.0.0.7:8443/hook")).toContain("private");
    expect(await refusal("http://169.254.169.254/latest/meta-data/")).toContain("linkLocal");
    expect(await refusal("https://[::1]/hook")).toContain("loopback");
    expect(await refusal("https://[::ffff:127.0.0.1]/hook")).toContain("loopback");
    // Alternative spellings of 127.0.0.1 are normalised by the URL parser first.
    expect(await refusal("http://2130706433/")).toContain("loopback");
    expect(await refusal("http://0x7f.1/")).toContain("loopback");
  });

  // Names here resolve from /etc/hosts or are refused before any lookup: no DNS query leaves the machine.
  test("resolves host names and refuses one that resolves to loopback", async () => {
    expect(await refusal("https://localhost:9999/hook")).toContain("loopback");
    expect(await refusal("https://LOCALHOST./hook")).toContain("loopback");
    expect(await refusal("https://api.localhost/hook")).toContain("local");
    expect(await refusal("http://metadata.google.internal/computeMetadata/v1/")).toContain("metadata");
  });

  test("with private targets allowed, loopback passes and the addresses are returned", async () => {
    expect(await checkTarget(new URL("http://127.0.0.1:1234/"), true)).toEqual([
      { address: "127.0.0.1", family: 4 },
    ]);
    const local = await checkTarget(new URL("http://localhost/"), true);
    expect(local.length).toBeGreaterThan(0);
    for (const a of local) expect(addressProblem(a.address)).toContain("loopback");
  });

  test("a public literal address passes without any lookup", async () => {
    expect(await checkTarget(new URL("https://93.184.216.34/hook"), false)).toEqual([
      { address: "93.184.216.34", family: 4 },
    ]);
  });
});

describe("webhookUrlProblem", () => {
  test("wants an absolute http(s) URL without credentials", () => {
    expect(webhookUrlProblem("https://example.com/hook")).toBeUndefined();
    expect(webhookUrlProblem("")).toBe("is required");
    expect(webhookUrlProblem("example.com/hook")).toContain("absolute");
    expect(webhookUrlProblem("ftp://example.com/")).toContain("https://");
    expect(webhookUrlProblem("file:///etc/passwd")).toContain("https://");
    expect(webhookUrlProblem("https://user:pw@example.com/")).toContain("credentials");
    expect(webhookUrlProblem(`https://example.com/${"a".repeat(2100)}`)).toContain("2048");
  });
});
