import { describe, expect, it } from 'vitest';
import type { FaultLife, FaultLifeEvent } from '../../core/fault-life.js';
import { faultSequence } from '../../cli/report/sequence.js';
import { findVariant } from '../../arches/registry.js';

/**
 * The report's sequence diagram of one fault (cli/report/sequence.ts), from a fault's traced life:
 * each step says what the design does at that point, in the order it does it.
 */
function life(vcpu: number, events: readonly [number, string, Record<string, number>][]): FaultLife {
  const evs: FaultLifeEvent[] = events.map(([timeNs, event, fields]) => ({ timeNs, vcpu, event, fields }));
  return { task: 5, gfn: 0x123, vcpu, startNs: 1000, latencyNs: 9000, events: evs };
}

const steps = (id: string, l: FaultLife, readyOnlyIfNotPresentInjected: boolean) =>
  faultSequence(id, l, findVariant(id).mechanisms, { readyOnlyIfNotPresentInjected }).steps.map((s) => `${s.from}->${s.to}: ${s.text}`);

/** A fault KVM halted the vCPU for instead of telling the guest (kernel mode, x86 §2 "Synthetic halt"). */
const HALTED = life(0, [
  [1000, 'apf_lab_stage2_fault', { task: 5, gfn: 0x123, start: 1000 }],
  [1100, 'kvm_try_async_get_page', { gfn: 0x123 }],
  [1100, 'kvm_async_pf_not_present', { token: 0x1000, gva: 0x123000 }],
  [1100, 'apf_lab_halt', {}],
  [5000, 'kvm_async_pf_completed', { gva: 0x123000 }],
  [5100, 'kvm_async_pf_ready', { token: 0x1000, gva: 0x123000 }],
  [10000, 'apf_lab_access_done', { task: 5, latency: 9000 }],
]);

