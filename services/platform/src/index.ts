/** The shared kit of every Todo service: config, database, migrations, auth, errors, serving, telemetry. */
export * from "./auth";
export * from "./config";
export * from "./db";
export * from "./errors";
export * from "./events";
export * from "./health";
export * from "./logger";
export * from "./migrate";
export * from "./reflection";
export * from "./server";
export * from "./service-main";
export * from "./telemetry";
export * from "./time-zone";
export * from "./validation";
