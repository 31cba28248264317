/**
 * Records what the HTML report needs while a run happens: it listens to the world (sends,
 * arrivals, trace events, faults) through the runner's observer, and at the end folds what it
 * heard into a RecordedRun (recordedRun.ts).
 *
 * It only listens: the run's trace hash is the same with or without it (a test pins this). It
 * keeps everything in memory during the run and decides what to keep only at the end, once it
 * knows where the first violation happened: everything inside the detail window (the seconds
 * before the first violation, or a passing run's first seconds), and outside it
 * appends and high-watermark moves merged per MERGE_BUCKET_MS, without record values (in long
 * runs), and a bounded number of messages, the nearest to the window first (RecorderLimits).
 *
 * Left out: timers, disk completions and page-cache flushes (they are not between nodes, and the
 * trace file has them).
 */
import type { NodeId } from '../../../src/host.js';
import { History, type Operation } from '../../checker/history.js';
import type { FaultAction } from '../../faults/plan.js';
import { describeFault } from '../../faults/plan.js';
import type { Delivery } from '../../network.js';
import { type RunObserver, type RunResult, runScenario } from '../../runner.js';
import type { Scenario } from '../../scenario/types.js';
import { getSystem } from '../../systems/index.js';
import type { ContractRow, SystemChecker } from '../../systems/system.js';
import { messageApi, type TraceRecord } from '../../traceRecorder.js';
import type { World } from '../../world.js';
import { phaseNarration } from './phaseNarration.js';
import { RECORDED_RUN_FORMAT, type PartitionEvent, type RecordedFault, type RecordedMessages, type RecordedRun } from './recordedRun.js';

/** The seconds before the first violation the diagram opens on, and after it. */
const FOCUS_BEFORE_MS = 12_000;
const FOCUS_AFTER_MS = 2_000;
/** Outside the detail window, appends and high-watermark moves are merged over this long. */
const MERGE_BUCKET_MS = 250;
/** How much a report keeps outside its detail window; tests make them small to see the cut. */
export interface RecorderLimits {
  /** The most messages a report holds (about 15 bytes each), the nearest to the window first. */
  messagesMax: number;
  /** Runs with at most this many record values keep them all; larger ones only inside the detail window. */
  valuesAllMax: number;
}

export const DEFAULT_RECORDER_LIMITS: RecorderLimits = { messagesMax: 60_000, valuesAllMax: 20_000 };

export interface HeardMessage {
  sentAtMs: number;
  deliveredAtMs: number;
  from: NodeId;
  to: NodeId;
  api: string;
}

type TraceEvent = TraceRecord['event'];

/** What one run and its recording produced. */
export interface RecordedRunResult<Result extends FinishedRun = RunResult> {
  result: Result;
  recording: RecordedRun;
  /** What was heard, in full, for the exports (exports/). */
  heard: HeardRun;
}

/** What the recorder needs of the run's result. */
export type FinishedRun = Pick<RunResult, 'seed' | 'traceHash' | 'violations' | 'anomalies' | 'stats'> & { verdict: string };

/** Everything the recorder heard, before it was cut down for the page. */
export interface HeardRun {
  nodes: readonly NodeId[];
  /** Sorted by send time; deliveredAtMs is -1 for a message that never arrived. */
  messages: readonly HeardMessage[];
  faults: ReadonlyArray<{ atMs: number; description: string; note: string }>;
  operations: readonly Operation[];
  /** Every `kafka.final-read`: what the final reader found in each partition. */
  finalReads: ReadonlyArray<{ atMs: number; client: NodeId; partition: number; records: ReadonlyArray<[number, string | null]> }>;
}

/** Runs a scenario with one seed, recording it for the HTML report and the exports. */
export function recordRun(scenario: Scenario, seed: number, replayCommand: string, observer?: RunObserver, limits?: RecorderLimits): RecordedRunResult {
  const recorder = new RunRecorder(scenario, limits);
  const result = runScenario(scenario, seed, { observer: recorder.observer(observer) });
  return { result, recording: recorder.finish(result, replayCommand), heard: recorder.heard() };
}

