/**
 * Turns a definition node into its running operator.
 */
import { EnrichOperator } from "../operators/enrich-operator.js";
import { EventTimeOperator } from "../operators/event-time-operator.js";
import { FilterOperator } from "../operators/filter-operator.js";
import { FlatMapOperator } from "../operators/flat-map-operator.js";
import { IntervalJoinOperator } from "../operators/interval-join-operator.js";
import { KeyedProcessOperator } from "../operators/keyed-process-operator.js";
import { MapOperator } from "../operators/map-operator.js";
import { SessionWindowOperator } from "../operators/session-window-operator.js";
import { SinkOperator } from "../operators/sink-operator.js";
import { SlidingWindowOperator } from "../operators/sliding-window-operator.js";
import { UnionOperator } from "../operators/union-operator.js";
import type { StreamNode } from "../stream/stream-node.js";
import { resolveWatermarkOptions } from "../time/watermark-options.js";
import type { Operator } from "./operator.js";

/** Builds the operator of `node`; side nodes have none (they are edges). */
export function buildOperator(node: Exclude<StreamNode, { kind: "side" }>): Operator {
  switch (node.kind) {
    case "source":
      return new EventTimeOperator(
        node.name,
        "source",
        resolveWatermarkOptions(node.name, node.options),
      );
    case "withEventTime":
      return new EventTimeOperator(
        node.name,
        "withEventTime",
        resolveWatermarkOptions(node.name, node.options),
      );
    case "map":
      return new MapOperator(node.name, node.fn);
    case "filter":
      return new FilterOperator(node.name, node.fn);
    case "flatMap":
      return new FlatMapOperator(node.name, node.fn);
    case "union":
      return new UnionOperator(node.name, node.parents.length);
    case "window":
      return node.spec.kind === "session"
        ? new SessionWindowOperator(node.name, node.key, node.spec, node.aggregator, node.options)
        : new SlidingWindowOperator(node.name, node.key, node.spec, node.aggregator, node.options);
    case "process":
      return new KeyedProcessOperator(node.name, node.key, node.fn);
    case "enrich":
      return new EnrichOperator(node.name, node.table, node.lookupKey, node.combine);
    case "intervalJoin":
      return new IntervalJoinOperator(
        node.name,
        node.keys[0],
        node.keys[1],
        node.lower,
        node.upper,
        node.combine,
      );
    case "sink":
      return new SinkOperator(node.name);
  }
}
