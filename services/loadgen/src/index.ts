/**
 * The load generator (`services/loadgen`): virtual users that sign up, keep WatchTasks and
 * WatchNotifications open and, with think time, list, search, quick-add, update, complete and delete
 * over gRPC and Connect, measuring what each waits for. `main.ts` runs it as a command (or a
 * Deployment); `bench/users.ts` drives it in steps of users.
 */
export { GrpcClients, type SignedUp, type WireProtocol } from "./clients";
export {
  behaviourOptions,
  DEFAULT_MIX,
  type LoadOptions,
  type LoadTargets,
  loadOptions,
  type UserBehaviour,
} from "./options";
export { type Measurements, OPERATIONS, type OperationReport, Recorder } from "./recorder";
export { errorCount, errorText, measurementsMarkdown, operationsTable, streamsTable } from "./report";
export { LoadSession, protocolOf, signUpUsers } from "./session";