export class RunRecorder {
  private world: World | null = null;
  private contract: ContractRow[] | null = null;
  private readonly nodes: NodeId[] = [];
  private readonly roles: Array<'server' | 'client'> = [];
  private readonly inFlight = new Map<unknown, HeardMessage[]>();
  private readonly messages: HeardMessage[] = [];
  private readonly faults: Array<{ atMs: number; action: FaultAction; note: string }> = [];
  private readonly narration: Array<[number, string, string]> = [];
  private readonly traces: TraceRecord[] = [];
  private readonly history = new History();

  constructor(
    private readonly scenario: Scenario,
    private readonly limits: RecorderLimits = DEFAULT_RECORDER_LIMITS,
  ) {}

  /** The runner's observer; `also` (e.g. the terminal's narration) hears everything too. */
  observer(also?: RunObserver): RunObserver {
    const narrator = getSystem(this.scenario.system).narrator?.();
    return {
      onAttached: (world, checker) => {
        this.attach(world, checker);
        also?.onAttached?.(world, checker);
      },
      onFault: (atMs, description, note) => {
        this.narration.push([atMs, 'fault', `FAULT ${description}${note !== '' && !description.includes(note) ? ` (${note})` : ''}`]);
        also?.onFault?.(atMs, description, note);
      },
      onPhase: (atMs, phase) => {
        this.narration.push([atMs, 'phase', phaseNarration(phase)]);
        also?.onPhase?.(atMs, phase);
      },
      onTrace: (atMs, node, event) => {
        const told = narrator?.onTrace(atMs, node, event) ?? null;
        if (told !== null) this.narration.push([atMs, told.tone, told.text]);
        also?.onTrace?.(atMs, node, event);
      },
    };
  }

  private attach(world: World, checker: SystemChecker): void {
    this.world = world;
    this.contract = checker.contractTable?.() ?? null;
    for (const role of ['server', 'client'] as const) {
      for (const node of world.nodeIds(role)) {
        this.nodes.push(node);
        this.roles.push(role);
      }
    }
    world.onSend((from, to, message) => this.onSend(from, to, message));
    world.onDeliver((delivery) => this.onDeliver(delivery));
    world.onFault((atMs, action, note) => this.faults.push({ atMs, action, note }));
    world.onTrace((record) => {
      this.traces.push(record);
      if (record.event.type.startsWith('op.')) this.history.observe(record);
    });
  }

  private onSend(from: NodeId, to: NodeId, message: unknown): void {
    const heard: HeardMessage = { sentAtMs: this.nowMs(), deliveredAtMs: -1, from, to, api: messageApi(message) };
    this.messages.push(heard);
    const waiting = this.inFlight.get(message);
    if (waiting === undefined) this.inFlight.set(message, [heard]);
    else waiting.push(heard);
  }

  private onDeliver(delivery: Delivery): void {
    const waiting = this.inFlight.get(delivery.message);
    if (waiting === undefined) return;
    const index = waiting.findIndex((heard) => heard.from === delivery.from && heard.to === delivery.to);
    if (index < 0) return;
    const [heard] = waiting.splice(index, 1);
    if (waiting.length === 0) this.inFlight.delete(delivery.message);
    if (heard !== undefined) heard.deliveredAtMs = this.nowMs();
  }

  private nowMs(): number {
    if (this.world === null) throw new Error('the recorder heard an event before it was attached');
    return this.world.nowMs;
  }

  heard(): HeardRun {
    return {
      nodes: this.nodes.slice(),
      messages: this.messages.slice(),
      faults: this.faults.map((fault) => ({ atMs: fault.atMs, description: describeFault(fault.action), note: fault.note })),
      operations: this.history.all(),
      finalReads: this.traces
        .filter((record) => record.event.type === 'kafka.final-read')
        .map((record) => ({
          atMs: record.atMs,
          client: record.node,
          partition: record.event['partition'] as number,
          records: record.event['records'] as Array<[number, string | null]>,
        })),
    };
  }

