/**
 * The language model: any OpenAI-compatible Chat Completions endpoint (OpenAI itself, or a local
 * server such as Ollama or vLLM), reached with the `openai` package against a configured base URL.
 * It is optional — without configuration the assistant is the offline interpreter alone — and it is
 * never trusted to be there: every failure (unreachable, timeout, an HTTP error, a response that is
 * not a chat completion) is one {@link ModelUnavailableError}, on which the caller falls back to the
 * offline interpreter. After a failure the model is left alone for a cool-down, so a server that is
 * down costs one timeout, not one per message.
 */
import { envInt, envString } from "@todo/platform";
import type OpenAI from "openai";
import { z } from "zod";

/** Where the model is and how long to wait for it. */
export interface ModelConfig {
  /** The API's base URL, ending before `/chat/completions`, e.g. `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  /** The model's name on that server, e.g. `qwen2.5:7b-instruct`. */
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; local servers need none, and then no header is sent. */
  readonly apiKey?: string;
  /** How long one request may take before the message falls back to the offline interpreter. */
  readonly timeoutMs: number;
  /** How many model calls one message may take: tool rounds plus the final answer. */
  readonly maxRounds: number;
  /** After a failure, how long messages go straight to the offline interpreter. */
  readonly cooldownMs: number;
  /** How many earlier turns of the conversation are sent with a message. */
  readonly historyTurns: number;
}

/** Defaults of the optional settings. */
export const MODEL_DEFAULTS = {
  timeoutMs: 15_000,
  maxRounds: 6,
  cooldownMs: 30_000,
  historyTurns: 10,
} as const;

/**
 * The model configuration from the environment: `ASSISTANT_LLM_BASE_URL`, `ASSISTANT_LLM_MODEL`,
 * `ASSISTANT_LLM_API_KEY` (optional), `ASSISTANT_LLM_TIMEOUT_MS` (15 000), `ASSISTANT_LLM_MAX_ROUNDS`
 * (6), `ASSISTANT_LLM_COOLDOWN_MS` (30 000), `ASSISTANT_LLM_HISTORY_TURNS` (10). Undefined when no
 * base URL is set (offline only). Throws, naming the variable, for a setting that cannot work — a
 * base URL without a model, or one that is not an http(s) URL — so a typo fails at start-up instead
 * of silently leaving the assistant offline.
 */
export function modelConfigFromEnv(): ModelConfig | undefined {
  const baseUrl = envString("ASSISTANT_LLM_BASE_URL");
  if (baseUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`ASSISTANT_LLM_BASE_URL must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`ASSISTANT_LLM_BASE_URL must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  const model = envString("ASSISTANT_LLM_MODEL");
  if (model === undefined)
    throw new Error("ASSISTANT_LLM_MODEL must name the model when ASSISTANT_LLM_BASE_URL is set");
  const apiKey = envString("ASSISTANT_LLM_API_KEY");
  return {
    baseUrl,
    model,
    ...(apiKey === undefined ? {} : { apiKey }),
    timeoutMs: envInt("ASSISTANT_LLM_TIMEOUT_MS", MODEL_DEFAULTS.timeoutMs, 100, 600_000),
    maxRounds: envInt("ASSISTANT_LLM_MAX_ROUNDS", MODEL_DEFAULTS.maxRounds, 1, 20),
    cooldownMs: envInt("ASSISTANT_LLM_COOLDOWN_MS", MODEL_DEFAULTS.cooldownMs, 0, 3_600_000),
    historyTurns: envInt("ASSISTANT_LLM_HISTORY_TURNS", MODEL_DEFAULTS.historyTurns, 0, 100),
  };
}

/** A message of the Chat Completions conversation. */
export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
/** A function tool offered to the model. */
export type ChatTool = OpenAI.Chat.Completions.ChatCompletionFunctionTool;

/**
 * One tool call as the model sent it, checked only for shape: the name may be missing and the
 * arguments may be anything — judging them is the tools' job, so the model can be told what was wrong.
 */
export interface ModelToolCall {
  /** The call's id (made up when the server sent none, so the answer can still refer to it). */
  readonly id: string;
  readonly name: string | undefined;
  /** Normally a JSON text; some servers send an object. */
  readonly arguments: unknown;
}

/** What the model answered: text, tool calls, or both. */
export interface ModelReply {
  readonly content: string;
  readonly toolCalls: readonly ModelToolCall[];
}

/** The model cannot be used for this message: the caller falls back to the offline interpreter. */
export class ModelUnavailableError extends Error {
  override readonly name = "ModelUnavailableError";
  /** True when the model was not even asked (it failed recently, see {@link ModelConfig.cooldownMs}). */
  readonly coolingDown: boolean;
  constructor(message: string, options?: { cause?: unknown; coolingDown?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.coolingDown = options?.coolingDown ?? false;
  }
}

/** A chat model that can call tools. */
export interface ChatModel {
  readonly config: ModelConfig;
  /** One Chat Completions request; throws {@link ModelUnavailableError} for any failure. */
  complete(messages: readonly ChatMessage[], tools: readonly ChatTool[]): Promise<ModelReply>;
}

const ToolCallShape = z.object({
  id: z.string().optional(),
  function: z.object({ name: z.string().optional(), arguments: z.unknown().optional() }).optional(),
});

const CompletionShape = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z.array(z.unknown()).nullish(),
        }),
      }),
    )
    .min(1),
});

