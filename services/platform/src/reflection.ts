/**
 * gRPC server reflection (`grpc.reflection.v1.ServerReflection` and the older
 * `grpc.reflection.v1alpha.ServerReflection`) for our Connect servers.
 *
 * With it `grpcurl`, `buf curl` (without `--schema`) and similar tools discover our API from the running server.
 * The answers come from the protobuf-es descriptors embedded in the generated code, so there is nothing to keep in
 * sync by hand. Both versions are served because clients still differ in which one they try first.
 *
 * @module
 */
import { create, type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "@todo/gen/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@todo/gen/grpc/reflection/v1alpha/reflection_pb";

/**
 * The reflection services themselves (v1 and v1alpha). {@link registerReflection} registers them and lists them
 * alongside the caller's services, as gRPC's own implementations do.
 */
export function reflectionServices(): DescService[] {
  return [v1.ServerReflection, v1alpha.ServerReflection];
}

/** A reflection request, as the same shape in v1 and v1alpha. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | {
        case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices";
        value: string;
      }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/** The `message_response` oneof of a reflection response, valid as init for both v1 and v1alpha. */
type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** What the server can describe: the files the services need, and an index over them. Built once. */
interface ReflectionIndex {
  services: string[];
  /** Proto file name ("todo/task/v1/task.proto") → file. */
  files: Map<string, DescFile>;
  /** Fully-qualified symbol (service, method, message, field, oneof, enum, enum value, extension) → file. */
  symbols: Map<string, DescFile>;
  /** Extendee type name → extension number → file declaring the extension. */
  extensions: Map<string, Map<number, DescFile>>;
  /** Serialized FileDescriptorProto per file name. */
  encoded: Map<string, Uint8Array>;
}

function buildIndex(services: DescService[]): ReflectionIndex {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  const unique = new Map<string, DescService>();
  for (const service of services) unique.set(service.typeName, service);
  for (const service of unique.values()) visit(service.file);

  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();
  for (const file of files.values()) {
    for (const type of nestedTypes(file)) {
      symbols.set(type.typeName, file);
      switch (type.kind) {
        case "message":
          for (const field of type.fields) symbols.set(`${type.typeName}.${field.name}`, file);
          for (const oneof of type.oneofs) symbols.set(`${type.typeName}.${oneof.name}`, file);
          // Map entry messages are no DescMessage in protobuf-es, but they are symbols of the file.
          for (const nested of type.proto.nestedType) symbols.set(`${type.typeName}.${nested.name}`, file);
          break;
        case "enum": {
          // Enum values are scoped next to their enum, not inside it.
          const scope = type.typeName.slice(0, Math.max(type.typeName.lastIndexOf("."), 0));
          for (const value of type.values) symbols.set(scope ? `${scope}.${value.name}` : value.name, file);
          break;
        }
        case "service":
          for (const method of type.methods) symbols.set(`${type.typeName}.${method.name}`, file);
          break;
        case "extension": {
          const numbers = extensions.get(type.extendee.typeName) ?? new Map<number, DescFile>();
          numbers.set(type.number, file);
          extensions.set(type.extendee.typeName, numbers);
          break;
        }
      }
    }
  }

  const encoded = new Map<string, Uint8Array>();
  for (const [name, file] of files) encoded.set(name, toBinary(FileDescriptorProtoSchema, file.proto));
  return { services: [...unique.keys()].sort(), files, symbols, extensions, encoded };
}

const notFound = (message: string): ReflectionAnswer => ({
  case: "errorResponse",
  value: { errorCode: Code.NotFound, errorMessage: message },
});

/**
 * Answer one request of a stream. `sent` holds the files this stream has already sent: the requested file is
 * always included (first), its transitive dependencies only when the stream has not had them yet.
 */
function answer(index: ReflectionIndex, request: ReflectionRequest, sent: Set<string>): ReflectionAnswer {
  const withDependencies = (file: DescFile): ReflectionAnswer => {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const queue: DescFile[] = [file];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const name = next.proto.name;
      if (seen.has(name)) continue;
      seen.add(name);
      if (out.length === 0 || !sent.has(name)) {
        sent.add(name);
        const bytes = index.encoded.get(name);
        if (bytes) out.push(bytes);
      }
      queue.push(...next.dependencies);
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  };

  const { messageRequest } = request;
  switch (messageRequest.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = index.files.get(messageRequest.value);
      return file ? withDependencies(file) : notFound(`file not found: ${messageRequest.value}`);
    }
    case "fileContainingSymbol": {
      const file = index.symbols.get(messageRequest.value.replace(/^\./, ""));
      return file ? withDependencies(file) : notFound(`symbol not found: ${messageRequest.value}`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      const file = index.extensions.get(containingType.replace(/^\./, ""))?.get(extensionNumber);
      return file
        ? withDependencies(file)
        : notFound(`extension not found: ${containingType} field ${extensionNumber}`);
    }
    case "allExtensionNumbersOfType": {
      const typeName = messageRequest.value.replace(/^\./, "");
      if (!index.symbols.has(typeName)) return notFound(`type not found: ${messageRequest.value}`);
      const numbers = [...(index.extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: typeName, extensionNumber: numbers },
      };
    }
    default:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "empty or unknown reflection request" },
      };
  }
}

/**
 * Register v1 and v1alpha server reflection on `router`, answering for `services` (plus the reflection services
 * themselves) and every file they need, transitively, well-known types included.
 *
 * Per request of the bidi stream: `list_services`; `file_by_filename`, `file_containing_symbol` (services,
 * methods, messages, fields, oneofs, enums, enum values, extensions, nested ones too) and
 * `file_containing_extension` answer serialized FileDescriptorProtos, the requested file first, then each
 * dependency the stream has not been sent yet; `all_extension_numbers_of_type` lists the extension numbers we know
 * for a known type (often none). Anything unknown is an `error_response` with NOT_FOUND (5); the stream goes on.
 */
export function registerReflection(router: ConnectRouter, services: DescService[]): void {
  const index = buildIndex([...services, ...reflectionServices()]);

  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(index, request, sent),
        });
      }
    },
  });

  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(index, request, sent),
        });
      }
    },
  });
}
