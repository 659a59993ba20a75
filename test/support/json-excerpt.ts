/**
 * The README's excerpt of `apf-lab compare x86 --json`: the top-level fields, then the `x86`
 * entry's, a few of them lifted out of `metrics` and `invariants` so that the excerpt reads in
 * one screen. The README test rebuilds it from the real output; `readme-regen` writes it.
 */
export function jsonExcerpt(doc: { seed: number; baselines: unknown; variants: { id: string; [k: string]: unknown }[] }): string {
  const v = doc.variants.find((x) => x.id === 'x86') as any;
  const m = v.metrics;
  const { quantiles: _q, ...latency } = m.faultLatencyNs;
  const excerpt = {
    seed: doc.seed,
    baselines: doc.baselines,
    id: v.id,
    arch: v.arch,
    baseline: v.baseline,
    baselineId: v.baselineId,
    workVsBaseline: v.workVsBaseline,
    work: m.work,
    apf: { notPresentDelivered: m.apf.notPresentDelivered, readyDelivered: m.apf.readyDelivered, syncFallbacks: m.apf.syncFallbacks, halts: m.apf.halts },
    exitsPerFault: m.exitsPerFault,
    unsafeInjections: m.unsafeInjections,
    faultLatencyNs: latency,
    violations: v.invariants.violations,
    run: v.run,
  };
  return JSON.stringify(excerpt, null, 2);
}
