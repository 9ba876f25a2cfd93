/** createTodoClient: its shape and the options it refuses. */
import { expect, test } from "bun:test";
import { createTodoClient as createBrowserClient } from "./index.browser.js";
import { createTodoClient } from "./index.js";

test("the client holds one generated client per service, its methods the RPCs in lowerCamelCase", () => {
  const client = createTodoClient({ baseUrl: "http://127.0.0.1:1" });
  expect(typeof client.auth.signUp).toBe("function");
  expect(typeof client.tasks.createTask).toBe("function");
  expect(typeof client.tags.listTags).toBe("function");
  expect(typeof client.scheduler.previewRecurrence).toBe("function");
  expect(typeof client.notifications.markRead).toBe("function");
  expect(typeof client.assistant.chat).toBe("function");
  expect(() => createTodoClient({})).toThrow("needs a baseUrl");
  // @ts-expect-error: not a transport name
  expect(() => createTodoClient({ baseUrl: "http://x", transport: "http3" })).toThrow(
    'unknown transport "http3"',
  );
});

test("the browser build refuses gRPC, which fetch cannot carry, and builds the other two", () => {
  expect(() => createBrowserClient({ baseUrl: "http://127.0.0.1:1", transport: "grpc" })).toThrow(
    "browsers cannot speak gRPC",
  );
  expect(
    typeof createBrowserClient({ baseUrl: "http://127.0.0.1:1", transport: "grpc-web" }).tasks.getTask,
  ).toBe("function");
});
