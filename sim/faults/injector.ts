/**
 * The fault injector: applies a fault action when it fires, through the family that implements it
 * (registry.ts), ends it when its window closes, and tells the listeners (the system's contract,
 * narration) what each fault hit. Selectors are resolved here, when the fault fires: node ids as
 * they are, `@any` and `@any-up` from the fault-target stream, the rest (`@leader`, ...) by the system.
 */
import type { NodeId } from '../../src/host.js';
import type { Kernel } from '../events.js';
import { type SimNetwork, compareIds } from '../network.js';
import type { NodeHosting } from '../nodeHosting.js';
import type { SeededRandom } from '../random.js';
import type { FaultContext } from './fault.js';
import { type FaultAction, faultKindOf } from './plan.js';

export type FaultListener = (atMs: number, action: FaultAction, note: string) => void;

export class FaultInjector {
  private readonly listeners: FaultListener[] = [];
  private readonly context: FaultContext;
  private nextFaultId = 1;

  constructor(
    private readonly kernel: Kernel,
    network: SimNetwork,
    private readonly nodes: NodeHosting,
    /** The stream `@any` draws from (`faults/targets`), apart from every other stream. */
    private readonly targetRandom: SeededRandom,
    /** The system's selectors (`@leader`, ...), resolved against the world as it is now. */
    private readonly resolveSystemSelector: (selector: string) => NodeId | undefined,
  ) {
    const injector = this;
    this.context = {
      get nowMs() {
        return kernel.nowMs;
      },
      network,
      nodes,
      resolve: (selector) => injector.resolve(selector),
      resolveAll: (selectors) => injector.resolveAll(selectors),
      newFaultId: () => injector.nextFaultId++,
      endAfter: (durationMs, faultId, action) => kernel.schedule(kernel.nowMs + durationMs, { kind: 'fault-end', faultId, action }),
    };
  }

  onFault(listener: FaultListener): void {
    this.listeners.push(listener);
  }

  /** Applies a fault action now, and tells the listeners what it hit. */
  apply(action: FaultAction): void {
    const note = faultKindOf(action.type).apply(action, this.context);
    for (const listener of this.listeners) listener(this.kernel.nowMs, action, note);
  }

  /** Ends a fault whose window closed. */
  end(faultId: number, action: FaultAction): void {
    const kind = faultKindOf(action.type);
    if (kind.end === undefined) throw new Error(`fault ${action.type} has no end`);
    kind.end(faultId, action, this.context);
  }

  private resolve(selector: string): NodeId | undefined {
    if (!selector.startsWith('@')) return this.nodes.has(selector) ? selector : undefined;
    if (selector === '@any') {
      const candidates = this.nodes.nodeIds('server');
      return candidates.length === 0 ? undefined : this.targetRandom.pick(candidates);
    }
    if (selector === '@any-up') {
      const candidates = this.nodes.nodeIds('server').filter((id) => this.nodes.isUp(id));
      return candidates.length === 0 ? undefined : this.targetRandom.pick(candidates);
    }
    return this.resolveSystemSelector(selector);
  }

  private resolveAll(selectors: readonly string[]): NodeId[] {
    const resolved = new Set<NodeId>();
    for (const selector of selectors) {
      const node = this.resolve(selector);
      if (node !== undefined) resolved.add(node);
    }
    return [...resolved].sort(compareIds);
  }
}
