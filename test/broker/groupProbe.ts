/**
 * A raw protocol client for the group coordinator's tests: it sends any Kafka request a test
 * builds and keeps every response by correlation id, and `call` runs the world until the answer
 * arrives. It is a node of the world like any client, so its requests cross the simulated network.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode } from '../../src/host.js';
import type { KafkaRequest, KafkaResponse } from '../../src/protocol/apis.js';
import type { NodeSpec } from '../../sim/world.js';
import type { TestCluster } from '../support/cluster.js';

type RequestBody = KafkaRequest extends infer R ? (R extends KafkaRequest ? Omit<R, 'correlationId'> : never) : never;
type ResponseOf<A extends string> = Extract<KafkaResponse, { api: `${A}Response` }>;

export class GroupProbe implements ProtocolNode<unknown> {
  readonly responses = new Map<number, KafkaResponse>();
  private nextCorrelationId = 1;

  constructor(private readonly host: Host<unknown>) {}

  send(to: NodeId, body: RequestBody): number {
    const correlationId = this.nextCorrelationId++;
    this.host.send(to, { ...body, correlationId }, 'client');
    return correlationId;
  }

  onStart(): void {}
  onMessage(_from: NodeId, message: unknown): void {
    const response = message as KafkaResponse;
    this.responses.set(response.correlationId, response);
  }
  onTimer(): void {}
  onDiskComplete(completion: DiskCompletion): void {
    throw new Error(`the probe has no disk, got ${completion.file}`);
  }
  onDisconnect(): void {}
}

export function probeSpec(id: NodeId): NodeSpec {
  return { id, role: 'client', factory: (host) => new GroupProbe(host) };
}

/** Sends a request from the probe and runs the world until its answer arrives. */
export function call<B extends RequestBody>(cluster: TestCluster, probeId: NodeId, to: NodeId, body: B, timeoutMs = 30_000): ResponseOf<B['api']> {
  const probe = cluster.instance<GroupProbe>(probeId);
  const correlationId = probe.send(to, body);
  cluster.runUntil(() => probe.responses.has(correlationId), timeoutMs);
  return probe.responses.get(correlationId) as ResponseOf<B['api']>;
}

/** Sends a request and returns its correlation id, for answers a test expects later (a held JoinGroup). */
export function sendFrom(cluster: TestCluster, probeId: NodeId, to: NodeId, body: RequestBody): number {
  return cluster.instance<GroupProbe>(probeId).send(to, body);
}

export function answerTo<A extends string>(cluster: TestCluster, probeId: NodeId, correlationId: number, _api: A): ResponseOf<A> | undefined {
  return cluster.instance<GroupProbe>(probeId).responses.get(correlationId) as ResponseOf<A> | undefined;
}
