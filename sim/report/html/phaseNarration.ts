/**
 * The line that marks each phase of a run, in `ksim run --narrate` and in the HTML report's
 * narration, so both tell the run in the same words.
 */
export type RunPhase = 'safety' | 'liveness' | 'end';

export function phaseNarration(phase: RunPhase): string {
  switch (phase) {
    case 'safety':
      return '── safety phase: faults as planned ──';
    case 'liveness':
      return '── everything heals: liveness phase, convergence demanded ──';
    case 'end':
      return '── end of run ──';
    default: {
      const unreachable: never = phase;
      throw new Error(`unknown phase ${String(unreachable)}`);
    }
  }
}
