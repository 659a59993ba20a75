import { describe, expect, it } from 'vitest';
import { FaultLifeRecorder } from '../../core/fault-life.js';
import { findVariant } from '../../arches/registry.js';
import { compareVariants } from '../../index.js';
import { smallScenario } from '../support/scenarios.js';

/** The report's sequence diagram shows the design's own path: the first asynchronous fault to complete. */
describe('FaultLifeRecorder', () => {
  it('keeps the first fault that went asynchronous, not a synchronous one that completed before it', () => {
    const r = new FaultLifeRecorder(0);
    r.sink(10, 0, 'apf_lab_stage2_fault', { task: 1, gfn: 5, start: 10 });
    r.sink(20, 1, 'apf_lab_stage2_fault', { task: 2, gfn: 6, start: 20 });
    r.sink(21, 1, 'kvm_async_pf_not_present', { token: 9, gva: 6 * 4096 });
    r.sink(30, 0, 'apf_lab_access_done', { task: 1, latency: 20 });
    // Only a synchronous one has completed: it is what there is.
    expect(r.life?.task).toBe(1);
    r.sink(40, 1, 'apf_lab_access_done', { task: 2, latency: 20 });
    expect(r.life?.task).toBe(2);
    expect(r.life?.events.map((e) => e.event)).toEqual(['apf_lab_stage2_fault', 'kvm_async_pf_not_present', 'apf_lab_access_done']);
  });

  it('passes over a fault the host halted the vCPU for (the guest was not told)', () => {
    const r = new FaultLifeRecorder(0);
    r.sink(10, 0, 'apf_lab_stage2_fault', { task: 1, gfn: 5, start: 10 });
    r.sink(11, 0, 'kvm_try_async_get_page', { gfn: 5 });
    r.sink(11, 0, 'kvm_async_pf_not_present', { token: 3, gva: 5 * 4096 });
    r.sink(11, 0, 'apf_lab_halt', {});
    r.sink(30, 0, 'apf_lab_access_done', { task: 1, latency: 20 });
    r.sink(40, 1, 'apf_lab_stage2_fault', { task: 2, gfn: 6, start: 40 });
    r.sink(41, 1, 'kvm_async_pf_not_present', { token: 9, gva: 6 * 4096 });
    r.sink(50, 1, 'apf_lab_access_done', { task: 2, latency: 10 });
    expect(r.life?.task).toBe(2);
  });

  it('keeps the first of any kind where no fault goes asynchronous (a baseline)', () => {
    const r = new FaultLifeRecorder(0);
    for (let i = 0; i < 40; i++) {
      r.sink(10 * i, 0, 'apf_lab_stage2_fault', { task: i, gfn: i, start: 10 * i });
      r.sink(10 * i + 5, 0, 'apf_lab_access_done', { task: i, latency: 5 });
    }
    expect(r.life?.task).toBe(0);
  });

  it('drops the oldest of 16 open faults for a new one: faults that never finish do not keep the rest out', () => {
    const r = new FaultLifeRecorder(0);
    for (let i = 0; i < 16; i++) r.sink(i, 0, 'apf_lab_stage2_fault', { task: i, gfn: i, start: i });
    r.sink(100, 1, 'apf_lab_stage2_fault', { task: 99, gfn: 99, start: 100 });
    r.sink(101, 1, 'kvm_async_pf_not_present', { token: 5, gva: 99 * 4096 });
    r.sink(200, 1, 'apf_lab_access_done', { task: 99, latency: 100 });
    expect(r.life?.task).toBe(99);
  });

  it('follows a fault the hardware hands to the guest with no exit (apf_lab_guest_fault: x86-ve, arm64-s2)', () => {
    const r = new FaultLifeRecorder(0);
    r.sink(10, 2, 'apf_lab_guest_fault', { task: 3, gfn: 7, start: 10 });
    r.sink(14, 2, 'kvm_async_pf_not_present', { token: 4, gva: 7 * 4096 });
    r.sink(90, 2, 'apf_lab_access_done', { task: 3, latency: 80 });
    expect([r.life?.task, r.life?.gfn, r.life?.events.length]).toEqual([3, 7, 3]);
  });
});

/**
 * A handler that only flags the task (the SDEI design, v4 13/15 kvm_async_pf_sdei_handler(); James
 * Morse's PPI design, PROTOCOLS.md §4.7): the task sleeps later, at its return to user
 * (do_notify_resume(), facts/arm64.md §4). The run traces that sleep, and the fault's life keeps it,
 * after the not-present with the same token and before the page is in.
 */
describe('a flagged task\'s sleep in a traced run', () => {
  it.each(['arm64-sdei', 'arm64-irq'])('%s: the life of a told fault holds its sleep at the return to user', (id) => {
    const r = new FaultLifeRecorder(20e6);
    compareVariants(smallScenario(), [findVariant(id)], { trace: () => r.sink });
    const events = r.life!.events;
    const at = (name: string) => events.findIndex((e) => e.event === name);
    const notPresent = events[at('kvm_async_pf_not_present')];
    const sleep = events[at('apf_lab_flagged_sleep')];
    expect(sleep, events.map((e) => e.event).join(' ')).toBeDefined();
    expect(sleep.fields.token).toBe(notPresent.fields.token);
    expect(at('apf_lab_flagged_sleep')).toBeGreaterThan(at('kvm_async_pf_not_present'));
    expect(sleep.timeNs).toBeLessThan(events[at('kvm_async_pf_completed')].timeNs);
    if (id === 'arm64-sdei') expect(at('apf_lab_flagged_sleep')).toBeGreaterThan(at('kvm_sdei_complete'));
  });

  it('x86 traces no such sleep: its #PF handler sleeps the task itself (arch/x86/kernel/kvm.c kvm_async_pf_task_wait_schedule())', () => {
    const r = new FaultLifeRecorder(20e6);
    compareVariants(smallScenario(), [findVariant('x86')], { trace: () => r.sink });
    expect(r.life!.events.some((e) => e.event === 'kvm_async_pf_not_present')).toBe(true);
    expect(r.life!.events.some((e) => e.event === 'apf_lab_flagged_sleep')).toBe(false);
  });
});