  /** Folds what was heard into the report's data (`result` may be the CLI's report, with its wider verdict). */
  finish(result: FinishedRun, replayCommand: string): RecordedRun {
    const endMs = result.stats.simTimeMs;
    const violationAtMs = result.violations[0]?.atMs ?? null;
    const focus = focusWindow(violationAtMs, endMs);
    const detail = detailWindow(violationAtMs, endMs);
    const nodeIndex = new Map(this.nodes.map((node, index) => [node, index]));
    const indexOf = (node: NodeId): number => {
      const index = nodeIndex.get(node);
      if (index === undefined) throw new Error(`the recorder heard of node ${node}, which is not in the world`);
      return index;
    };
    const valuesHeard = this.traces.reduce((count, record) => count + (record.event.type === 'partition.append' ? ((record.event['values'] as unknown[] | undefined)?.length ?? 0) : 0), 0);
    const keepValues = (atMs: number) => valuesHeard <= this.limits.valuesAllMax || inside(atMs, detail);
    const scenario = this.scenario;
    return {
      format: RECORDED_RUN_FORMAT,
      scenario: {
        name: scenario.name,
        system: scenario.system,
        description: scenario.description,
        lesson: scenario.lesson ?? null,
        durationMs: scenario.durationMs,
        livenessMs: scenario.livenessMs,
        expect: scenario.expect,
      },
      seed: result.seed,
      traceHash: result.traceHash,
      verdict: result.verdict,
      replayCommand,
      endMs,
      nodes: this.nodes.slice(),
      roles: this.roles.slice(),
      focus: { ...focus, violationAtMs },
      messages: encodeMessages(this.messages, indexOf, detail, this.limits.messagesMax),
      faults: this.faults.flatMap((fault) => recordedFault(fault, scenario.durationMs, endMs, nodeIndex)),
      narration: this.narration.slice(),
      partitions: partitionEvents(this.traces, indexOf, (atMs) => !inside(atMs, detail), keepValues),
      quorum: quorumEvents(this.traces, indexOf),
      history: {
        rows: this.history.all().map((operation) => [
          indexOf(operation.client),
          operation.invokedAtMs,
          operation.completedAtMs ?? -1,
          operation.outcome,
          operation.op,
          typeof operation.fields['value'] === 'string' && keepValues(operation.invokedAtMs) ? operation.fields['value'] : null,
          typeof operation.fields['partition'] === 'number' ? operation.fields['partition'] : null,
          typeof operation.fields['offset'] === 'number' ? operation.fields['offset'] : null,
        ]),
      },
      outcome: { violations: result.violations, anomalies: result.anomalies, contract: this.contract },
    };
  }
}

interface Window {
  fromMs: number;
  toMs: number;
}

/** The window the diagram opens on: around the first violation, or the whole run. */
function focusWindow(violationAtMs: number | null, endMs: number): Window {
  if (violationAtMs === null) return { fromMs: 0, toMs: endMs };
  return detailWindow(violationAtMs, endMs);
}

/**
 * The window kept in full detail: the seconds before the first violation, or for a run without
 * one its first seconds (the cluster forming), so a long passing run stays small.
 */
function detailWindow(violationAtMs: number | null, endMs: number): Window {
  if (violationAtMs === null) return { fromMs: 0, toMs: Math.min(endMs, FOCUS_BEFORE_MS + FOCUS_AFTER_MS) };
  return { fromMs: Math.max(0, violationAtMs - FOCUS_BEFORE_MS), toMs: Math.min(endMs, violationAtMs + FOCUS_AFTER_MS) };
}

function inside(atMs: number, window: Window): boolean {
  return atMs >= window.fromMs && atMs <= window.toMs;
}

/** How far a moment is from the window: 0 inside it. */
function distance(atMs: number, window: Window): number {
  return atMs < window.fromMs ? window.fromMs - atMs : atMs > window.toMs ? atMs - window.toMs : 0;
}

