import { ScenarioError } from './error.js';
import { estimateEvents } from './estimate.js';
import type { Scenario } from './schema.js';
import { SIZE } from './limits.js';

/**
 * The size limit held while a run runs, not only before it: the estimate (estimate.ts) refuses up
 * front what is surely too big, but it is a model of the model and has been found low, by up to
 * ~1,000× on scenarios it did not foresee (zero-fills behind a slow device, pages that start off
 * the host). A run the estimate let through stops, as bad input, once it has done the events it
 * was allowed: an underestimate costs at most what an allowed run costs, never hours.
 */
export interface SizeLimit {
  /** Events allowed (SIZE.expectedEvents unless a test asks for fewer). */
  readonly events: number;
  /** The scenario's name in the message, as checkScenarioSize() names it. */
  readonly file: string;
  /** How to run it anyway (the CLI's --allow-large). */
  readonly raise: string;
}

export function sizeLimit(file: string, raise: string): SizeLimit {
  return { events: SIZE.expectedEvents, file, raise };
}

/** The error of a run that went past its limit at `nowNs` of simulated time. */
export function pastSizeLimit(limit: SizeLimit, scenario: Scenario, nowNs: number): ScenarioError {
  const at = `${Number((nowNs / 1e6).toPrecision(4))} ms`;
  const estimated = estimateEvents(scenario).toExponential(1);
  return new ScenarioError(
    limit.file,
    'durationMs',
    `the run passed ${limit.events.toExponential(0)} events at ${at} of simulated time (about ${estimated} were expected before it started), more than the ${limit.events.toExponential(0)} a laptop runs in minutes; ${limit.raise}`,
  );
}
