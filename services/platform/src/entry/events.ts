/**
 * Events: CloudEvents and topics, the in-process bus, the transactional outbox and its relay,
 * idempotent consumers. The Kafka and Dapr buses are in `./adapters`.
 */

export * from "../bus-memory";
export * from "../cloudevent-json";
export * from "../consumer";
export * from "../events";
export * from "../outbox";
export * from "../outbox-claim";
export * from "../queue-tables";
