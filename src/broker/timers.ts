/**
 * The broker's timers, dispatched by handle: a part schedules a timer with the callback it wants
 * run and gets a `TimerHandle` back; the node hands every timer that fires to `fire`, which runs
 * that callback. No part reads another's timers, and nothing is dispatched by the tag's text.
 *
 * The tag is only a name: the world records it in the trace (so it feeds the trace hash) and shows
 * it to a person reading one. Tags must therefore stay stable, but no code may parse them.
 *
 * Invariants: a callback runs at most once per scheduling, and never after its timer was
 * cancelled — even when the host delivers the timer anyway, as it may for a timer that had already
 * fired when it was cancelled (a paused node's inputs arrive late); `fire` then reports it as none
 * of these. A periodic timer is re-armed before its callback runs, so the callback's own timers
 * are scheduled after the next period's.
 *
 * Left out: timers that outlive the node. A crash discards the node and, with it, every callback;
 * the world drops the timers of a dead incarnation.
 */
import type { TimerId } from '../host.js';

/** What the broker's timers need of the host. */
export interface TimerHost {
  setTimer(delayMs: number, tag: string): TimerId;
  cancelTimer(id: TimerId): void;
}

/** A scheduled timer, owned by the part that scheduled it. */
export interface TimerHandle {
  readonly id: TimerId;
  readonly tag: string;
}

export class Timers {
  private readonly callbacks = new Map<TimerId, () => void>();

  constructor(private readonly host: TimerHost) {}

  /** Runs `callback` once, `delayMs` from now, unless the handle is cancelled first. */
  schedule(tag: string, delayMs: number, callback: () => void): TimerHandle {
    const id = this.host.setTimer(delayMs, tag);
    this.callbacks.set(id, callback);
    return { id, tag };
  }

  /** Runs `callback` every `periodMs`, the first time one period from now, for the node's life. */
  schedulePeriodic(tag: string, periodMs: number, callback: () => void): void {
    this.schedule(tag, periodMs, () => {
      this.schedulePeriodic(tag, periodMs, callback);
      callback();
    });
  }

  /** Cancels a timer; cancelling one that already fired or was cancelled does nothing. */
  cancel(handle: TimerHandle): void {
    this.host.cancelTimer(handle.id);
    this.callbacks.delete(handle.id);
  }

  /** Runs the callback of a timer that fired. False when it is not scheduled here (any more). */
  fire(id: TimerId): boolean {
    const callback = this.callbacks.get(id);
    if (callback === undefined) return false;
    this.callbacks.delete(id);
    callback();
    return true;
  }
}
