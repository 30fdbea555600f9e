/**
 * Compiles a dataflow definition (sink steps and their ancestors) into connected
 * operators in topological order, checking that step names are unique.
 */
import { PipelineDefinitionError } from "../errors.js";
import type { EventTimeOperator } from "../operators/event-time-operator.js";
import type { SinkOperator } from "../operators/sink-operator.js";
import { buildOperator } from "../runtime/build-operator.js";
import type { Operator } from "../runtime/operator.js";
import type { Sink } from "../sink.js";
import type { Source } from "../source.js";
import { parentsOf, type StreamNode } from "./stream-node.js";

export interface CompiledSource {
  readonly name: string;
  readonly source: Source<unknown>;
  readonly operator: EventTimeOperator;
  readonly hasTimestamp: boolean;
}

export interface CompiledSink {
  readonly name: string;
  readonly sink: Sink<unknown>;
  readonly operator: SinkOperator;
}

export interface CompiledGraph {
  /** Every operator, each after all of its upstream operators. */
  readonly operators: readonly Operator[];
  readonly sources: readonly CompiledSource[];
  readonly sinks: readonly CompiledSink[];
  /** For each `withEventTime` operator, the source steps upstream of it. */
  readonly eventTimeSources: ReadonlyMap<EventTimeOperator, readonly string[]>;
}

export function compileGraph(sinkNodes: readonly StreamNode[]): CompiledGraph {
  const built = new Map<StreamNode, Operator>();
  const names = new Map<string, StreamNode>();
  const operators: Operator[] = [];
  const sources: CompiledSource[] = [];
  const sinks: CompiledSink[] = [];
  const eventTimeSources = new Map<EventTimeOperator, readonly string[]>();
  const ancestors = new Map<StreamNode, ReadonlySet<string>>();

  const sourcesAbove = (node: StreamNode): ReadonlySet<string> => {
    const known = ancestors.get(node);
    if (known) return known;
    const found = new Set<string>();
    if (node.kind === "source") found.add(node.name);
    for (const p of parentsOf(node)) for (const s of sourcesAbove(p)) found.add(s);
    ancestors.set(node, found);
    return found;
  };

  const producer = (node: StreamNode): { op: Operator; tag: string } =>
    node.kind === "side" ? { op: visit(node.parent), tag: node.tag } : { op: visit(node), tag: "" };

  const visit = (node: StreamNode): Operator => {
    const existing = built.get(node);
    if (existing) return existing;
    if (node.kind === "side") return visit(node.parent);
    const clash = names.get(node.name);
    if (clash && clash !== node) {
      throw new PipelineDefinitionError(
        `two different steps are named "${node.name}": step names must be unique in a dataflow`,
      );
    }
    names.set(node.name, node);
    const inputs = parentsOf(node).map(producer);
    const op = buildOperator(node);
    built.set(node, op);
    inputs.forEach(({ op: upstream, tag }, i) => {
      upstream.connect(tag, op, i);
    });
    operators.push(op);
    if (node.kind === "source") {
      sources.push({
        name: node.name,
        source: node.source,
        operator: op as EventTimeOperator,
        hasTimestamp: node.options.timestamp !== undefined,
      });
    } else if (node.kind === "sink") {
      sinks.push({ name: node.name, sink: node.sink, operator: op as SinkOperator });
    } else if (node.kind === "withEventTime") {
      eventTimeSources.set(op as EventTimeOperator, [...sourcesAbove(node)]);
    }
    return op;
  };

  for (const node of sinkNodes) visit(node);
  if (sinks.length === 0)
    throw new PipelineDefinitionError("a dataflow needs at least one sink step");
  return { operators, sources, sinks, eventTimeSources };
}
