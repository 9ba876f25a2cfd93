/**
 * The language-model path of AssistantService.Chat, against a SCRIPTED OpenAI-compatible server
 * started by this test — a test double: no model runs here. Each request to the double gets the next
 * scripted response (which may read the request, e.g. to pick up an id a tool returned), and every
 * request is recorded so the tests can check what the assistant sent. Everything else is real: the
 * `openai` client over HTTP, and a real TaskService and TagService on PostgreSQL (DATABASE_URL;
 * without it the tests fail).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { CallOptions } from "@connectrpc/connect";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import type { Logger } from "@todo/platform";
import {
  type AssistantTestStack,
  createAssistantTestStack,
  ASSISTANT_TEST_ZONE as ZONE,
} from "@todo/testkit";
import { MODEL_DEFAULTS, type ModelConfig, modelConfigFromEnv } from "./model";
import { PRIORITY_NAMES, TOOL_NAMES, toolDefinitions } from "./tools";

/** The assistant's clock: Wednesday 12 June 2030, 11:00 in New York. */
const NOW = new Date("2030-06-12T15:00:00Z");

// --- the test double ----------------------------------------------------------------------------

/** One request the double received. */
interface Recorded {
  readonly path: string;
  readonly authorization: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: the recorded JSON body is inspected freely
  readonly body: any;
}

type Step = (request: Recorded) => Response | Promise<Response>;

/**
 * TEST DOUBLE — a scripted stand-in for an OpenAI-compatible Chat Completions server. It runs no
 * model: it answers each request with the next scripted step and records the request.
 */
function startScriptedModelServer() {
  const requests: Recorded[] = [];
  const script: Step[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const recorded: Recorded = {
        path: new URL(req.url).pathname,
        authorization: req.headers.get("authorization"),
        body: await req.json(),
      };
      requests.push(recorded);
      const step = script.shift();
      return step ? step(recorded) : new Response("the test script has no step left", { status: 500 });
    },
  });
  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    script(...steps: Step[]) {
      script.push(...steps);
    },
    stop: () => server.stop(true),
  };
}

let toolCallCount = 0;

/** A scripted completion that calls tools. */
function callTools(...calls: { name: string; arguments: unknown }[]): Response {
  return Response.json({
    id: "chatcmpl-scripted",
    object: "chat.completion",
    created: 0,
    model: "scripted",
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          content: null,
          tool_calls: calls.map((c) => ({
            id: `call_${++toolCallCount}`,
            type: "function",
            function: {
              name: c.name,
              arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments),
            },
          })),
        },
      },
    ],
  });
}

/** A scripted completion that answers in words. */
function say(content: string): Response {
  return Response.json({
    id: "chatcmpl-scripted",
    object: "chat.completion",
    created: 0,
    model: "scripted",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
  });
}

/** The tool messages of a recorded request, parsed. */
// biome-ignore lint/suspicious/noExplicitAny: tool results are JSON read freely
function toolResults(request: Recorded | undefined): any[] {
  return (request?.body.messages ?? [])
    .filter((m: { role: string }) => m.role === "tool")
    .map((m: { content: string }) => JSON.parse(m.content));
}

// --- the stack ----------------------------------------------------------------------------------

let stack: AssistantTestStack;
let double: ReturnType<typeof startScriptedModelServer>;
const warnings: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`),
  error: (msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`),
};

function config(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    baseUrl: double.baseUrl,
    model: "scripted-model",
    timeoutMs: 5_000,
    maxRounds: 6,
    cooldownMs: 0,
    historyTurns: 10,
    ...overrides,
  };
}

function assistantWith(overrides: Partial<ModelConfig> = {}) {
  return stack.assistant({ clock: () => NOW, model: config(overrides), log });
}

async function newUser(): Promise<CallOptions> {
  return stack.as(crypto.randomUUID());
}

beforeAll(async () => {
  stack = await createAssistantTestStack();
  double = startScriptedModelServer();
});

