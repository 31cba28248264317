/**
 * The exactly-once pipeline of the `kafka` system (`workload.pipeline`): its schema, the checks a
 * schema cannot make, its nodes and its checker. The producers p1.. write the input topic (the
 * workload's topic, transactionally with `workload.transactions`); the pipeline's instances
 * e1..eN (pipelineNode.ts) read it in one group at read_committed and write the output topic in
 * transactions that also commit their input offsets. Once they stopped, the world reads what the
 * checker needs: the output topic at read_committed (r3), the group's committed offsets (o1), and
 * the input at read_committed (r2, which the transactional workload has anyway).
 *
 * Timeline within the liveness phase (fractions of livenessMs after durationMs): the input producers
 * stop at 1/2; the instances stop starting transactions at 5/8; the final reads of the input at
 * 3/4, of the output and the offsets at 7/8 (they wait out any transaction left open).
 */
import type { Host, NodeId } from '../../../src/host.js';
import type { ScenarioIssue } from '../../scenario/errors.js';
import type { NodeSpec } from '../../world.js';
import { FinalGroupOffsetsReader } from './finalGroupOffsetsReader.js';
import { createPipelineNode, pipelineConfigs } from './pipelineNode.js';
import { AdminNode, FinalReaderNode } from './workload.js';

/** `workload.pipeline`, defaults filled in. */
export interface PipelineSpec {
  instances: number;
  group: string;
  protocol: 'classic' | 'consumer';
  outputTopic: string;
  outputPartitions: number;
  processingMs: number;
  pollTimeoutMs: number;
}

export const PIPELINE_SCHEMA = {
  type: ['object', 'null'],
  additionalProperties: false,
  default: null,
  properties: {
    instances: { type: 'integer', minimum: 1, maximum: 6, default: 2, description: 'pipeline instances e1..eN' },
    group: { type: 'string', minLength: 1, default: 'pipeline', description: "the instances' group.id" },
    protocol: { enum: ['classic', 'consumer'], default: 'classic', description: "group.protocol: classic, or KIP-848's consumer" },
    outputTopic: { type: 'string', minLength: 1, default: 'output', description: 'the topic the pipeline writes (not the workload topic)' },
    outputPartitions: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
    processingMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 1, description: 'processing time per record' },
    pollTimeoutMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 500 },
  },
} as const;

/** Keys of config.consumer the pipeline decides itself. */
const PIPELINE_DECIDES: readonly string[] = ['group.id', 'group.protocol', 'isolation.level', 'enable.auto.commit'];
/** Keys only classic members have (KIP-848's coordinator owns them). */
const CLASSIC_ONLY_KEYS: readonly string[] = ['session.timeout.ms', 'heartbeat.interval.ms'];

export function pipelineInstanceIds(spec: PipelineSpec): NodeId[] {
  return Array.from({ length: spec.instances }, (_, index) => `e${index + 1}`);
}

function consumerConfigOf(spec: PipelineSpec, consumer: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const shared = Object.entries(consumer).filter(([key]) => !PIPELINE_DECIDES.includes(key) && (spec.protocol === 'classic' || !CLASSIC_ONLY_KEYS.includes(key)));
  return { 'auto.offset.reset': 'earliest', ...Object.fromEntries(shared), 'group.id': spec.group, 'group.protocol': spec.protocol };
}

/** What the schema cannot say: the output topic is another topic, and the clients' configs must be valid for a pipeline. */
export function pipelineIssues(spec: PipelineSpec | null, inputTopic: string, consumer: Readonly<Record<string, unknown>>, producer: Readonly<Record<string, unknown>>): ScenarioIssue[] {
  if (spec === null) return [];
  const issues: ScenarioIssue[] = [];
  if (spec.outputTopic === inputTopic) issues.push({ path: 'workload.pipeline.outputTopic', message: `is ${spec.outputTopic}, the workload's own topic; the pipeline reads that one and must write another` });
  const configs = pipelineConfigs({ consumerConfig: consumerConfigOf(spec, consumer), producerConfig: producer }, 'e1');
  if (!configs.ok) for (const error of configs.errors) issues.push({ path: 'config', message: `for workload.pipeline (a read_committed consumer and a transactional producer per instance): ${error}` });
  return issues;
}

export interface PipelineNodesInput {
  readonly spec: PipelineSpec;
  readonly inputTopic: string;
  readonly inputPartitions: number;
  readonly replicationFactor: number;
  readonly topicConfigs: Readonly<Record<string, string>>;
  readonly controllers: readonly NodeId[];
  readonly brokers: readonly NodeId[];
  readonly consumer: Readonly<Record<string, unknown>>;
  readonly producer: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
  readonly livenessMs: number;
}

/** The instances, the admin that creates the output topic, and the final readers of the output and the offsets. */
export function pipelineNodes(input: PipelineNodesInput): NodeSpec[] {
  const { spec, durationMs, livenessMs, brokers } = input;
  const stopAtMs = durationMs + Math.floor((livenessMs * 5) / 8);
  const readAtMs = durationMs + Math.floor((livenessMs * 7) / 8);
  const instances = pipelineInstanceIds(spec).map((id): NodeSpec => ({
    id,
    role: 'client',
    factory: createPipelineNode({
      bootstrapBrokers: brokers,
      consumerConfig: consumerConfigOf(spec, input.consumer),
      producerConfig: input.producer,
      workload: { inputTopic: input.inputTopic, outputTopic: spec.outputTopic, pollTimeoutMs: spec.pollTimeoutMs, processingMs: spec.processingMs, stopAtMs },
    }),
  }));
  const outputTopic = { name: spec.outputTopic, partitions: spec.outputPartitions, replicationFactor: input.replicationFactor, assignments: null, configs: input.topicConfigs };
  return [
    ...instances,
    { id: 'a2', role: 'client', factory: (host) => new AdminNode(host as Host<unknown>, input.controllers, outputTopic, 2_000) },
    { id: 'r3', role: 'client', factory: (host) => new FinalReaderNode(host as Host<unknown>, brokers, spec.outputTopic, spec.outputPartitions, readAtMs, 1) },
    { id: 'o1', role: 'client', factory: (host) => new FinalGroupOffsetsReader(host as Host<unknown>, brokers, spec.group, input.inputTopic, input.inputPartitions, readAtMs) },
  ];
}
