import type { Machine } from './machine.js';

/**
 * A fault's latency, from its start to the access done, counted for every fault that started in
 * the measured window, also when it completes in the drain after it: leaving those out would drop
 * exactly the long faults that straddle the window's end, and more of them the shorter the window.
 */
export function faultLatencyDone(sim: Machine, start: number, end: number): void {
  if (start >= 0 && start < sim.measureEnd) sim.metrics.latencies.push(end - start);
}
