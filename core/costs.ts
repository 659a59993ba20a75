import type { Backend, ExitCosts, ExitKind, InjectionKind } from './backend.js';
import { BadInputError } from './errors.js';

/** Converts a cost-table entry in cycles to integer nanoseconds at the table's clock (facts/anchors.md §A6). */
export function cyclesToNs(cycles: number, clockMHz: number): number {
  return Math.round((cycles * 1000) / clockMHz);
}

/**
 * Which key of an architecture's cycle table prices each exit kind and each injection: data the
 * architecture supplies (arches/x86/costs.ts, arches/arm64/costs.ts), so that core prices an exit
 * by its kind and never by its name.
 */
export interface CostKeys {
  readonly exit: Readonly<Record<ExitKind, string>>;
  readonly stage2Fault: string;
  readonly inject: Readonly<Record<InjectionKind, string>>;
}

/**
 * The usual keys: an architecture whose table names an entry after its own mechanism overrides
 * that one. `exitCycles` prices the exits that have no entry of their own — traps and the idle
 * instruction.
 */
export const STANDARD_COST_KEYS: CostKeys = {
  exit: {
    stage2Fault: 'stage2FaultExitCycles',
    hypercall: 'hypercallExitCycles',
    trap: 'exitCycles',
    kick: 'kickExitCycles',
    idle: 'exitCycles',
  },
  stage2Fault: 'stage2FaultCycles',
  inject: { event: 'injectEventCycles', exception: 'injectExceptionCycles', irq: 'injectIrqCycles' },
};

/** The backend's `costs` in nanoseconds from a cycle table (defaults merged with scenario overrides). */
export function exitCostsFromTable(table: Readonly<Record<string, number>>, keys: CostKeys): ExitCosts {
  const ns = (key: string) => {
    // A key the table lacks would price an exit or an injection at NaN without a word.
    if (typeof table[key] !== 'number') throw new BadInputError(`cost table: no entry ${key} (the cost keys name it; the table has ${Object.keys(table).join(', ')})`);
    return cyclesToNs(table[key], table.clockMHz);
  };
  const mapNs = <K extends string>(m: Readonly<Record<K, string>>) =>
    Object.fromEntries(Object.entries<string>(m).map(([kind, key]) => [kind, ns(key)])) as Record<K, number>;
  return { exitNs: mapNs(keys.exit), stage2FaultNs: ns(keys.stage2Fault), injectNs: mapNs(keys.inject) };
}

/** The names of the exits core causes itself (stage-2 fault, kick, idle), as the architecture calls them. */
export type ExitNames = Backend['exitNames'];