/** Reads a response body as a chat completion's first choice, or throws ModelUnavailableError. */
export function readCompletion(body: unknown): ModelReply {
  const parsed = CompletionShape.safeParse(body);
  if (!parsed.success) throw new ModelUnavailableError("the model's response is not a chat completion");
  const message = parsed.data.choices[0]?.message;
  const toolCalls = (message?.tool_calls ?? []).map((raw, i): ModelToolCall => {
    const call = ToolCallShape.safeParse(raw);
    const fn = call.success ? call.data.function : undefined;
    return {
      id: (call.success && call.data.id) || `call_${i + 1}`,
      name: fn?.name,
      arguments: fn?.arguments,
    };
  });
  const content = (message?.content ?? "").trim();
  if (content === "" && toolCalls.length === 0)
    throw new ModelUnavailableError("the model answered with neither text nor tool calls");
  return { content, toolCalls };
}

/**
 * Creates the model client. The `openai` package is loaded on the first request, so a process
 * without a model never loads it. No retries: a failed request falls back at once.
 */
export function createChatModel(config: ModelConfig, clock: () => number = Date.now): ChatModel {
  let client: OpenAI | undefined;
  let downUntil = 0;
  const open = async (): Promise<OpenAI> => {
    if (client) return client;
    const { default: OpenAIClient } = await import("openai");
    client = new OpenAIClient({
      baseURL: config.baseUrl,
      // The package insists on a key; without one configured no Authorization header is sent, and
      // OPENAI_* variables of the environment are never picked up.
      apiKey: config.apiKey ?? "none",
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: config.timeoutMs,
      ...(config.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
    });
    return client;
  };
  return {
    config,
    async complete(messages, tools) {
      if (clock() < downUntil)
        throw new ModelUnavailableError("the model failed recently", { coolingDown: true });
      try {
        const api = await open();
        const body: unknown = await api.chat.completions.create({
          model: config.model,
          messages: [...messages],
          ...(tools.length > 0 ? { tools: [...tools], tool_choice: "auto" as const } : {}),
        });
        return readCompletion(body);
      } catch (e) {
        downUntil = clock() + config.cooldownMs;
        if (e instanceof ModelUnavailableError) throw e;
        const status = (e as { status?: unknown }).status;
        const why =
          typeof status === "number" ? `HTTP ${status}` : e instanceof Error ? e.message : String(e);
        throw new ModelUnavailableError(`the model could not be reached or failed: ${why}`, { cause: e });
      }
    },
  };
}