describe('report sequence diagram', () => {
  // facts/x86.md §2 "Completion": kvm_arch_async_page_present() injects page-ready only if
  // (wakeup_all || notpresent_injected); a halted fault's vCPU just has its halt cleared.
  it('a halted x86 fault gets no page-ready interrupt, only its halt cleared (x86.c kvm_arch_async_page_present())', () => {
    const s = steps('x86', HALTED, true);
    expect(s.join('\n')).not.toContain('fixed interrupt on the programmed vector');
    expect(s).toContain('H->V: page in: the halt is cleared; no page-ready, the guest was never told');
    expect(s.some((x) => x.includes('wakes the task'))).toBe(false);
  });

  // facts/x86.md §2 "2010 ready path", §6 "Dummy-entry leak" (2a18b7e7cd88): 2.6.38 sent the
  // ready #PF for a fault it had halted instead of announcing, and the guest left a dummy.
  it('a halted x86-pf fault still gets its ready #PF, and the guest leaves a dummy (2a18b7e7cd88)', () => {
    const s = steps('x86-pf', HALTED, false);
    expect(s.some((x) => x.startsWith('H->V: page ready, token 0x1000, for a fault the guest was never told of: #PF vector 14'))).toBe(true);
    expect(s).toContain('V->V: no sleeper has the token: the guest leaves a dummy entry nobody consumes');
  });

  // facts/arm64.md §4 (do_sdei_event(), SDEI v4 14/21 20210815001352.81927-15-gshan@redhat.com) and
  // §1 v1: the SDEI handler only sets TIF_ASYNC_PF; the task sleeps at the return to user that
  // follows COMPLETE_AND_RESUME's emulated IRQ entry, so never before the event is dispatched.
  it('arm64-sdei: the task sleeps after the event is dispatched and completed, not at the not-present', () => {
    const l = life(3, [
      [1000, 'apf_lab_stage2_fault', { task: 5, gfn: 0x123, start: 1000 }],
      [1100, 'kvm_try_async_get_page', { gfn: 0x123 }],
      [1100, 'kvm_async_pf_not_present', { token: 0x4b003, gva: 0x123000 }],
      [2100, 'kvm_sdei_deliver', { num: 0x40400001, token: 0x4b003 }],
      [3200, 'kvm_sdei_complete', { num: 0x40400001, token: 0x4b003, resume: 1 }],
      [5000, 'kvm_async_pf_completed', { gva: 0x123000 }],
      [5100, 'kvm_async_pf_ready', { token: 0x4b003, gva: 0x123000 }],
      [5200, 'kvm_async_pf_ack', {}],
      [10000, 'apf_lab_access_done', { task: 5, latency: 9000 }],
    ]);
    const s = steps('arm64-sdei', l, true);
    const at = (part: string) => s.findIndex((x) => x.includes(part));
    expect(at('dispatched at entry')).toBeGreaterThan(at('not present, token 0x4b003'));
    expect(at('SDEI_EVENT_COMPLETE_AND_RESUME')).toBeGreaterThan(at('dispatched at entry'));
    expect(at('IRQ vector')).toBeGreaterThan(at('SDEI_EVENT_COMPLETE_AND_RESUME'));
    expect(at('the flagged task sleeps on the token')).toBeGreaterThan(at('IRQ vector'));
    expect(s.some((x) => x.includes('the guest puts the task to sleep'))).toBe(false);
  });

  // James Morse's PPI design (PROTOCOLS.md §4.7) and v4's SDEI handler (13/15) only flag the task;
  // it sleeps at its return to user (do_notify_resume(), facts/arm64.md §4), drawn where traced.
  it('a flagging design draws the flag at the not-present and the sleep where it was traced', () => {
    const l = life(3, [
      [1000, 'apf_lab_stage2_fault', { task: 5, gfn: 0x123, start: 1000 }],
      [1100, 'kvm_try_async_get_page', { gfn: 0x123 }],
      [1100, 'kvm_async_pf_not_present', { token: 0x4b003, gva: 0x123000 }],
      [2500, 'apf_lab_flagged_sleep', { task: 5, token: 0x4b003 }],
      [5000, 'kvm_async_pf_completed', { gva: 0x123000 }],
      [5100, 'kvm_async_pf_ready', { token: 0x4b003, gva: 0x123000 }],
      [10000, 'apf_lab_access_done', { task: 5, latency: 9000 }],
    ]);
    const full = faultSequence('arm64-irq', l, findVariant('arm64-irq').mechanisms, { readyOnlyIfNotPresentInjected: true }).steps;
    const s = full.map((x) => `${x.from}->${x.to}: ${x.text}`);
    expect(s.some((x) => x.includes('the guest puts the task to sleep'))).toBe(false);
    const flagged = s.indexOf("V->V: the guest's handler flags the task, to sleep at its return to user");
    const sleep = s.indexOf('V->T: at the return to user the flagged task sleeps on the token; another runs');
    expect(flagged).toBeGreaterThan(s.findIndex((x) => x.includes('not present, token 0x4b003')));
    expect(sleep).toBeGreaterThan(flagged);
    expect(full[sleep].at).toBe('+1.5 µs');
  });

  // PROTOCOLS.md §4.4 (x86-ve) and §4.10 (arm64-s2): the fault reaches the guest with no exit and
  // the guest's handler asks the host for the page by hypercall, which is an exit; the host starts
  // the read then and returns the token.
  it('a fault given to the guest with no exit shows the guest\'s hypercall, the read and the token returned', () => {
    const l = life(2, [
      [1000, 'apf_lab_guest_fault', { task: 5, gfn: 0x123, start: 1000 }],
      [3500, 'kvm_async_pf_not_present', { token: 0x5b002, gva: 0x123000 }],
      [6000, 'kvm_async_pf_completed', { gva: 0x123000 }],
      [6100, 'kvm_async_pf_ready', { token: 0x5b002, gva: 0x123000 }],
      [6200, 'kvm_async_pf_ack', {}],
      [10000, 'apf_lab_access_done', { task: 5, latency: 9000 }],
    ]);
    for (const id of ['x86-ve', 'arm64-s2']) {
      const s = steps(id, l, true);
      const hypercall = s.indexOf("V->H: the guest handler's hypercall asks for the page: an exit");
      expect(hypercall, id).toBeGreaterThan(0);
      expect(s[hypercall + 1]).toBe('H->S: read the page (async)');
      expect(s[hypercall + 2]).toMatch(/^H->V: token 0x5b002 returned to the guest: /);
      expect(s[hypercall + 3]).toBe('V->T: the guest puts the task to sleep and runs another');
    }
  });
});

describe('report sequence diagram as SVG', () => {
  // An SVG clips what falls outside its viewBox: x86-ve's not-present step (its mechanism's words,
  // ~190 characters) was centred in a 740-wide picture and lost both its ends in the HTML report.
  it('is wide enough for its longest step: no text runs outside the picture', () => {
    const l = life(2, [
      [1000, 'apf_lab_guest_fault', { task: 5, gfn: 0x123, start: 1000 }],
      [3500, 'kvm_async_pf_not_present', { token: 0x5b002, gva: 0x123000 }],
      [6100, 'kvm_async_pf_ready', { token: 0x5b002, gva: 0x123000 }],
      [10000, 'apf_lab_access_done', { task: 5, latency: 9000 }],
    ]);
    for (const [id, l2] of [['x86-ve', l], ['x86', HALTED]] as const) {
      const svg = faultSequence(id, l2, findVariant(id).mechanisms, { readyOnlyIfNotPresentInjected: true }).svg;
      for (const a of svg.arrows) {
        const half = (a.text.length * 6.2) / 2;
        expect(a.textX - half, a.text).toBeGreaterThanOrEqual(0);
        expect(a.textX + half, a.text).toBeLessThanOrEqual(svg.width);
      }
      for (const n of svg.notes) {
        expect(n.x).toBeGreaterThanOrEqual(0);
        expect(n.x + n.w, n.text).toBeLessThanOrEqual(svg.width);
        expect(n.w, n.text).toBeGreaterThanOrEqual(n.text.length * 6.2);
      }
    }
  });
});
