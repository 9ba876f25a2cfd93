import { describe, expect, test } from "bun:test";
import { configuredPort, databaseUrl } from "./postgres.ts";

describe("postgres settings", () => {
  test("port defaults to 54329 and follows PG_PORT", () => {
    expect(configuredPort({})).toBe(54329);
    expect(configuredPort({ PG_PORT: " 6543 " })).toBe(6543);
  });

  test("a PG_PORT that is not a port is refused with its value named", () => {
    for (const bad of ["abc", "0", "70000", "54.5"]) {
      expect(() => configuredPort({ PG_PORT: bad })).toThrow(`got "${bad}"`);
    }
  });

  test("the URL has the documented form", () => {
    expect(databaseUrl(54329)).toBe("postgres://todo:todo@127.0.0.1:54329/todo");
  });
});
