import { describe, expect, test } from "bun:test";
import { createContextValues } from "@connectrpc/connect";
import { clientAddress, connectionAddressKey, normalizeAddress } from "./client-address";

const values = (address: string | undefined) => createContextValues().set(connectionAddressKey, address);
const xff = (value?: string) => new Headers(value === undefined ? {} : { "x-forwarded-for": value });

describe("clientAddress", () => {
  test("without trusted proxies the header is ignored", () => {
    expect(clientAddress(values("10.1.1.1"), xff("203.0.113.9"), 0)).toBe("10.1.1.1");
  });

  test("behind N trusted proxies, the Nth entry from the right", () => {
    expect(clientAddress(values("10.1.1.1"), xff("198.51.100.1, 203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(values("10.1.1.1"), xff("198.51.100.1, 203.0.113.9, 10.2.2.2"), 2)).toBe(
      "203.0.113.9",
    );
    // Fewer entries than proxies: the leftmost there is.
    expect(clientAddress(values("10.1.1.1"), xff("203.0.113.9"), 3)).toBe("203.0.113.9");
    expect(clientAddress(values("10.1.1.1"), xff(), 1)).toBe("10.1.1.1");
  });

  test("in-process calls have no address", () => {
    expect(clientAddress(values(undefined), xff("203.0.113.9"), 1)).toBeUndefined();
  });

  test("IPv4-mapped IPv6 addresses are read as IPv4", () => {
    expect(normalizeAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeAddress(" 2001:DB8::1 ")).toBe("2001:db8::1");
    expect(normalizeAddress("")).toBeUndefined();
  });
});
