/**
 * `bun scripts/sdk-tools.ts`: builds (or finds in the cache) the Go and Python SDKs' generators
 * and docs generators and test tools — protoc-gen-go, protoc-gen-connect-go, protoc-gen-doc,
 * protoc-gen-connect-openapi, and a venv with grpcio-tools, the SDK's dependencies and pytest (scripts/lib/sdk-tools.ts) — and prints one `NAME=/path` line each on
 * stdout (progress goes to stderr). `bun run gen` and the SDK tests do this themselves; `.ci/run`
 * calls it first so that a build is timed on its own.
 */
import { ensureSdkTools } from "./lib/sdk-tools.ts";

const tools = await ensureSdkTools((message) => console.error(message));
console.log(
  [
    `PROTOC_GEN_GO=${tools.protocGenGo}`,
    `PROTOC_GEN_CONNECT_GO=${tools.protocGenConnectGo}`,
    `PROTOC_GEN_DOC=${tools.protocGenDoc}`,
    `PROTOC_GEN_CONNECT_OPENAPI=${tools.protocGenConnectOpenapi}`,
    `PROTOC_GEN_GRPC_PYTHON=${tools.protocGenGrpcPython}`,
    `SDK_PYTHON=${tools.python}`,
    `SDK_TOOLS_DIR=${tools.dir}`,
  ].join("\n"),
);
