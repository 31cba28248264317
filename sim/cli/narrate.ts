/**
 * `ksim run --narrate`: tells the run as it happens, one coloured line per fault, phase, and
 * whatever the system's narrator picks out of its trace (for KRaft: each election step, epoch and
 * leadership change, truncation, restart and commit). Lines go to stdout as they happen, before
 * the verdict (to stderr under --json, so stdout stays one JSON object); colour follows the
 * terminal's rules (NO_COLOR, FORCE_COLOR, non-TTY).
 */
import type { ChalkInstance } from 'chalk';
import { phaseNarration } from '../report/html/phaseNarration.js';
import type { RunObserver } from '../runner.js';
import { getSystem } from '../systems/index.js';
import type { Narration } from '../systems/system.js';
import type { Terminal } from './io.js';

function paint(colour: ChalkInstance, tone: Narration['tone'] | 'phase'): (text: string) => string {
  switch (tone) {
    case 'fault':
      return colour.red;
    case 'election':
      return colour.yellow;
    case 'leader':
      return colour.bold.magenta;
    case 'progress':
      return colour.green;
    case 'recovery':
      return colour.cyan;
    case 'phase':
      return colour.bold;
    case 'info':
      return (text: string) => text;
  }
}

function stamp(atMs: number): string {
  return `${(atMs / 1000).toFixed(3).padStart(9)}s`;
}

/** With `toStderr` (under --json, whose stdout holds only JSON) the narration goes to stderr. */
export function narrationObserver(terminal: Terminal, systemName: string, toStderr = false): RunObserver {
  const colour = toStderr ? terminal.colourStderr : terminal.colour;
  const narrator = getSystem(systemName).narrator?.();
  const say = (atMs: number, tone: Narration['tone'] | 'phase', text: string) => {
    const line = `${colour.dim(stamp(atMs))}  ${paint(colour, tone)(text)}`;
    if (toStderr) terminal.errorLine(line);
    else terminal.line(line);
  };
  return {
    onFault: (atMs, description, note) => say(atMs, 'fault', `FAULT ${description}${note !== '' && !description.includes(note) ? ` (${note})` : ''}`),
    onPhase: (atMs, phase) => say(atMs, 'phase', phaseNarration(phase)),
    onTrace: (atMs, node, event) => {
      const narration = narrator?.onTrace(atMs, node, event) ?? null;
      if (narration !== null) say(atMs, narration.tone, narration.text);
    },
  };
}
