/**
 * A load run in its three steps, so a benchmark can measure between them: sign up the users
 * ({@link signUpUsers}), bring them up ({@link LoadSession.open}: each user's own connection, both
 * streams open, its first tasks created and seen on its stream), and let them act for the measured
 * interval ({@link LoadSession.run}). Users are given Connect or gRPC in the configured share, spread
 * evenly over the users.
 */
import { createClient } from "@connectrpc/connect";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { GrpcClients, type SignedUp, type WireProtocol } from "./clients";
import type { LoadTargets, UserBehaviour } from "./options";
import type { Measurements, Recorder } from "./recorder";
import { VirtualUser } from "./virtual-user";

/** How long the users' streams have, after their first tasks, to show that they are live. */
const LIVE_TIMEOUT_MS = 60_000;
/** How long the first tasks' changes have to reach the streams before measuring starts anyway. */
const DRAIN_TIMEOUT_MS = 120_000;
/** After the last call: time for its change to reach the stream before it counts as missed. */
const GRACE_MS = 3_000;

/**
 * Signs up `count` users at the identity service, `concurrency` at a time, timing each into
 * `recorder` (the server's per-address sign-up limit must allow it: `SIGN_UP_ADDRESS_LIMIT=0`).
 */
export async function signUpUsers(
  targets: Pick<LoadTargets, "identity">,
  count: number,
  concurrency: number,
  timeZone: string,
  recorder: Recorder,
): Promise<SignedUp[]> {
  const clients = new GrpcClients({ shared: true });
  const users: SignedUp[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        for (let i = next++; i < count; i = next++) {
          const start = performance.now();
          users.push(await clients.signUp(targets.identity, `loadgen${i}`, timeZone));
          recorder.signUp(performance.now() - start);
        }
      }),
    );
  } finally {
    clients.close();
  }
  return users;
}

/** The protocol of user `i` when `share` of them speak Connect (spread evenly). */
export function protocolOf(i: number, share: number): WireProtocol {
  return Math.floor((i + 1) * share) > Math.floor(i * share) ? "connect" : "grpc";
}

/**
 * The virtual users of a run. Users can be added between measured intervals (a benchmark's steps of
 * 100, 300, 1 000 users keep the earlier users and their streams), and every user acts in each
 * {@link LoadSession.run}.
 */
export class LoadSession {
  private readonly all: VirtualUser[] = [];
  private readonly connections: GrpcClients[] = [];

  constructor(
    private readonly targets: LoadTargets,
    private readonly behaviour: UserBehaviour,
    readonly recorder: Recorder,
  ) {}

  /** Adds the users `accounts`, which sign in, and opens both streams of each (without waiting). */
  add(accounts: readonly SignedUp[]): VirtualUser[] {
    const { targets, behaviour } = this;
    const added = accounts.map((account) => {
      const i = this.all.length;
      const protocol = protocolOf(i, behaviour.connectShare);
      const http1 = protocol === "connect" && targets.connectHttp1 !== undefined;
      const clients = new GrpcClients({ shared: true, protocol, httpVersion: http1 ? "1.1" : "2" });
      this.connections.push(clients);
      const base = (h2c: string) => (http1 ? (targets.connectHttp1 as string) : h2c);
      const taskUrl = targets.task[i % targets.task.length] as string;
      const user = new VirtualUser(
        {
          protocol,
          tasks: createClient(TaskService, clients.transport(base(taskUrl), account.token)),
          notifications: createClient(
            NotificationService,
            clients.transport(base(targets.notification), account.token),
          ),
        },
        this.recorder,
        behaviour,
      );
      this.all.push(user);
      user.openStreams();
      return user;
    });
    return added;
  }

  /**
   * Creates the first tasks of `users`, `concurrency` users at a time, then waits until every user's
   * WatchTasks stream has delivered a change (throws when one stays silent for a minute) and until
   * every first task's change has arrived, so a measured interval does not start behind the set-up's
   * backlog. Resolves with the first tasks' changes still on their way when it stopped waiting (2 min;
   * 0 when the system caught up), which the measurements report as `backlogAtStart`.
   */
  async seed(users: readonly VirtualUser[], concurrency: number): Promise<number> {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, users.length) }, async () => {
        for (let i = next++; i < users.length; i = next++) await (users[i] as VirtualUser).seed();
      }),
    );
    const live = performance.now() + LIVE_TIMEOUT_MS;
    while (users.some((u) => u.matcher.seen === 0)) {
      if (performance.now() > live) {
        const silent = users.filter((u) => u.matcher.seen === 0).length;
        throw new Error(
          `${silent} of ${users.length} WatchTasks streams delivered no change within a minute`,
        );
      }
      await Bun.sleep(100);
    }
    const pending = () => users.reduce((s, u) => s + u.matcher.pending, 0);
    const drained = performance.now() + DRAIN_TIMEOUT_MS;
    while (pending() > 0 && performance.now() < drained) await Bun.sleep(100);
    this.recorder.backlogAtStart = pending();
    return this.recorder.backlogAtStart;
  }

  /** {@link add} and {@link seed} in one, for a run of a fixed set of users; closes them on failure. */
  static async open(
    targets: LoadTargets,
    accounts: readonly SignedUp[],
    behaviour: UserBehaviour,
    recorder: Recorder,
    concurrency: number,
  ): Promise<LoadSession> {
    const session = new LoadSession(targets, behaviour, recorder);
    try {
      await session.seed(session.add(accounts), concurrency);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  get users(): readonly VirtualUser[] {
    return this.all;
  }

  /** The number of streams the users hold open (two per user). */
  get streams(): number {
    return this.all.length * 2;
  }

  /** Lets every user act for `durationS` seconds, then waits for the last changes; the measurements. */
  async run(durationS: number): Promise<Measurements> {
    this.recorder.start();
    const until = performance.now() + durationS * 1000;
    const endWall = Date.now() + durationS * 1000;
    await Promise.all(this.all.map((u) => u.live(until, endWall)));
    this.recorder.stop();
    await Bun.sleep(GRACE_MS);
    for (const u of this.all) u.matcher.finish();
    return this.recorder.measurements();
  }

  /** Closes every stream and connection. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((u) => u.close()));
    for (const c of this.connections) c.close();
  }
}
