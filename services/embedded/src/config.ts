/**
 * Settings of the one-process server (`bun start`), from environment variables. Everything has a
 * default that works on a laptop with nothing else installed.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { envInt, envString } from "@todo/platform";
import { ensurePrivateDir } from "@todo/platform/data";

/** The resolved settings. */
export interface AppConfig {
  /** Interface to listen on (`HOST`, default 127.0.0.1; use 0.0.0.0 in a container). */
  host: string;
  /** HTTP/1.1 port: web app, Connect, gRPC-web (`PORT`, default 8080; 0 picks one). */
  httpPort: number;
  /** h2c port: gRPC, Connect, gRPC-web (`GRPC_PORT`, default 50051; 0 picks one). */
  grpcPort: number;
  /** Where the embedded database and generated secrets live (`TODO_DATA_DIR`, default ./data). */
  dataDir: string;
  /** A PostgreSQL URL (`DATABASE_URL`); the embedded PGlite store when unset. */
  databaseUrl: string | undefined;
  /** HS256 signing key for access tokens (`JWT_SECRET`); generated and kept in the data dir when unset. */
  jwtSecret: string;
  /** Token lifetime in seconds (`JWT_TTL_SECONDS`, default 7 days). */
  jwtTtlSeconds: number;
  /** Built web app (`WEB_DIST`, default web/dist). */
  webDist: string;
}

/** Reads the secret kept in the data dir, creating it (mode 0600) on first start. */
function dataDirSecret(dataDir: string): string {
  const file = join(dataDir, "jwt-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  ensurePrivateDir(dataDir);
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Loads the settings from the environment. */
export function loadAppConfig(): AppConfig {
  const dataDir = resolve(envString("TODO_DATA_DIR", "./data"));
  return {
    host: envString("HOST", "127.0.0.1"),
    httpPort: envInt("PORT", 8080, 0, 65535),
    grpcPort: envInt("GRPC_PORT", 50051, 0, 65535),
    dataDir,
    databaseUrl: envString("DATABASE_URL"),
    jwtSecret: envString("JWT_SECRET") ?? dataDirSecret(dataDir),
    jwtTtlSeconds: envInt("JWT_TTL_SECONDS", 7 * 24 * 3600, 60, 365 * 24 * 3600),
    webDist: resolve(envString("WEB_DIST", join(import.meta.dir, "..", "..", "..", "web", "dist"))),
  };
}
