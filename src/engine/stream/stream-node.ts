/**
 * The nodes of a dataflow definition. Streams are immutable values holding one
 * node each; a node points at its parents, so one parsed stream can feed many
 * branches and the whole graph is found by walking up from the sinks.
 */
import type { AnyAggregator } from "../aggregate/aggregator.js";
import type { Key } from "../partition.js";
import type { Sink } from "../sink.js";
import type { Source } from "../source.js";
import type { LookupTable } from "../state/lookup-table.js";
import type { WatermarkOptions } from "../time/watermark-options.js";
import type { KeyedProcessFunction } from "../state/keyed-process-function.js";
import type { WindowOptions } from "../window/window-result.js";
import type { WindowSpec } from "../window/window-spec.js";

type Fn = (value: unknown) => unknown;
type KeyFn = (value: unknown) => Key;

export type StreamNode =
  | {
      readonly kind: "source";
      readonly name: string;
      readonly source: Source<unknown>;
      readonly options: WatermarkOptions<unknown>;
    }
  | { readonly kind: "map"; readonly name: string; readonly parent: StreamNode; readonly fn: Fn }
  | {
      readonly kind: "filter";
      readonly name: string;
      readonly parent: StreamNode;
      readonly fn: (value: unknown) => boolean;
    }
  | {
      readonly kind: "flatMap";
      readonly name: string;
      readonly parent: StreamNode;
      readonly fn: (value: unknown) => Iterable<unknown>;
    }
  | {
      readonly kind: "withEventTime";
      readonly name: string;
      readonly parent: StreamNode;
      readonly options: WatermarkOptions<unknown>;
    }
  | { readonly kind: "union"; readonly name: string; readonly parents: readonly StreamNode[] }
  | {
      readonly kind: "window";
      readonly name: string;
      readonly parent: StreamNode;
      readonly key: KeyFn;
      readonly spec: WindowSpec;
      readonly aggregator: AnyAggregator<unknown>;
      readonly options: WindowOptions;
    }
  | {
      readonly kind: "process";
      readonly name: string;
      readonly parent: StreamNode;
      readonly key: KeyFn;
      readonly fn: KeyedProcessFunction<Key, unknown, unknown>;
    }
  | {
      readonly kind: "enrich";
      readonly name: string;
      readonly parent: StreamNode;
      readonly table: LookupTable<Key, unknown>;
      readonly lookupKey: KeyFn;
      readonly combine: (value: unknown, row: unknown) => unknown;
    }
  | {
      readonly kind: "intervalJoin";
      readonly name: string;
      readonly parents: readonly [StreamNode, StreamNode];
      readonly keys: readonly [KeyFn, KeyFn];
      readonly lower: number;
      readonly upper: number;
      readonly combine: (left: unknown, right: unknown, key: Key) => unknown;
    }
  | {
      readonly kind: "side";
      readonly name: string;
      readonly parent: StreamNode;
      readonly tag: string;
    }
  | {
      readonly kind: "sink";
      readonly name: string;
      readonly parent: StreamNode;
      readonly sink: Sink<unknown>;
    };

/** The parents of a node, in input order. */
export function parentsOf(node: StreamNode): readonly StreamNode[] {
  switch (node.kind) {
    case "source":
      return [];
    case "union":
    case "intervalJoin":
      return node.parents;
    default:
      return [node.parent];
  }
}
