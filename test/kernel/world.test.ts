/**
 * The world: timers, crashes and restarts, pauses, clock skew, and the network's promises —
 * in-order delivery per connection, and partitions that drop exactly the traffic they cut.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TRAFFIC_CLASSES, type TrafficClass } from '../../src/host.js';
import { SUPERVISOR_RESTART_DELAY_MS, World } from '../../sim/world.js';
import { type ProbeInput, probeNodes } from '../support/probe.js';

function makeWorld(ids: string[], seed = 1, network = {}) {
  const log: ProbeInput[] = [];
  let world: World | undefined;
  const { specs, probes } = probeNodes(ids, log, () => world!.nowMs);
  world = new World({ seed, sizeOf: () => 10, network });
  for (const spec of specs) world.addNode(spec);
  world.runUntil(0);
  return { world, log, probes, probe: (id: string) => probes.get(id)! };
}

const messages = (log: ProbeInput[], node?: string) =>
  log.filter((e) => e.kind === 'message' && (node === undefined || e.node === node)).map((e) => (e.detail as { message: unknown }).message);

describe('World', () => {
  test('every node starts at time 0 in the order added', () => {
    const { log } = makeWorld(['a', 'b', 'c']);
    expect(log.map((e) => [e.node, e.kind, e.atMs])).toEqual([
      ['a', 'start', 0],
      ['b', 'start', 0],
      ['c', 'start', 0],
    ]);
  });

  test('timers fire at their time; equal times fire in the order set; cancelled ones never fire', () => {
    const { world, log, probe } = makeWorld(['a']);
    const host = probe('a').host;
    host.setTimer(10, 'x');
    host.setTimer(5, 'y');
    host.setTimer(10, 'z');
    const cancelled = host.setTimer(7, 'never');
    host.cancelTimer(cancelled);
    world.runUntil(100);
    expect(log.filter((e) => e.kind === 'timer').map((e) => [e.detail, e.atMs])).toEqual([
      ['y', 5],
      ['x', 10],
      ['z', 10],
    ]);
  });

  test('a connection delivers in order, whatever the jitter (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 60 }), (seed, count) => {
        const { world, log, probe } = makeWorld(['a', 'b'], seed, { latencyMs: 1, jitterMs: 50 });
        for (let i = 0; i < count; i++) probe('a').host.send('b', i, 'client');
        world.runUntil(10_000);
        expect(messages(log, 'b')).toEqual(Array.from({ length: count }, (_, i) => i));
      }),
    );
  });

  test('a partition drops exactly the traffic it cuts, and nothing else (property)', () => {
    const ids = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.nat({ max: 1000 }),
        fc.subarray(ids, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.option(fc.constantFrom(...TRAFFIC_CLASSES), { nil: null }),
        (seed, left, oneWay, trafficClass) => {
          const right = ids.filter((id) => !left.includes(id));
          const { world, log, probe } = makeWorld(ids, seed);
          world.applyFault({ type: 'partition', sides: [left, right], oneWay, trafficClass, durationMs: 1_000 });
          const sent: Array<{ from: string; to: string; cls: TrafficClass; n: number }> = [];
          let n = 0;
          for (const from of ids) for (const to of ids) for (const cls of TRAFFIC_CLASSES) {
            if (from === to) continue;
            sent.push({ from, to, cls, n });
            probe(from).host.send(to, n++, cls);
          }
          world.runUntil(500);
          const delivered = new Set(messages(log) as number[]);
          for (const message of sent) {
            const crosses = (left.includes(message.from) && right.includes(message.to)) ||
              (!oneWay && right.includes(message.from) && left.includes(message.to));
            const cut = crosses && (trafficClass === null || trafficClass === message.cls);
            expect(delivered.has(message.n), `${message.from}->${message.to} ${message.cls} cut=${cut}`).toBe(!cut);
          }
        },
      ),
    );
  });

  test('a connection that lost a message delivers nothing more until it is reset at the heal', () => {
    const { world, log, probe } = makeWorld(['a', 'b']);
    world.applyFault({ type: 'partition', sides: [['a'], ['b']], oneWay: true, trafficClass: null, durationMs: 100 });
    probe('a').host.send('b', 'lost', 'client');
    world.runUntil(200); // The cut has healed; the broken connection was reset and both ends told.
    probe('a').host.send('b', 'after-reset', 'client');
    world.runUntil(300);
    expect(messages(log, 'b')).toEqual(['after-reset']);
    expect(log.filter((e) => e.kind === 'disconnect').map((e) => e.node)).toEqual(['a']);
  });

  test('a message to a crashed process is refused at once (its machine is up); to a machine without power it vanishes', () => {
    for (const mode of ['process', 'power'] as const) {
      const { world, log, probe } = makeWorld(['a', 'b']);
      world.applyFault({ type: 'crash', node: 'b', mode, restartAfterMs: 1_000 });
      world.runUntil(10);
      const before = log.filter((e) => e.kind === 'disconnect' && e.node === 'a').length;
      probe('a').host.send('b', 'anyone?', 'client');
      world.runUntil(100);
      const refused = log.filter((e) => e.kind === 'disconnect' && e.node === 'a').length - before;
      expect({ mode, refused }).toEqual({ mode, refused: mode === 'process' ? 1 : 0 });
    }
  });

  test('a clog delays but never drops, and keeps the order', () => {
    const { world, log, probe } = makeWorld(['a', 'b']);
    world.applyFault({ type: 'clog', nodes: ['b'], durationMs: 1_000 });
    for (let i = 0; i < 5; i++) probe('a').host.send('b', i, 'replication');
    world.runUntil(999);
    expect(messages(log, 'b')).toEqual([]);
    world.runUntil(2_000);
    expect(messages(log, 'b')).toEqual([0, 1, 2, 3, 4]);
    expect(log.filter((e) => e.kind === 'message').every((e) => e.atMs >= 1_000)).toBe(true);
  });

  test('a latency spike delays delivery by its extra latency', () => {
    const { world, log, probe } = makeWorld(['a', 'b'], 1, { latencyMs: 1, jitterMs: 0 });
    world.applyFault({ type: 'latency-spike', nodes: null, extraMs: 200, durationMs: 1_000 });
    probe('a').host.send('b', 'slow', 'client');
    world.runUntil(1_000);
    expect(log.find((e) => e.kind === 'message')!.atMs).toBe(201);
  });

  test('a process crash discards the node; a restart builds a new one from its disk; peers are told', () => {
    const { world, log, probes, probe } = makeWorld(['a', 'b']);
    const first = probe('a');
    first.host.disk.append('state', new Uint8Array([7]));
    first.host.setTimer(50, 'old-timer');
    probe('b').host.send('a', 'hello', 'client');
    world.runUntil(5);
    world.applyFault({ type: 'crash', node: 'a', mode: 'process', restartAfterMs: 100 });
    expect(world.isUp('a')).toBe(false);
    world.runUntil(300);
    const second = probes.get('a')!;
    expect(second).not.toBe(first);
    expect(second.host.incarnation).toBe(2);
    expect(log.some((e) => e.kind === 'timer' && e.node === 'a')).toBe(false);
    expect(second.host.disk.read('state')).toEqual({ ok: true, value: new Uint8Array([7]) });
    expect(log.filter((e) => e.node === 'b' && e.kind === 'disconnect').length).toBeGreaterThan(0);
    // Anything the dead incarnation tries to do is ignored.
    first.host.send('b', 'from-the-dead', 'client');
    world.runUntil(400);
    expect(messages(log, 'b')).not.toContain('from-the-dead');
  });

  test('an fsync completion reaches only the incarnation that issued it', () => {
    const { world, log, probe } = makeWorld(['a'], 1);
    probe('a').host.disk.append('f', new Uint8Array([1]));
    probe('a').host.disk.fsync('f');
    world.applyFault({ type: 'crash', node: 'a', mode: 'process', restartAfterMs: 0 });
    world.runUntil(100);
    expect(log.filter((e) => e.kind === 'disk')).toEqual([]);
    // The process died, the OS did not: the fsync still made the data durable.
    expect([...world.disk('a').durableContent('f')!]).toEqual([1]);
  });

  test('a power loss drops unsynced data before the restart reads the disk', () => {
    const { world, probes, probe } = makeWorld(['a']);
    probe('a').host.disk.append('f', new Uint8Array([1, 2, 3]));
    world.applyFault({ type: 'crash', node: 'a', mode: 'power', restartAfterMs: 10 });
    world.runUntil(20);
    const read = probes.get('a')!.host.disk.read('f');
    expect(read.ok).toBe(false);
  });

  test('a paused node runs nothing, then runs what waited, in order, late', () => {
    const { world, log, probe } = makeWorld(['a', 'b'], 1, { latencyMs: 1, jitterMs: 0 });
    probe('a').host.setTimer(10, 't1');
    world.applyFault({ type: 'pause', node: 'a', durationMs: 500 });
    probe('b').host.send('a', 'm1', 'client');
    probe('b').host.send('a', 'm2', 'client');
    world.runUntil(499);
    expect(log.filter((e) => e.node === 'a' && e.kind !== 'start')).toEqual([]);
    world.runUntil(600);
    const woke = log.filter((e) => e.node === 'a' && e.kind !== 'start');
    expect(woke.map((e) => e.kind === 'timer' ? e.detail : (e.detail as { message: unknown }).message)).toEqual(['m1', 'm2', 't1']);
    expect(woke.every((e) => e.atMs === 500)).toBe(true);
  });

  test('clock skew moves a node’s wall clock, not its timers; the heal sets it right', () => {
    const { world, log, probe } = makeWorld(['a']);
    world.applyFault({ type: 'clock-skew', node: 'a', skewMs: -5_000 });
    expect(probe('a').host.nowMs()).toBe(-5_000);
    probe('a').host.setTimer(10, 't');
    world.runUntil(10);
    expect(log.find((e) => e.kind === 'timer')!.atMs).toBe(10);
    world.healAll();
    expect(probe('a').host.nowMs()).toBe(10);
  });

  test('a connection reset drops what is in flight and tells both ends', () => {
    const { world, log, probe } = makeWorld(['a', 'b'], 1, { latencyMs: 5, jitterMs: 0 });
    probe('a').host.send('b', 'in-flight', 'client');
    probe('b').host.send('a', 'reply', 'client');
    world.applyFault({ type: 'reset', nodes: ['a', 'b'] });
    world.runUntil(100);
    expect(messages(log)).toEqual([]);
    expect(log.filter((e) => e.kind === 'disconnect').map((e) => e.node).sort()).toEqual(['a', 'b']);
  });
});

describe('World with a node that throws', () => {
  const thrower = (world: World) =>
    world.addNode({
      id: 'bad',
      role: 'server',
      factory: (host) => ({
        onStart: () => host.setTimer(5, 'boom'),
        onTimer: () => {
          throw new Error('invariant broken');
        },
        onMessage: () => {},
        onDiskComplete: () => {},
        onDisconnect: () => {},
      }),
    });

  test('an exception in protocol code halts the node, stops the run, and is kept with the node and the input', () => {
    const world = new World({ seed: 1, sizeOf: () => 1 });
    thrower(world);
    world.runUntil(100);
    expect(world.nowMs).toBe(5);
    expect(world.isUp('bad')).toBe(false);
    expect(world.stopped).toMatch(/bad threw: invariant broken/);
    expect(world.nodeErrors).toEqual([
      expect.objectContaining({ node: 'bad', input: 'timer', message: 'invariant broken', atMs: 5, excusedBecause: null }),
    ]);
  });

  test('an exception the contract excuses halts the node but the run goes on; its supervisor restarts it', () => {
    const world = new World({ seed: 1, sizeOf: () => 1 });
    world.judgeNodeErrors((error) => (error.message === 'invariant broken' ? 'storage was lost' : null));
    thrower(world);
    world.runUntil(7);
    expect(world.stopped).toBeNull();
    expect(world.isUp('bad')).toBe(false);
    expect(world.nodeErrors[0]!.excusedBecause).toBe('storage was lost');
    world.runUntil(5 + SUPERVISOR_RESTART_DELAY_MS);
    expect(world.isUp('bad')).toBe(true);
    expect(world.incarnation('bad')).toBe(2);
  });

  test('an exception thrown after host.halt, in the same input, is not the halted node’s error', () => {
    const world = new World({ seed: 1, sizeOf: () => 1 });
    world.addNode({
      id: 'h',
      role: 'server',
      factory: (host) => ({
        onStart: () => {
          host.halt('disk failed');
          throw new Error('unwinding after the halt');
        },
        onTimer: () => {},
        onMessage: () => {},
        onDiskComplete: () => {},
        onDisconnect: () => {},
      }),
    });
    world.runUntil(0);
    expect(world.nodeErrors).toEqual([]);
    expect(world.stopped).toBeNull();
    expect(world.stats.halts).toBe(1);
  });

  test('host.halt ends the process at once; its supervisor restarts it', () => {
    const world = new World({ seed: 1, sizeOf: () => 1 });
    const seen: string[] = [];
    world.onTrace((record) => seen.push(`${record.node}:${record.event.type}`));
    world.addNode({
      id: 'h',
      role: 'server',
      factory: (host) => ({
        onStart: () => {
          if (host.incarnation === 1) host.halt('log directory failed');
          host.trace({ type: 'after-halt' });
        },
        onTimer: () => {},
        onMessage: () => {},
        onDiskComplete: () => {},
        onDisconnect: () => {},
      }),
    });
    world.runUntil(0);
    expect(world.isUp('h')).toBe(false);
    expect(seen).toEqual(['h:process.halt']);
    world.runUntil(SUPERVISOR_RESTART_DELAY_MS);
    expect(seen).toEqual(['h:process.halt', 'h:after-halt']);
    expect(world.stats.halts).toBe(1);
  });
});
