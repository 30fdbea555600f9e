/**
 * HTTP connectors: the ingest endpoint source (see docs/connectors-http.md).
 */
export {
  type HttpIngestReader,
  HttpIngestSource,
  type HttpIngestSourceOptions,
  type IngestResponse,
} from "./http-ingest-source.js";
export { type IngestBody, type IngestItem, parseIngestBody } from "./ingest-body.js";