function encodeMessages(heard: readonly HeardMessage[], indexOf: (node: NodeId) => number, focus: Window, messagesMax: number): RecordedMessages {
  let kept = heard.slice();
  if (kept.length > messagesMax) {
    kept = kept
      .map((message, order) => ({ message, order, distance: distance(message.sentAtMs, focus) }))
      .sort((a, b) => a.distance - b.distance || a.order - b.order)
      .slice(0, messagesMax)
      .sort((a, b) => a.order - b.order)
      .map((entry) => entry.message);
  }
  const apis: string[] = [];
  const apiIndex = new Map<string, number>();
  const columns: RecordedMessages = { apis, sentDeltaMs: [], latencyMs: [], from: [], to: [], api: [], omitted: heard.length - kept.length };
  let previousSentMs = 0;
  for (const message of kept) {
    let api = apiIndex.get(message.api);
    if (api === undefined) {
      api = apis.length;
      apis.push(message.api);
      apiIndex.set(message.api, api);
    }
    columns.sentDeltaMs.push(message.sentAtMs - previousSentMs);
    previousSentMs = message.sentAtMs;
    columns.latencyMs.push(message.deliveredAtMs < 0 ? -1 : message.deliveredAtMs - message.sentAtMs);
    columns.from.push(indexOf(message.from));
    columns.to.push(indexOf(message.to));
    columns.api.push(api);
  }
  return columns;
}

/** A fault as a window on the lanes it struck; a skipped fault (no such node up) has none. */
function recordedFault(
  fault: { atMs: number; action: FaultAction; note: string },
  healAtMs: number,
  endMs: number,
  nodeIndex: ReadonlyMap<NodeId, number>,
): RecordedFault[] {
  if (fault.note.startsWith('skipped') || fault.action.type === 'heal') return [];
  const named = new Set<number>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const word of value.split(/[^A-Za-z0-9_-]+/)) {
        const index = nodeIndex.get(word);
        if (index !== undefined) named.add(index);
      }
    } else if (Array.isArray(value)) {
      for (const item of value) collect(item);
    }
  };
  collect(fault.note);
  const action = fault.action as Record<string, unknown>;
  for (const key of Object.keys(action)) if (key !== 'type') collect(action[key]);
  const lastsMs = typeof action['durationMs'] === 'number' ? action['durationMs'] : typeof action['restartAfterMs'] === 'number' ? action['restartAfterMs'] : null;
  const closesAtMs = lastsMs === null ? Math.max(healAtMs, fault.atMs) : fault.atMs + lastsMs;
  return [{
    atMs: fault.atMs,
    endMs: Math.min(closesAtMs, endMs),
    type: fault.action.type,
    text: describeFault(fault.action),
    nodes: [...named].sort((a, b) => a - b),
  }];
}

/** Every partition's replica events, appends and high watermarks merged per bucket where `merge` says so. */
function partitionEvents(
  traces: readonly TraceRecord[],
  indexOf: (node: NodeId) => number,
  merge: (atMs: number) => boolean,
  keepValues: (atMs: number) => boolean,
): RecordedRun['partitions'] {
  const byPartition = new Map<string, PartitionEvent[]>();
  /** The last event per partition and node that a later one of the same kind may merge into. */
  const mergeable = new Map<string, PartitionEvent>();
  for (const record of traces) {
    const event = record.event;
    if (!event.type.startsWith('partition.') && event.type !== 'process.halt') continue;
    const node = indexOf(record.node);
    if (event.type === 'process.halt') {
      for (const [name, events] of byPartition) {
        if (!events.some((earlier) => earlier[1] === node)) continue;
        events.push([record.atMs, node, 'D']);
        mergeable.delete(`${name}/${node}/a`);
        mergeable.delete(`${name}/${node}/h`);
      }
      continue;
    }
    const name = `${String(event['topic'])}-${String(event['partition'])}`;
    const converted = partitionEvent(record.atMs, node, event, keepValues(record.atMs));
    if (converted === null) continue;
    let events = byPartition.get(name);
    if (events === undefined) {
      events = [];
      byPartition.set(name, events);
    }
    const kind = converted[2];
    const mergeKey = `${name}/${node}/${kind}`;
    const previous = kind === 'a' || kind === 'h' ? mergeable.get(mergeKey) : undefined;
    if (previous !== undefined && merge(record.atMs) && merge(previous[0]) && Math.floor(previous[0] / MERGE_BUCKET_MS) === Math.floor(record.atMs / MERGE_BUCKET_MS) && mergesInto(previous, converted)) {
      previous[0] = record.atMs;
      if (kind === 'a') previous[4] = converted[4];
      else previous[3] = converted[3];
      continue;
    }
    if (kind !== 'a' && kind !== 'h') {
      mergeable.delete(`${name}/${node}/a`);
      mergeable.delete(`${name}/${node}/h`);
    } else {
      mergeable.set(mergeKey, converted);
    }
    events.push(converted);
  }
  return [...byPartition.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, events]) => ({ name, events }));
}

