/**
 * Reads an OTLP `ExportLogsServiceRequest` in protobuf (what the collector's `otlp_http` exporter
 * POSTs to Loki's `/otlp/v1/logs`) into plain records, for logs.test.ts: field numbers of
 * opentelemetry-proto's `logs/v1/logs.proto` and `common/v1/common.proto`, read with protobuf-es's
 * wire reader. Only what a test asserts on is kept: string, integer, boolean and double values
 * (anything else is skipped), the resource's and the record's attributes, the scope name, severity,
 * body, and the trace and span ids in hex.
 */
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";

/** An attribute value as kept here. */
export type OtlpValue = string | number | boolean | undefined;

/** One log record with its resource and scope. */
export interface OtlpLogRecord {
  readonly resource: Readonly<Record<string, OtlpValue>>;
  readonly scope: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: OtlpValue;
  readonly attributes: Readonly<Record<string, OtlpValue>>;
  /** Hex; empty when the record carries no trace context. */
  readonly traceId: string;
  readonly spanId: string;
}

/** Calls `field` for every field of the message in `bytes`; `field` reads the value or returns false to skip it. */
function fields(bytes: Uint8Array, field: (no: number, wire: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wire] = r.tag();
    if (!field(no, wire, r)) r.skip(wire, no);
  }
}

/** common.v1.AnyValue: string 1, bool 2, int 3, double 4. */
function anyValue(bytes: Uint8Array): OtlpValue {
  let value: OtlpValue;
  fields(bytes, (no, _w, r) => {
    if (no === 1) value = r.string();
    else if (no === 2) value = r.bool();
    else if (no === 3) value = Number(r.int64());
    else if (no === 4) value = r.double();
    else return false;
    return true;
  });
  return value;
}

/** Repeated common.v1.KeyValue (key 1, value 2) into `into`. */
function keyValue(bytes: Uint8Array, into: Record<string, OtlpValue>): void {
  let key = "";
  let value: OtlpValue;
  fields(bytes, (no, _w, r) => {
    if (no === 1) key = r.string();
    else if (no === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  into[key] = value;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The log records of one request, in order. */
export function decodeLogsRequest(bytes: Uint8Array): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  // ExportLogsServiceRequest.resource_logs 1 → ResourceLogs{resource 1, scope_logs 2}.
  fields(bytes, (no, _w, r) => {
    if (no !== 1) return false;
    const resource: Record<string, OtlpValue> = {};
    const scopes: Uint8Array[] = [];
    fields(r.bytes(), (rno, _rw, rr) => {
      if (rno === 1)
        fields(rr.bytes(), (ano, _aw, ar) => {
          if (ano !== 1) return false;
          keyValue(ar.bytes(), resource);
          return true;
        });
      else if (rno === 2) scopes.push(rr.bytes());
      else return false;
      return true;
    });
    // ScopeLogs{scope 1 (InstrumentationScope{name 1}), log_records 2}.
    for (const scopeLogs of scopes) {
      let scope = "";
      const records: Uint8Array[] = [];
      fields(scopeLogs, (sno, _sw, sr) => {
        if (sno === 1)
          fields(sr.bytes(), (nno, _nw, nr) => {
            if (nno !== 1) return false;
            scope = nr.string();
            return true;
          });
        else if (sno === 2) records.push(sr.bytes());
        else return false;
        return true;
      });
      for (const record of records) out.push(logRecord(record, resource, scope));
    }
    return true;
  });
  return out;
}

/** LogRecord: severity_number 2, severity_text 3, body 5, attributes 6, trace_id 9, span_id 10. */
function logRecord(bytes: Uint8Array, resource: Record<string, OtlpValue>, scope: string): OtlpLogRecord {
  const rec = {
    resource,
    scope,
    severityNumber: 0,
    severityText: "",
    body: undefined as OtlpValue,
    attributes: {} as Record<string, OtlpValue>,
    traceId: "",
    spanId: "",
  };
  fields(bytes, (no, _w, r) => {
    if (no === 2) rec.severityNumber = r.int32();
    else if (no === 3) rec.severityText = r.string();
    else if (no === 5) rec.body = anyValue(r.bytes());
    else if (no === 6) keyValue(r.bytes(), rec.attributes);
    else if (no === 9) rec.traceId = hex(r.bytes());
    else if (no === 10) rec.spanId = hex(r.bytes());
    else return false;
    return true;
  });
  return rec;
}
