/**
 * The benchmarks' option parsing (a flag or an environment variable per option, bad values named):
 * the load generator's (`@todo/loadgen/options`), shared with it, since a service may not import
 * from bench/.
 */
export * from "@todo/loadgen/options";