afterAll(async () => {
  double?.stop();
  await stack?.close();
});

afterEach(() => {
  double.requests.length = 0;
  warnings.length = 0;
});

// --- tests --------------------------------------------------------------------------------------

describe("the language-model path", () => {
  test("runs the tool-calling loop: add, then list, then the model's answer", async () => {
    const me = await newUser();
    const assistant = assistantWith({ apiKey: "test-key" });
    double.script(
      () =>
        callTools({
          name: "add_task",
          arguments: { title: "buy milk", due: "2030-06-14T17:00", priority: "high", tags: ["#errands"] },
        }),
      () => callTools({ name: "list_tasks", arguments: { when: "this week" } }),
      () => say("Added “buy milk” for Friday 5 pm. It is your only task this week."),
    );
    const res = await assistant.chat({ message: "I need to buy milk by Friday 5pm, it's important" }, me);
    expect(res.reply).toBe("Added “buy milk” for Friday 5 pm. It is your only task this week.");
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CREATE_TASK, ActionType.LIST_TASKS]);

    // The task really exists, as the caller's, with what the tool call said.
    const id = res.actions[0]?.tasks[0]?.id ?? "";
    const { task } = await stack.tasks.getTask({ id }, me);
    expect(task?.title).toBe("buy milk");
    expect(task?.priority).toBe(Priority.HIGH);
    expect(task?.tags).toEqual(["errands"]);
    expect(task?.timeZone).toBe(ZONE);
    expect(task?.dueTime && timestampDate(task.dueTime).toISOString()).toBe("2030-06-14T21:00:00.000Z");
    expect(res.actions[1]?.tasks.map((t) => t.id)).toEqual([id]);

    // What the assistant sent: model, key, system prompt with today's date and zone, the tools, and
    // each tool's result back to the model.
    const [first, second, third] = double.requests;
    expect(double.requests).toHaveLength(3);
    expect(first?.path).toBe("/v1/chat/completions");
    expect(first?.authorization).toBe("Bearer test-key");
    expect(first?.body.model).toBe("scripted-model");
    const system = first?.body.messages[0];
    expect(system.role).toBe("system");
    expect(system.content).toContain("Wednesday, June 12, 2030");
    expect(system.content).toContain("2030-06-12T11:00");
    expect(system.content).toContain(ZONE);
    expect(first?.body.messages.at(-1)).toEqual({
      role: "user",
      content: "I need to buy milk by Friday 5pm, it's important",
    });
    expect(first?.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
      ...TOOL_NAMES,
    ]);
    const added = toolResults(second);
    expect(added).toHaveLength(1);
    expect(added[0].ok).toBe(true);
    expect(added[0].tasks[0]).toMatchObject({
      id,
      title: "buy milk",
      due: "2030-06-14T17:00",
      priority: "high",
    });
    const listed = toolResults(third);
    expect(listed[1].ok).toBe(true);
    expect(listed[1].tasks.map((t: { id: string }) => t.id)).toEqual([id]);
    // the assistant message with the tool calls is echoed before their results
    expect(second?.body.messages.at(-2).tool_calls[0].function.name).toBe("add_task");
  });

  test("follow-ups: the next message carries the earlier turn and what “it” is", async () => {
    const me = await newUser();
    const assistant = assistantWith();
    double.script(
      () => callTools({ name: "add_task", arguments: { title: "call the plumber" } }),
      () => say("Added."),
    );
    const first = await assistant.chat({ message: "add call the plumber" }, me);
    const id = first.actions[0]?.tasks[0]?.id ?? "";
    double.requests.length = 0;
    double.script(
      (req) => {
        // The double finds the id in the system prompt, as a model would.
        const it = /"it"\): ([0-9a-f-]{36})/.exec(req.body.messages[0].content)?.[1];
        return callTools({ name: "update_task", arguments: { task: it, priority: "urgent" } });
      },
      () => say("It is urgent now."),
    );
    const second = await assistant.chat(
      { message: "make it urgent", conversationId: first.conversationId },
      me,
    );
    expect(second.reply).toBe("It is urgent now.");
    expect(second.actions.map((a) => a.type)).toEqual([ActionType.UPDATE_TASK]);
    expect((await stack.tasks.getTask({ id }, me)).task?.priority).toBe(Priority.URGENT);
    const messages = double.requests[0]?.body.messages;
    expect(messages.slice(1)).toEqual([
      { role: "user", content: "add call the plumber" },
      { role: "assistant", content: "Added." },
      { role: "user", content: "make it urgent" },
    ]);
    expect(double.requests[0]?.authorization).toBeNull(); // no key configured: no header
  });

  test("a malformed tool call is answered to the model as an error, changes nothing, and can be corrected", async () => {
    const me = await newUser();
    const assistant = assistantWith();
    double.script(
      () =>
        callTools(
          { name: "drop_all_tables", arguments: {} },
          { name: "add_task", arguments: '{"title": "pay rent", "priority": ' },
          { name: "add_task", arguments: { title: "pay rent", priority: 1 } },
          { name: "add_task", arguments: { title: "pay rent", due_date: "friday" } },
          { name: "add_task", arguments: { title: "pay rent", due: "the twelfth of never" } },
        ),
      () =>
        callTools({ name: "add_task", arguments: { title: "pay rent", priority: "urgent", due: "friday" } }),
      () => say("Added “pay rent”, urgent, due Friday."),
    );
    const res = await assistant.chat({ message: "pay rent friday, urgent!" }, me);
    expect(res.reply).toBe("Added “pay rent”, urgent, due Friday.");
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CREATE_TASK]);

    const errors = toolResults(double.requests[1]);
    expect(errors).toHaveLength(5);
    for (const e of errors) {
      expect(e.ok).toBe(false);
      expect(e.error).toContain("Nothing was changed.");
    }
    expect(errors[0].error).toContain('There is no tool "drop_all_tables"');
    expect(errors[1].error).toContain("not valid JSON");
    expect(errors[2].error).toContain("do not fit its schema");
    expect(errors[2].error).toContain('"low"|"medium"|"high"|"urgent"');
    expect(errors[3].error).toContain('Unrecognized key: "due_date"');
    expect(errors[4].error).toContain("cannot read");
    // each error answers its own call
    const calls = double.requests[1]?.body.messages.filter((m: { role: string }) => m.role === "tool");
    const asked = double.requests[1]?.body.messages.at(-6).tool_calls.map((c: { id: string }) => c.id);
    expect(calls.map((m: { tool_call_id: string }) => m.tool_call_id)).toEqual(asked);

    const all = (await stack.tasks.listTasks({}, me)).tasks;
    expect(all).toHaveLength(1);
    expect(all[0]?.priority).toBe(Priority.URGENT);
    expect(all[0]?.dueTime && timestampDate(all[0].dueTime).toISOString()).toBe("2030-06-15T03:59:00.000Z");
  });

  test("an ambiguous delete is never guessed: the model is told to ask, and cannot pick by id in the same turn", async () => {
    const me = await newUser();
    const assistant = assistantWith();
    await stack.tasks.createTask({ task: { title: "write report draft" } }, me);
    await stack.tasks.createTask({ task: { title: "write report final" } }, me);
    double.script(
      () => callTools({ name: "delete_task", arguments: { task: "report" } }),
      (req) => {
        const candidates = toolResults(req)[0].candidates;
        return callTools({ name: "delete_task", arguments: { task: candidates[0].id } });
      },
      () => say("Which report do you mean: the draft or the final one?"),
    );
    const res = await assistant.chat({ message: "delete the report" }, me);
    expect(res.reply).toBe("Which report do you mean: the draft or the final one?");
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CLARIFY]);
    const [asked] = toolResults(double.requests[1]);
    expect(asked.needs_choice).toBe(true);
    expect(asked.candidates.map((c: { title: string }) => c.title).sort()).toEqual([
      "write report draft",
      "write report final",
    ]);
    const refused = toolResults(double.requests[2])[1];
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain("has not chosen");
    expect((await stack.tasks.listTasks({}, me)).tasks).toHaveLength(2);
  });

  test("the tools' JSON schemas carry priorities by name, never numbers", () => {
    const byName = new Map(toolDefinitions().map((t) => [t.function.name, t.function.parameters]));
    expect([...byName.keys()]).toEqual([
      "add_task",
      "list_tasks",
      "complete_task",
      "reopen_task",
      "delete_task",
      "update_task",
      "add_reminder",
      "rename_tag",
      "list_tags",
    ]);
    // biome-ignore lint/suspicious/noExplicitAny: JSON Schema read freely
    const props = (name: string): any => (byName.get(name) as any).properties;
    expect(props("add_task").priority).toMatchObject({ type: "string", enum: [...PRIORITY_NAMES] });
    expect(props("list_tasks").priority).toMatchObject({ type: "string", enum: [...PRIORITY_NAMES] });
    expect(props("update_task").priority.anyOf).toEqual([
      { type: "string", enum: ["low", "medium", "high", "urgent"] },
      { type: "null" },
    ]);
    expect(JSON.stringify(toolDefinitions())).not.toMatch(/"\$schema"/);
    for (const [, schema] of byName)
      expect(schema).toMatchObject({ type: "object", additionalProperties: false });
    expect((byName.get("add_task") as { required: string[] }).required).toEqual(["title"]);
  });
});

