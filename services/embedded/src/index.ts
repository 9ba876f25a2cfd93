/** The embedded mode (`bun start`): every service in one process, on PGlite or PostgreSQL. */

export { type App, startApp } from "./app";
export { type AppConfig, loadAppConfig } from "./config";
export {
  createSystem,
  type ExtraSubscriber,
  migrateSystem,
  type System,
  type SystemOptions,
  type SystemTuning,
} from "./system";
