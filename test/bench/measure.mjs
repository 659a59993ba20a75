import { EventQueue, runVariant, Simulation } from '../../dist/index.js';

/**
 * What the bench measures inside one process: CPU time (user + system, so that a second process on
 * the machine does not count) and wall time around a piece of work.
 */
export function timed(work) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const value = work();
  const cpu = process.cpuUsage(cpu0);
  return { value, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 };
}

/** Runs of the model: each variant through the scenario once, timed together. */
export function modelRun(scenario, variants) {
  const { value: events, cpuMs, wallMs } = timed(() => variants.reduce((n, v) => n + runVariant(scenario, v).run.events, 0));
  return { events, cpuMs, wallMs, eventsPerCpuSecond: rate(events, cpuMs), eventsPerWallSecond: rate(events, wallMs) };
}

/**
 * The mean number of pending events in the model's queue, sampled every 65,536 events (the run's
 * progress callback) over at most `maxEvents` events of one variant's run.
 */
export function pendingEvents(scenario, variant, maxEvents) {
  const guestMemoryBytes = Math.round(scenario.machine.guestMemoryMiB * 1024 * 1024);
  const backend = variant.createBackend({ costOverrides: variant.defaultCosts, knobs: variant.knobs, guestMemoryBytes });
  const sizes = [];
  let events = 0;
  const sim = new Simulation(scenario, backend, {
    seed: scenario.seed,
    onProgress: () => sizes.push(sim.queue.size),
    stopWhen: () => ++events >= maxEvents,
  });
  sim.run();
  return Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length));
}

/**
 * The ceiling: the same event heap driven bare, `pending` events held and each popped one pushed
 * again a pseudo-random 1–1000 ns later (the hold model), for `events` pops.
 */
export function bareHeap(pending, events) {
  const { cpuMs, wallMs } = timed(() => {
    const q = new EventQueue(1024);
    const ev = { time: 0, kind: 0, a: 0, b: 0 };
    for (let i = 0; i < pending; i++) q.push(i * 7, 0, i, 0);
    for (let i = 0; i < events; i++) {
      q.pop(ev);
      q.push(ev.time + 1 + ((ev.a * 2654435761) % 1000), 0, ev.a, 0);
    }
  });
  return { pending, events, cpuMs, wallMs, eventsPerCpuSecond: rate(events, cpuMs), eventsPerWallSecond: rate(events, wallMs) };
}

export function rate(events, ms) {
  return ms > 0 ? Math.round((events / ms) * 1000) : 0;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function peakRssMiB() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