describe("when the model fails, the offline interpreter answers", () => {
  test("HTTP 500: the message is answered offline, and a warning is logged", async () => {
    const me = await newUser();
    const assistant = assistantWith();
    double.script(() => new Response('{"error":"model crashed"}', { status: 500 }));
    const res = await assistant.chat({ message: "add buy bread tomorrow at 6pm" }, me);
    expect(double.requests).toHaveLength(1);
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CREATE_TASK]);
    expect(res.reply).toBe('Created "buy bread", due Thu, Jun 13, 6:00 PM.');
    const tasks = (await stack.tasks.listTasks({}, me)).tasks;
    expect(tasks.map((t) => t.title)).toEqual(["buy bread"]);
    expect(warnings.join("\n")).toContain("language model unavailable");
    expect(warnings.join("\n")).toContain("HTTP 500");
  });

  test("an unreachable port: answered offline", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const me = await newUser();
    const assistant = assistantWith({ baseUrl: `http://127.0.0.1:${port}/v1` });
    const res = await assistant.chat({ message: "what's due this week?" }, me);
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.LIST_TASKS]);
    expect(res.reply).toBe("You have no tasks due this week (Mon 10 – Sun 16 Jun).");
    expect(warnings.join("\n")).toContain("language model unavailable");
  });

  test("a timeout and a response that is not a chat completion: answered offline", async () => {
    const me = await newUser();
    const slow = assistantWith({ timeoutMs: 300 });
    double.script(async () => {
      await Bun.sleep(1_500);
      return say("too late");
    });
    const started = performance.now();
    const late = await slow.chat({ message: "add water the plants" }, me);
    expect(performance.now() - started).toBeLessThan(1_400);
    expect(late.reply).toBe('Created "water the plants".');

    const assistant = assistantWith();
    double.script(
      () => new Response("<html>502 Bad Gateway</html>", { headers: { "content-type": "text/html" } }),
    );
    const garbage = await assistant.chat({ message: "add feed the cat" }, me);
    expect(garbage.reply).toBe('Created "feed the cat".');
    double.script(() => Response.json({ choices: [] }));
    const empty = await assistant.chat({ message: "add walk the dog" }, me);
    expect(empty.reply).toBe('Created "walk the dog".');
    const titles = (await stack.tasks.listTasks({ orderBy: "create_time" }, me)).tasks.map((t) => t.title);
    expect(titles).toEqual(["water the plants", "feed the cat", "walk the dog"]);
  });

  test("after a failure the model is left alone for the cool-down: no request, straight offline", async () => {
    const me = await newUser();
    const assistant = assistantWith({ cooldownMs: 60_000 });
    double.script(() => new Response("overloaded", { status: 503 }));
    await assistant.chat({ message: "add buy stamps" }, me);
    const again = await assistant.chat({ message: "add buy envelopes" }, me);
    expect(again.reply).toBe('Created "buy envelopes".');
    expect(double.requests).toHaveLength(1);
  });

  test("a failure after something was changed is not redone offline: the reply says what was done", async () => {
    const me = await newUser();
    const assistant = assistantWith();
    double.script(
      () => callTools({ name: "add_task", arguments: { title: "book flights" } }),
      () => new Response("gone", { status: 502 }),
    );
    const res = await assistant.chat({ message: "add book flights" }, me);
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CREATE_TASK]);
    expect(res.reply).toContain('Created "book flights".');
    expect(res.reply).toContain("stopped answering");
    expect((await stack.tasks.listTasks({}, me)).tasks).toHaveLength(1);
  });
});

