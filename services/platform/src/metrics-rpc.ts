/**
 * RPC server metrics, recorded by the outermost interceptor of every server and in-process
 * transport (docs/metrics.md, "RPC server"): `rpc.server.call.duration` per unary call by protocol,
 * method and status code; the unary calls in flight; and, for server streams (WatchTasks,
 * WatchNotifications), how many are open and how long each lasted.
 *
 * The hot path allocates nothing after warm-up: the attribute sets are built once per method,
 * protocol and code, and the in-flight and open counts are plain integers read only when metrics
 * are collected.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Attributes } from "@opentelemetry/api";
import { MetricAttributes, SERVER_ERROR_CODES, STATUS_CODE_NAMES } from "./metric-names";
import type { BoundHistogram } from "./metrics-bound";
import {
  instrumentsFor,
  PLATFORM_METER,
  type PlatformInstruments,
  platformInstruments,
} from "./metrics-instruments";

const SYSTEMS = ["grpc", "connectrpc"] as const;

/** One method's counters and attribute sets, shared by every server of the process. */
interface MethodState {
  readonly streaming: boolean;
  readonly methodAttributes: Attributes;
  /** Bound duration series by protocol (0 gRPC, 1 Connect) and status code, made on first use. */
  readonly byCode: [(BoundHistogram | undefined)[], (BoundHistogram | undefined)[]];
  /** The same for server streams (when the method is one). */
  readonly streamsByCode: [(Attributes | undefined)[], (Attributes | undefined)[]];
  active: number;
  open: number;
}

const states = new Map<DescMethod, MethodState>();

function stateOf(method: DescMethod, serviceTypeName: string): MethodState {
  let state = states.get(method);
  if (!state) {
    state = {
      streaming: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      methodAttributes: { [MetricAttributes.rpcMethod]: `${serviceTypeName}/${method.name}` },
      byCode: [[], []],
      streamsByCode: [[], []],
      active: 0,
      open: 0,
    };
    states.set(method, state);
  }
  return state;
}

function attributesOf(state: MethodState, system: 0 | 1, code: number): Attributes {
  const name = STATUS_CODE_NAMES[code] ?? "UNKNOWN";
  return {
    [MetricAttributes.rpcSystemName]: SYSTEMS[system],
    ...state.methodAttributes,
    [MetricAttributes.rpcStatusCode]: name,
    ...(SERVER_ERROR_CODES.has(code) ? { [MetricAttributes.errorType]: name } : {}),
  };
}

/** The bound `rpc.server.call.duration` series of a unary call's method, protocol and code. */
function seriesFor(
  inst: PlatformInstruments,
  state: MethodState,
  system: 0 | 1,
  code: number,
): BoundHistogram {
  const list = state.byCode[system];
  let series = list[code];
  if (!series) {
    series = inst.rpcDuration.bind(attributesOf(state, system, code));
    list[code] = series;
  }
  return series;
}

/** The attributes of a stream's `todo.rpc.server.stream.duration` (rare: the SDK histogram). */
function streamAttributesFor(state: MethodState, system: 0 | 1, code: number): Attributes {
  const list = state.streamsByCode[system];
  let attrs = list[code];
  if (!attrs) {
    attrs = attributesOf(state, system, code);
    list[code] = attrs;
  }
  return attrs;
}

/** Registers, once per meter, the collection callback reporting in-flight calls and open streams. */
function observeCounts(inst: PlatformInstruments): void {
  instrumentsFor(PLATFORM_METER, "rpc-counts", (meter) => {
    meter.addBatchObservableCallback(
      (result) => {
        for (const state of states.values()) {
          if (state.streaming) result.observe(inst.rpcOpenStreams, state.open, state.methodAttributes);
          else result.observe(inst.rpcActive, state.active, state.methodAttributes);
        }
      },
      [inst.rpcActive, inst.rpcOpenStreams],
    );
    return true;
  });
}

const codeOf = (err: unknown) => ConnectError.from(err).code as number;

/**
 * The metrics interceptor; put it first (outermost) so it sees the code the client gets. While
 * metrics are off it is the identity and costs nothing.
 */
export function createMetricsInterceptor(): Interceptor {
  const inst = platformInstruments();
  if (!inst) return (next) => next;
  observeCounts(inst);
  const { rpcStreamDuration } = inst;

  const wrapStream = (
    res: StreamResponse,
    state: MethodState,
    system: 0 | 1,
    started: number,
    signal: AbortSignal,
  ) => {
    state.open++;
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      state.open--;
      signal.removeEventListener("abort", onAbort);
      rpcStreamDuration.record(
        (performance.now() - started) / 1000,
        streamAttributesFor(state, system, code),
      );
    };
    // A transport may never resume a generator suspended at a `yield` once its client went away.
    const onAbort = () => end(1);
    signal.addEventListener("abort", onAbort, { once: true });
    const source = res.message;
    async function* messages() {
      try {
        yield* source;
        end(0);
      } catch (err) {
        end(codeOf(err));
        throw err;
      } finally {
        end(1);
      }
    }
    return { ...res, message: messages() } as StreamResponse;
  };

  return (next) => async (req) => {
    const state = stateOf(req.method, req.service.typeName);
    const system: 0 | 1 = req.header.get("content-type")?.startsWith("application/grpc") ? 0 : 1;
    const started = performance.now();
    if (state.streaming) {
      let res: Awaited<ReturnType<typeof next>>;
      try {
        res = await next(req);
      } catch (err) {
        rpcStreamDuration.record(
          (performance.now() - started) / 1000,
          streamAttributesFor(state, system, codeOf(err)),
        );
        throw err;
      }
      return res.stream ? wrapStream(res, state, system, started, req.signal) : res;
    }
    state.active++;
    try {
      const res = await next(req);
      seriesFor(inst, state, system, 0).record((performance.now() - started) / 1000);
      return res;
    } catch (err) {
      seriesFor(inst, state, system, codeOf(err)).record((performance.now() - started) / 1000);
      throw err;
    } finally {
      state.active--;
    }
  };
}
