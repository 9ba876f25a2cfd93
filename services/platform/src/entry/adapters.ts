/**
 * The Kafka and Dapr implementations of the bus, jobs and state, and the factories that choose one
 * from the environment: what a service's main.ts wires. They are kept out of the other entries so
 * that what does not run on Kafka or Dapr (`bun start`) never loads kafkajs.
 */
export * from "../bus";
export * from "../bus-dapr";
export * from "../bus-kafka";
export * from "../dapr";
export * from "../jobs-dapr";
export * from "../jobs-factory";
export * from "../kafka-envelope";
export * from "../state-dapr";
