/**
 * A real Kubernetes API server on loopback, for tests that want manifests judged the way a
 * cluster judges them (`kubectl apply --dry-run=server`: schema, CEL rules, defaulting, admission)
 * without a cluster: there is no Docker engine here, so kind/minikube/k3s cannot run. It is
 * Debian's `etcd` (etcd-server 3.4) plus the kube-apiserver from `kube-tools.ts`; no kubelet, no
 * controllers and no webhooks run, so nothing is ever scheduled and `--wait` would hang.
 *
 * - etcd listens on two free loopback ports, its data in a fresh directory (on /dev/shm when there
 *   is one: fsync costs nothing there and the data is thrown away anyway);
 * - kube-apiserver serves https on a free loopback port with a self-signed certificate
 *   (`self-signed-cert.ts`; the kubeconfig trusts exactly that certificate), authenticates one
 *   static token as a member of `system:masters`, and authorizes with RBAC, as a cluster does
 *   (`system:masters` is always allowed);
 * - the `ServiceAccount` admission plugin is off: with no controller-manager nobody creates the
 *   `default` ServiceAccounts, and that plugin would refuse every Pod. Everything else is the
 *   default admission chain (PodSecurity, NamespaceLifecycle, LimitRanger, …).
 *
 * `stop()` sends SIGINT (kube-apiserver ignores SIGTERM for a long time), then SIGKILL after 15 s,
 * stops etcd, and deletes the directory; the children are also killed when this process exits.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../tests/e2e/lib/server.ts";
import { crdYamlFiles, ensureKubeTools, type KubeTools } from "./kube-tools.ts";
import { type Captured, capture, ownedTempDir, stopProcess, tailFile } from "./proc.ts";
import { selfSignedCert } from "./self-signed-cert.ts";

/** Debian's etcd (package etcd-server). */
export const ETCD = "/usr/bin/etcd";
/** kubectl; `KUBECTL` overrides. */
export const KUBECTL: string = process.env.KUBECTL ?? Bun.which("kubectl") ?? "/usr/bin/kubectl";

