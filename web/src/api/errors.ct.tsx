import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { errorMessage, isUnreachable } from "./errors";

const UNREACHABLE = "Can't reach the server. Check your connection and try again.";

describe("errorMessage", () => {
  it("says the server cannot be reached when the browser got no answer at all", () => {
    // What connect-web makes of fetch's TypeError when the server is down.
    const down = ConnectError.from(new TypeError("Failed to fetch"));
    expect(down.code).toBe(Code.Unknown);
    expect(errorMessage(down)).toBe(UNREACHABLE);
    expect(
      errorMessage(new ConnectError("NetworkError when attempting to fetch resource.", Code.Unknown)),
    ).toBe(UNREACHABLE);
    expect(errorMessage(new ConnectError("upstream connect error", Code.Unavailable))).toBe(UNREACHABLE);
    expect(errorMessage(new TypeError("Load failed"))).toBe(UNREACHABLE);
  });

  it("keeps a real server fault a server fault", () => {
    const fault = new ConnectError("boom", Code.Internal);
    expect(isUnreachable(fault)).toBe(false);
    expect(errorMessage(fault)).toBe("Something went wrong on the server. Try again.");
    expect(errorMessage(new ConnectError("", Code.Unknown))).toBe(
      "Something went wrong on the server. Try again.",
    );
  });
});
