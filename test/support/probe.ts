/** A probe node for kernel tests: records every input it gets, and lets the test act through it. */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TrafficClass } from '../../src/host.js';
import type { NodeSpec } from '../../sim/world.js';

export interface ProbeInput {
  atMs: number;
  node: NodeId;
  incarnation: number;
  kind: 'start' | 'message' | 'timer' | 'disk' | 'disconnect';
  detail: unknown;
}

export class Probe implements ProtocolNode<unknown> {
  constructor(
    readonly host: Host<unknown>,
    private readonly log: ProbeInput[],
    private readonly clock: () => number,
    private readonly onStartHook?: (probe: Probe) => void,
  ) {}
  private record(kind: ProbeInput['kind'], detail: unknown): void {
    this.log.push({ atMs: this.clock(), node: this.host.nodeId, incarnation: this.host.incarnation, kind, detail });
  }
  onStart(): void {
    this.record('start', null);
    this.onStartHook?.(this);
  }
  onMessage(from: NodeId, message: unknown, trafficClass: TrafficClass): void {
    this.record('message', { from, message, trafficClass });
  }
  onTimer(tag: string): void {
    this.record('timer', tag);
  }
  onDiskComplete(completion: DiskCompletion): void {
    this.record('disk', completion.file);
  }
  onDisconnect(peer: NodeId, trafficClass: TrafficClass): void {
    this.record('disconnect', { peer, trafficClass });
  }
}

/** Builds probe node specs; `probes` always holds each node's live probe. */
export function probeNodes(ids: string[], log: ProbeInput[], clock: () => number, onStart?: (probe: Probe) => void) {
  const probes = new Map<string, Probe>();
  const specs: NodeSpec[] = ids.map((id) => ({
    id,
    role: 'server',
    factory: (host) => {
      const probe = new Probe(host, log, clock, onStart);
      probes.set(id, probe);
      return probe;
    },
  }));
  return { specs, probes };
}
