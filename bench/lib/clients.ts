/**
 * The benchmarks' gRPC clients: the load generator's (`@todo/loadgen/clients`), which the benchmarks
 * share with it — connect-node transports over h2c, one HTTP/2 connection each unless shared, and
 * sign-up of a throwaway user per client. A service may not import from bench/, so the one copy
 * lives in the service.
 */
export { GrpcClients, type GrpcClientsOptions, type SignedUp } from "@todo/loadgen/clients";
