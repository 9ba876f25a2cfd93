/** Events: CloudEvents and topics, the in-process bus, the transactional outbox and its relay, idempotent consumers. The Kafka and Dapr buses are in `./adapters`. */
export * from "../events";
export * from "../bus-memory";
export * from "../consumer";
export * from "../outbox";
export * from "../outbox-claim";
export * from "../queue-tables";
export * from "../cloudevent-json";
