/**
 * The benchmarks' statistics helpers (nearest-rank percentiles, their markdown formatting). They live
 * in the load generator (`@todo/loadgen/stats`), which is a service and may not import from bench/,
 * so the benchmarks and the load generator share one copy.
 */
export * from "@todo/loadgen/stats";
