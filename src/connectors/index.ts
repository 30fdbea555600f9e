/**
 * millstream's connectors (`millstream/connectors`): sources, sinks and checkpoint
 * stores that implement the engine's contracts.
 */
export * from "./checkpoint/index.js";
export * from "./file/index.js";
export * from "./parquet/index.js";
export * from "./inbound-message.js";
