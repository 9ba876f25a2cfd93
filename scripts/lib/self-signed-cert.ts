/**
 * A throw-away TLS certificate for a test server on loopback, made with `openssl` (node:crypto
 * makes keys but not X.509 certificates). Self-signed, so a client trusts it by taking the
 * certificate itself as its CA (`tls: { ca: cert }`, a kubeconfig's `certificate-authority-data`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { capture } from "./proc.ts";

/** A certificate and its key, as files and as PEM text. */
export interface SelfSignedCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes `cert.pem` and `key.pem` (ECDSA P-256, valid for two days) into `dir`, for the names
 * 127.0.0.1 and localhost. Throws when openssl is missing or fails.
 */
export async function selfSignedCert(dir: string): Promise<SelfSignedCert> {
  const openssl = Bun.which("openssl");
  if (!openssl)
    throw new Error("openssl is not installed (Debian: apt-get install openssl); it makes test certificates");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const made = await capture([
    openssl,
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  if (made.code !== 0) throw new Error(`openssl req failed (exit ${made.code}): ${made.stderr}`);
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}
