/**
 * Clog: everything to or from one node, or on the link between two, waits until the clog ends,
 * then arrives in order — delayed, never dropped (FoundationDB's "clogging"). Why: unlike a
 * partition, a clog breaks no connection, so nothing tells the ends; only their timeouts can, and
 * then a flood of stale messages arrives at once.
 */
import type { FaultKind } from './fault.js';
import { durationMs, nodeReferenceList } from './fields.js';

/** Delays (never drops) everything on a node (one id) or a link (two ids). */
export type ClogAction = { type: 'clog'; nodes: string[]; durationMs: number };

export const clogFault: FaultKind<ClogAction, 'clog' | 'client-clog'> = {
  type: 'clog',
  fields: { properties: { nodes: nodeReferenceList(1, 2), durationMs }, required: ['nodes', 'durationMs'] },
  describe: (action) => `clog ${action.nodes.join('<->')} for ${action.durationMs}ms`,
  apply(action, world) {
    const faultId = world.newFaultId();
    const nodes = world.resolveAll(action.nodes);
    world.network.addClog(faultId, nodes, world.nowMs + action.durationMs);
    world.endAfter(action.durationMs, faultId, action);
    return nodes.join('<->');
  },
  end(faultId, _action, world) {
    world.network.removeClog(faultId);
  },
  swarm: [
    {
      family: 'clog',
      meanIntervalMs: 5_000,
      draw(swarm) {
        const random = swarm.random;
        const nodes = random.chance(0.5) ? [random.pick(swarm.servers)] : random.shuffle(swarm.everyone).slice(0, 2);
        return { type: 'clog', nodes, durationMs: random.nextInt(50, 2_000) };
      },
    },
    {
      // The link between a client that writes and a server (the leader half the time), held for a
      // fault window (up to seconds): long enough for the client's request.timeout.ms and
      // delivery.timeout.ms to pass while a request is still on the wire, so that it lands after the
      // client gave it up (the race of KAFKA-14402). `clog` rarely draws that link, and never for that
      // long. Opt-in, so that every seed of a profile that does not name it keeps its plan.
      family: 'client-clog',
      meanIntervalMs: 4_000,
      optIn: true,
      draw(swarm) {
        if (swarm.writers.length === 0) return undefined;
        const random = swarm.random;
        const client = random.pick(swarm.writers);
        const server = swarm.selectors.includes('@leader') && random.chance(0.5) ? '@leader' : random.pick(swarm.servers);
        return { type: 'clog', nodes: [client, server], durationMs: swarm.windowMs() };
      },
    },
  ],
};
