/**
 * The statecharts of every machine of the actor tree, derived from the machine
 * definitions: for `switchboard machines`, the README's diagrams and the inspector page.
 */
import { batcherMachine } from '../../machines/batcher.machine.js';
import { circuitBreakerMachine } from '../../machines/circuit-breaker.machine.js';
import { keySlotMachine } from '../../machines/key-slot.machine.js';
import { retryMachine } from '../../machines/retry.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { chartOf, type MachineChart } from './chart.js';

export type { ChartState, ChartTransition, MachineChart } from './chart.js';
export { chartOf } from './chart.js';
export { toMermaid } from './mermaid.js';
export { renderSvg, SVG_STYLE, toSvg } from './svg.js';
export { layoutChart, type ChartLayout } from './layout.js';
export { MACHINES_END, MACHINES_START, readmeBlock, replaceReadmeBlock } from './readme.js';

/**
 * Every machine's chart, in tree order: supervisor first, then its children.
 *
 * ```ts
 * for (const chart of machineCharts()) console.log(toMermaid(chart));
 * ```
 */
export function machineCharts(): MachineChart[] {
  return [
    chartOf('supervisor', 'machines/supervisor.machine.ts', supervisorMachine),
    chartOf('circuitBreaker', 'machines/circuit-breaker.machine.ts', circuitBreakerMachine),
    chartOf('keySlot', 'machines/key-slot.machine.ts', keySlotMachine),
    chartOf('batcher', 'machines/batcher.machine.ts', batcherMachine),
    chartOf('retry', 'machines/retry.machine.ts', retryMachine),
  ];
}

/** One chart, or all of them, as pretty-printed JSON (a stable shape: see `MachineChart`). */
export function toJson(chart: MachineChart | MachineChart[]): string {
  return JSON.stringify(chart, null, 2);
}
