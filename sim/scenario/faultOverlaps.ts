/**
 * Faults of a written plan that could never take effect because they overlap another fault on the
 * same node: a crash of a node that an earlier crash still holds down, a pause of a node that is
 * down or already paused, a restart of a node that is up. The fault injector skips such a fault
 * when it fires (it cannot crash what is down), so the run goes on without the fault the user
 * wrote, and nothing says so; a scenario with one is refused instead.
 *
 * Only node ids are judged. A selector (`@leader`) names a node only when the fault fires, so
 * whether it overlaps depends on the run, and the injector's skip note in the trace says so then.
 * What it leaves out: a supervisor's restart of a halted node, which no plan can foresee.
 */
import type { TimedFault } from '../faults/plan.js';
import type { ScenarioIssue } from './errors.js';

/** Why a node cannot take a process fault right now, and until when. */
interface Holding {
  /** The plan entry that holds the node: `faults.plan[2]`. */
  readonly by: string;
  readonly what: 'down' | 'paused';
  /** Until when, in simulated ms; null for "until a restart or the heal". */
  readonly untilMs: number | null;
}

export function overlappingFaultIssues(plan: readonly TimedFault[]): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const held = new Map<string, Holding>();
  const order = plan.map((fault, index) => ({ fault, index })).sort((a, b) => a.fault.atMs - b.fault.atMs || a.index - b.index);
  for (const { fault, index } of order) {
    const action = fault.action as { type: string; node?: unknown; restartAfterMs?: unknown; durationMs?: unknown };
    if (typeof action.node !== 'string' || action.node.startsWith('@')) continue;
    const node = action.node;
    const path = `faults.plan[${index}]`;
    const holding = stillHolding(held.get(node), fault.atMs);
    switch (action.type) {
      case 'crash':
        if (holding?.what === 'down') {
          issues.push({ path, message: `crashes ${node} at ${fault.atMs} ms, while the crash at ${holding.by} still holds it down ${untilText(holding)}; it would be skipped, so move it later${holding.untilMs === null ? ` or restart ${node} first` : ''}` });
          continue;
        }
        held.set(node, { by: path, what: 'down', untilMs: typeof action.restartAfterMs === 'number' ? fault.atMs + action.restartAfterMs : null });
        break;
      case 'pause':
        if (holding !== undefined) {
          issues.push({ path, message: `pauses ${node} at ${fault.atMs} ms, while ${holding.by} holds it ${holding.what} ${untilText(holding)}; it would be skipped, so move it later` });
          continue;
        }
        held.set(node, { by: path, what: 'paused', untilMs: fault.atMs + (typeof action.durationMs === 'number' ? action.durationMs : 0) });
        break;
      case 'restart':
        if (holding?.what !== 'down') {
          issues.push({ path, message: `restarts ${node} at ${fault.atMs} ms, when no earlier crash holds it down; it would be skipped, so crash it first or remove the restart` });
          continue;
        }
        held.delete(node);
        break;
      default:
        break;
    }
  }
  return issues.sort((a, b) => indexOf(a.path) - indexOf(b.path));
}

/**
 * The plan without the faults the injector would skip, in order: what the run really does. A
 * swarm's realized plan may hold such faults (a crash drawn while its node was down), which a
 * written plan may not.
 */
export function withoutSkippedFaults(plan: readonly TimedFault[]): TimedFault[] {
  const skipped = new Set(overlappingFaultIssues(plan).map((issue) => indexOf(issue.path)));
  return plan.filter((_, index) => !skipped.has(index));
}

function stillHolding(holding: Holding | undefined, atMs: number): Holding | undefined {
  if (holding === undefined) return undefined;
  return holding.untilMs === null || atMs < holding.untilMs ? holding : undefined;
}

function untilText(holding: Holding): string {
  return holding.untilMs === null ? 'until a restart or the heal' : `until ${holding.untilMs} ms`;
}

function indexOf(path: string): number {
  return Number(/\[(\d+)\]/.exec(path)?.[1] ?? 0);
}