/** A running API server. */
export interface KubeApiServer {
  /** Path of a kubeconfig with one context, `todo-test`, that is cluster-admin. */
  readonly kubeconfig: string;
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bearer token the kubeconfig uses. */
  readonly token: string;
  /** Environment for a kubectl or helm child: `KUBECONFIG` and a private `KUBECACHEDIR`. */
  readonly env: Readonly<Record<string, string>>;
  readonly pids: { readonly apiserver: number; readonly etcd: number };
  /** Milliseconds from starting etcd until `/readyz` answered ok. */
  readonly readyMs: number;
  /** Runs kubectl against this server (stdin closed); never throws for a non-zero exit. */
  kubectl(args: readonly string[]): Promise<Captured>;
  /** Resident memory of kube-apiserver and of etcd, in bytes (from /proc). */
  rss(): { apiserver: number; etcd: number };
  /** Stops both processes and deletes their data. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of `startKubeApiServer`. */
export interface StartOptions {
  /** The tools (default: `ensureKubeTools()`, a cache hit after `bun run kube:tools`). */
  readonly tools?: KubeTools;
  /** How long to wait for `/readyz` (default 90 s). */
  readonly readyTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const DIR_PREFIX = "todo-kube-apiserver-";

/**
 * Starts etcd and kube-apiserver on loopback and waits until `/readyz` says ok. Throws (with the
 * tail of both logs) if either exits or the server is not ready in time; nothing is left running.
 */
export async function startKubeApiServer(opts: StartOptions = {}): Promise<KubeApiServer> {
  const log = opts.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const tools = opts.tools ?? (await ensureKubeTools(log));
  if (!existsSync(ETCD))
    throw new Error(`${ETCD} is missing: apt-get install etcd-server (Debian's etcd 3.4)`);
  // On /dev/shm when there is one (etcd preallocates 64 MB of WAL: memory there, so clean up).
  const dir = ownedTempDir(DIR_PREFIX, existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
  const children: Subprocess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const [etcd, apiserver] = children;
    if (apiserver) await stopProcess(apiserver, "SIGINT", 15_000);
    if (etcd) await stopProcess(etcd, "SIGTERM", 10_000);
    process.off("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const started = performance.now();
    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdLog = join(dir, "etcd.log");
    const etcdFd = openSync(etcdLog, "a");
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    children.push(
      Bun.spawn(
        [
          ETCD,
          "--name=todo-test",
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=todo-test=${peerUrl}`,
          "--logger=zap",
          "--log-level=warn",
          "--quota-backend-bytes=1073741824",
        ],
        { cwd: dir, stdin: "ignore", stdout: etcdFd, stderr: etcdFd },
      ),
    );
    closeSync(etcdFd);

    const tls = await selfSignedCert(dir);
    const saKey = join(dir, "service-account.key");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(saKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const token = randomBytes(24).toString("hex");
    const tokens = join(dir, "tokens.csv");
    writeFileSync(tokens, `${token},todo-test-admin,todo-test-admin,"system:masters"\n`, { mode: 0o600 });
    const apiserverLog = join(dir, "kube-apiserver.log");
    const apiserverFd = openSync(apiserverLog, "a");
    mkdirSync(join(dir, "certs"));
    children.push(
      Bun.spawn(
        [
          tools.kubeApiserver,
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${securePort}`,
          `--tls-cert-file=${tls.certFile}`,
          `--tls-private-key-file=${tls.keyFile}`,
          `--cert-dir=${join(dir, "certs")}`,
          `--token-auth-file=${tokens}`,
          "--authorization-mode=RBAC",
          `--service-account-key-file=${saKey}`,
          `--service-account-signing-key-file=${saKey}`,
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          // Addresses handed to Service objects only: nothing routes or connects to them here.
          "--service-cluster-ip-range=10.96.0.0/16",
          "--disable-admission-plugins=ServiceAccount",
          "--allow-privileged=true",
          "--profiling=false",
          "--v=0",
        ],
        { cwd: dir, stdin: "ignore", stdout: apiserverFd, stderr: apiserverFd },
      ),
    );
    closeSync(apiserverFd);

    const url = `https://127.0.0.1:${securePort}`;
    const ca = tls.cert;
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
    let last = "no answer yet";
    for (;;) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) {
        const which = dead === children[0] ? "etcd" : "kube-apiserver";
        throw new Error(
          `${which} exited (${dead.exitCode ?? dead.signalCode}) while starting\n--- etcd:\n${tailFile(etcdLog)}\n--- kube-apiserver:\n${tailFile(apiserverLog)}`,
        );
      }
      try {
        const res = await fetch(`${url}/readyz`, {
          headers: { authorization: `Bearer ${token}` },
          tls: { ca },
          signal: AbortSignal.timeout(2_000),
        });
        last = `${res.status} ${(await res.text()).slice(0, 300)}`;
        if (res.ok) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `kube-apiserver not ready at ${url}/readyz: ${last}\n--- kube-apiserver:\n${tailFile(apiserverLog)}`,
        );
      }
      await Bun.sleep(200);
    }
    const readyMs = Math.round(performance.now() - started);

    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: todo-test",
        "    cluster:",
        `      server: ${url}`,
        `      certificate-authority-data: ${Buffer.from(ca).toString("base64")}`,
        "users:",
        "  - name: todo-test-admin",
        "    user:",
        `      token: ${token}`,
        "contexts:",
        "  - name: todo-test",
        "    context: { cluster: todo-test, user: todo-test-admin, namespace: default }",
        "current-context: todo-test",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    // A private discovery cache: kubectl must never answer from another server's cached kinds.
    const env = { KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, "kube-cache") };
    const [etcd, apiserver] = children as [Subprocess, Subprocess];
    log(`kube-apiserver: ready at ${url} in ${readyMs} ms (${basename(dir)})`);
    return {
      kubeconfig,
      url,
      token,
      env,
      pids: { apiserver: apiserver.pid, etcd: etcd.pid },
      readyMs,
      kubectl: (args) => capture([KUBECTL, ...args], { cwd: dir, env: { ...process.env, ...env } }),
      rss: () => ({ apiserver: rssOf(apiserver.pid), etcd: rssOf(etcd.pid) }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `metadata.name` of every CRD in the given files. */
function crdNames(files: readonly string[]): string[] {
  const names: string[] = [];
  for (const file of files) {
    const parsed: unknown = Bun.YAML.parse(readFileSync(file, "utf8"));
    for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
      const d = doc as { kind?: string; metadata?: { name?: string } };
      if (d?.kind === "CustomResourceDefinition" && d.metadata?.name) names.push(d.metadata.name);
    }
  }
  return names;
}

/**
 * Applies every vendored CRD (`deploy/crds/**`, or `files`) with `kubectl apply --server-side`
 * (the large ones exceed client-side apply's 256 KiB annotation limit) and waits until each is
 * Established, so custom resources of those kinds can be applied right away. Returns the CRD names.
 */
export async function installCrds(
  kubeconfig: string,
  files: readonly string[] = crdYamlFiles(),
): Promise<string[]> {
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    KUBECACHEDIR: join(dirname(kubeconfig), "kube-cache"),
  };
  const apply = await capture(
    [KUBECTL, "apply", "--server-side", "--field-manager=todo-tests", ...files.flatMap((f) => ["-f", f])],
    { env },
  );
  if (apply.code !== 0)
    throw new Error(`kubectl apply of the CRDs failed (exit ${apply.code}):\n${apply.stderr}`);
  const names = crdNames(files);
  const wait = await capture(
    [KUBECTL, "wait", "--for=condition=Established", "--timeout=60s", ...names.map((n) => `crd/${n}`)],
    { env },
  );
  if (wait.code !== 0)
    throw new Error(`CRDs not Established (exit ${wait.code}):\n${wait.stdout}${wait.stderr}`);
  return names;
}