/** Two appends merge when the second continues the first in the same epoch, both without values. */
function mergesInto(previous: PartitionEvent, next: PartitionEvent): boolean {
  if (previous[2] === 'h') return true;
  return previous[6] === 0 && next[6] === 0 && previous[5] === next[5] && next[3] === (previous[4] as number) + 1;
}

function partitionEvent(atMs: number, node: number, event: TraceEvent, withValues: boolean): PartitionEvent | null {
  switch (event.type) {
    case 'partition.append':
      return [atMs, node, 'a', event['baseOffset'], event['lastOffset'], event['epoch'], withValues ? (event['values'] ?? 0) : 0];
    case 'partition.hw':
      return [atMs, node, 'h', event['highWatermark']];
    case 'partition.leader':
      return [atMs, node, 'L', event['leaderEpoch'], event['isr'], event['leaderEpochStartOffset']];
    case 'partition.follower':
      return [atMs, node, 'F', event['leader'] ?? null, event['leaderEpoch']];
    case 'partition.isr':
      return [atMs, node, 'I', event['isr'], event['partitionEpoch']];
    case 'partition.isr-proposed':
      return [atMs, node, 'P', event['isr'], event['reason']];
    case 'partition.truncate':
      return [atMs, node, 'T', event['offset'], event['reason']];
    case 'partition.recovered':
      return [atMs, node, 'R', event['logStartOffset'], event['logEndOffset']];
    default:
      return null;
  }
}

function quorumEvents(traces: readonly TraceRecord[], indexOf: (node: NodeId) => number): RecordedRun['quorum'] {
  const events: RecordedRun['quorum']['events'] = [];
  const records: RecordedRun['quorum']['records'] = [];
  let lastRecordOffset = -1;
  for (const record of traces) {
    const event = record.event;
    const node = indexOf(record.node);
    switch (event.type) {
      case 'raft.state':
        events.push([record.atMs, node, 'S', event['epoch'], event['role'], event['leaderId'] ?? null]);
        break;
      case 'raft.append':
        events.push([record.atMs, node, 'E', (event['offset'] as number) + 1]);
        break;
      case 'raft.hw':
        events.push([record.atMs, node, 'H', event['highWatermark']]);
        break;
      default:
        if (event.type.startsWith('metadata.') && typeof event['offset'] === 'number' && event['offset'] > lastRecordOffset) {
          lastRecordOffset = event['offset'];
          records.push([record.atMs, event['offset'], metadataText(event)]);
        }
    }
  }
  return { events, records };
}

/** A metadata record in one line: its kind and fields, as the active controller applied it. */
function metadataText(event: TraceEvent): string {
  const { type, offset: _offset, ...fields } = event;
  const parts = Object.keys(fields).map((key) => `${key}=${JSON.stringify(fields[key])}`);
  return `${type.slice('metadata.'.length)} ${parts.join(' ')}`;
}
