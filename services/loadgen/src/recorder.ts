/**
 * What a load run measures, as it happens: each unary call's latency or error code (by operation
 * and protocol), stream failures, the change → other-window delay and reminder lateness; and the
 * summaries the reports are made of. Samples are kept only while `measuring` is on, so the set-up
 * (sign-up, first tasks, streams coming up) never counts.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { WireProtocol } from "./clients";
import { type Summary, summarize } from "./stats";

/** The unary calls a virtual user makes, in report order. */
export const OPERATIONS = ["list", "search", "create", "update", "complete", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The streams every virtual user keeps open. */
export const STREAMS = ["watchTasks", "watchNotifications"] as const;
export type StreamName = (typeof STREAMS)[number];

/** One operation's calls over the measured interval. */
export interface OperationReport {
  readonly operation: Operation;
  /** Latency of the calls that succeeded, ms, over both protocols. */
  readonly latency: Summary;
  /** The same, per protocol. */
  readonly byProtocol: Readonly<Record<WireProtocol, Summary>>;
  /** Failed calls by code name (`unavailable`, `aborted` …). */
  readonly errors: Readonly<Record<string, number>>;
}

/** Everything a run measured. */
export interface Measurements {
  readonly operations: readonly OperationReport[];
  /** Streams that failed or ended while measuring, by stream and code name. */
  readonly streamErrors: Readonly<Record<StreamName, Readonly<Record<string, number>>>>;
  /** A user's call start → its change on that user's own WatchTasks stream, ms. */
  readonly watchDelay: Summary;
  /** Changes made while measuring that never arrived on the user's stream within the grace time. */
  readonly watchMissed: number;
  /** Notification arrival (wall clock) − the reminder's fire_time, ms; negative is early. */
  readonly reminderLateness: Summary;
  /** Reminders due while measuring that a created task asked for. */
  readonly remindersDue: number;
  /** SignUp latency of the users signed up for this run (set-up, not part of the targets). */
  readonly signUp: Summary;
  /** Successful unary calls per second over the measured interval. */
  readonly callsPerSecond: number;
  /** The set-up's changes not yet on the streams when measuring started (0: the system had caught up). */
  readonly backlogAtStart: number;
  /**
   * How late the load generator's own 100 ms timer fired while measuring, ms: when this is large
   * the generator (starved of CPU, or overloaded) adds it to every latency above.
   */
  readonly loopLag: Summary;
  /** The measured interval, s. */
  readonly seconds: number;
}

/** The period of the timer that measures the load generator's own event-loop lag, ms. */
const LAG_TICK_MS = 100;

/** The lower-case code name of a failed call (`unknown` for anything that is not a ConnectError). */
export function codeName(err: unknown): string {
  const code = err instanceof ConnectError ? err.code : Code.Unknown;
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Collects the samples of one run (all users share one recorder). */
export class Recorder {
  /** Whether samples are kept (false during set-up). */
  measuring = false;
  /** The set-up's changes still on their way to the streams when measuring started (see LoadSession.seed). */
  backlogAtStart = 0;
  private readonly latency = new Map<string, number[]>();
  private readonly errors = new Map<Operation, Map<string, number>>();
  private readonly streamErrors = new Map<StreamName, Map<string, number>>();
  private watch: number[] = [];
  private missed = 0;
  private lateness: number[] = [];
  private signUps: number[] = [];
  private lag: number[] = [];
  private lagTimer: ReturnType<typeof setInterval> | undefined;
  private remindersDue = 0;
  private startedAt = 0;
  private stoppedAt = 0;

  /** Forgets every sample, for the next step of a run that keeps its users. */
  reset(): void {
    this.measuring = false;
    this.backlogAtStart = 0;
    this.latency.clear();
    this.errors.clear();
    this.streamErrors.clear();
    this.watch = [];
    this.missed = 0;
    this.lateness = [];
    this.signUps = [];
    this.lag = [];
    this.remindersDue = 0;
    this.startedAt = 0;
    this.stoppedAt = 0;
  }

  /** Starts the measured interval. */
  start(): void {
    this.measuring = true;
    this.startedAt = performance.now();
    let last = this.startedAt;
    this.lagTimer = setInterval(() => {
      const now = performance.now();
      this.lag.push(Math.max(0, now - last - LAG_TICK_MS));
      last = now;
    }, LAG_TICK_MS);
  }

  /** Ends the measured interval (samples arriving later are dropped). */
  stop(): void {
    this.measuring = false;
    this.stoppedAt = performance.now();
    clearInterval(this.lagTimer);
  }

  call(op: Operation, protocol: WireProtocol, ms: number): void {
    if (!this.measuring) return;
    const key = `${op}|${protocol}`;
    const list = this.latency.get(key);
    if (list) list.push(ms);
    else this.latency.set(key, [ms]);
  }

  failure(op: Operation, err: unknown): void {
    if (this.measuring) bump(this.errors, op, codeName(err));
  }

  streamFailure(stream: StreamName, err: unknown): void {
    if (this.measuring) bump(this.streamErrors, stream, codeName(err));
  }

  /** A measured change's delay (the matcher decides what was measured: the call started while measuring). */
  watchDelay(ms: number): void {
    this.watch.push(ms);
  }

  /** A measured change that never arrived. */
  watchMiss(): void {
    this.missed++;
  }

  /** A reminder due in the measured interval arrived (the user checks the due time, not this). */
  reminderLateness(ms: number): void {
    this.lateness.push(ms);
  }

  reminderDue(): void {
    if (this.measuring) this.remindersDue++;
  }

  /** Sign-ups are set-up: always kept. */
  signUp(ms: number): void {
    this.signUps.push(ms);
  }

  /** The summaries of everything recorded. */
  measurements(): Measurements {
    const seconds = Math.max(0, ((this.stoppedAt || performance.now()) - this.startedAt) / 1000);
    let calls = 0;
    const operations = OPERATIONS.map((operation): OperationReport => {
      const grpc = this.latency.get(`${operation}|grpc`) ?? [];
      const connect = this.latency.get(`${operation}|connect`) ?? [];
      calls += grpc.length + connect.length;
      return {
        operation,
        latency: summarize([...grpc, ...connect]),
        byProtocol: { grpc: summarize(grpc), connect: summarize(connect) },
        errors: Object.fromEntries(this.errors.get(operation) ?? []),
      };
    });
    return {
      operations,
      streamErrors: {
        watchTasks: Object.fromEntries(this.streamErrors.get("watchTasks") ?? []),
        watchNotifications: Object.fromEntries(this.streamErrors.get("watchNotifications") ?? []),
      },
      watchDelay: summarize(this.watch),
      watchMissed: this.missed,
      reminderLateness: summarize(this.lateness),
      remindersDue: this.remindersDue,
      signUp: summarize(this.signUps),
      callsPerSecond: seconds > 0 ? calls / seconds : 0,
      backlogAtStart: this.backlogAtStart,
      loopLag: summarize(this.lag),
      seconds,
    };
  }
}

function bump<K>(map: Map<K, Map<string, number>>, key: K, code: string): void {
  const counts = map.get(key) ?? new Map<string, number>();
  counts.set(code, (counts.get(code) ?? 0) + 1);
  map.set(key, counts);
}