describe("modelConfigFromEnv", () => {
  const NAMES = [
    "ASSISTANT_LLM_BASE_URL",
    "ASSISTANT_LLM_MODEL",
    "ASSISTANT_LLM_API_KEY",
    "ASSISTANT_LLM_TIMEOUT_MS",
    "ASSISTANT_LLM_MAX_ROUNDS",
    "ASSISTANT_LLM_COOLDOWN_MS",
    "ASSISTANT_LLM_HISTORY_TURNS",
  ];
  function withEnv<T>(values: Record<string, string>, run: () => T): T {
    const saved = NAMES.map((n) => [n, process.env[n]] as const);
    for (const n of NAMES) delete process.env[n];
    Object.assign(process.env, values);
    try {
      return run();
    } finally {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
    }
  }

  test("no base URL: offline; a base URL with a model: the model, with defaults", () => {
    expect(withEnv({}, modelConfigFromEnv)).toBeUndefined();
    expect(
      withEnv(
        { ASSISTANT_LLM_BASE_URL: "http://127.0.0.1:11434/v1", ASSISTANT_LLM_MODEL: "qwen2.5" },
        modelConfigFromEnv,
      ),
    ).toEqual({ baseUrl: "http://127.0.0.1:11434/v1", model: "qwen2.5", ...MODEL_DEFAULTS });
    expect(
      withEnv(
        {
          ASSISTANT_LLM_BASE_URL: "https://api.example.com/v1",
          ASSISTANT_LLM_MODEL: "m",
          ASSISTANT_LLM_API_KEY: "k",
          ASSISTANT_LLM_TIMEOUT_MS: "2500",
        },
        modelConfigFromEnv,
      ),
    ).toMatchObject({ apiKey: "k", timeoutMs: 2500 });
  });

  test("settings that cannot work fail at start-up, naming the variable", () => {
    expect(() =>
      withEnv({ ASSISTANT_LLM_BASE_URL: "http://127.0.0.1:11434/v1" }, modelConfigFromEnv),
    ).toThrow("ASSISTANT_LLM_MODEL");
    expect(() =>
      withEnv({ ASSISTANT_LLM_BASE_URL: "localhost:11434", ASSISTANT_LLM_MODEL: "m" }, modelConfigFromEnv),
    ).toThrow("ASSISTANT_LLM_BASE_URL");
    expect(() =>
      withEnv(
        { ASSISTANT_LLM_BASE_URL: "http://h/v1", ASSISTANT_LLM_MODEL: "m", ASSISTANT_LLM_TIMEOUT_MS: "soon" },
        modelConfigFromEnv,
      ),
    ).toThrow("ASSISTANT_LLM_TIMEOUT_MS");
  });
});
