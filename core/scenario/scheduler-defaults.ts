/**
 * The scenario's scheduler fields by default (machine.scheduler, sliceUs and CFS's tunables), as
 * Linux scales its tunables with the CPUs: kernel/sched/fair.c update_sysctl(). The schema fills
 * them in; a sweep point and a CPU going down or up derive them again (core/sweep/params.ts,
 * core/guest/fair-class.ts).
 */
/**
 * Linux's scaling of its scheduler tunables with the CPUs (update_sysctl(),
 * SCHED_TUNABLESCALING_LOG): 1 + ilog2(min(CPUs, 8)), so 1, 2, 3, 4 for 1, 2, 4, 8+ CPUs.
 */
function tunableFactor(vcpus: number): number {
  return 1 + Math.floor(Math.log2(Math.min(vcpus, 8)));
}

/** sysctl_sched_base_slice, 0.7 ms, scaled (kernel/sched/fair.c). */
export function eevdfBaseSliceUs(vcpus: number): number {
  return 700 * tunableFactor(vcpus);
}

/**
 * The scheduler fields' defaults for a guest of `vcpus` CPUs: EEVDF's base slice; CFS's tick slice
 * (4 ms, the lab's) and its wakeup granularity and latency, 1 ms and 6 ms scaled (Linux before 6.6).
 */
export function schedulerDefaults(vcpus: number, scheduler: 'eevdf' | 'cfs'): { sliceUs: number; wakeupGranularityUs?: number; schedLatencyUs?: number } {
  if (scheduler === 'eevdf') return { sliceUs: eevdfBaseSliceUs(vcpus) };
  const f = tunableFactor(vcpus);
  return { sliceUs: 4000, wakeupGranularityUs: 1000 * f, schedLatencyUs: 6000 * f };
}

/** The scheduler's own defaults, in the fields' places (the order --json prints them in). */
export function withSchedulerDefaults<M extends { vcpus: number; scheduler: 'eevdf' | 'cfs'; sliceUs?: number; wakeupGranularityUs?: number; schedLatencyUs?: number }>(m: M) {
  const d = schedulerDefaults(m.vcpus, m.scheduler);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(m)) {
    if (key === 'wakeupGranularityUs' || key === 'schedLatencyUs') continue;
    if (value !== undefined) out[key] = value;
    if (key !== 'scheduler') continue;
    out.sliceUs = m.sliceUs ?? d.sliceUs;
    if (m.scheduler === 'cfs') {
      out.wakeupGranularityUs = m.wakeupGranularityUs ?? d.wakeupGranularityUs;
      out.schedLatencyUs = m.schedLatencyUs ?? d.schedLatencyUs;
    }
  }
  return out as Omit<M, 'sliceUs'> & { sliceUs: number };
}
