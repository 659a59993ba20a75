import { describe, expect, it } from 'vitest';
import { isUpstreamTracepoint, kernelHex, tracepointText, UPSTREAM_TRACEPOINTS } from '../../core/tracepoints.js';

// Formats: include/trace/events/kvm.h, Linux 6.12 (facts/anchors.md §B "Event formats").
describe('tracepoint text as KVM prints it', () => {
  it('prints the five upstream events with their TP_printk formats', () => {
    expect(tracepointText('kvm_try_async_get_page', { gva: 0x1234000, gfn: 0x1234 })).toBe('gva = 0x1234000, gfn = 0x1234');
    expect(tracepointText('kvm_async_pf_repeated_fault', { gva: 0x2000, gfn: 2 })).toBe('gva = 0x2000, gfn = 0x2');
    expect(tracepointText('kvm_async_pf_not_present', { token: 0x1003, gva: 0x5000 })).toBe('token 0x1003 gva 0x5000');
    expect(tracepointText('kvm_async_pf_ready', { token: 0xffffffff, gva: 0 })).toBe('token 0xffffffff gva 0');
    expect(tracepointText('kvm_async_pf_completed', { address: 0x7f0000005000, gva: 0x5000 })).toBe('gva 0x5000 address 0x7f0000005000');
    expect([...UPSTREAM_TRACEPOINTS].sort()).toEqual(
      ['kvm_async_pf_completed', 'kvm_async_pf_not_present', 'kvm_async_pf_ready', 'kvm_async_pf_repeated_fault', 'kvm_try_async_get_page'].sort(),
    );
  });

  it("writes %#llx as the kernel's printf does: 0 without the 0x prefix", () => {
    expect(kernelHex(0)).toBe('0');
    expect(kernelHex(255)).toBe('0xff');
  });

  it("prints the lab's own events field by field: addresses and tokens in hex, counts and times in decimal", () => {
    expect(isUpstreamTracepoint('kvm_sdei_deliver')).toBe(false);
    expect(tracepointText('kvm_sdei_complete', { num: 0x40400001, token: 1, resume: 1 })).toBe('num 0x40400001 token 0x1 resume 1');
    expect(tracepointText('apf_lab_access_done', { task: 5, latency: 3093497 })).toBe('task 5 latency 3093497');
    expect(tracepointText('kvm_async_pf_ack', {})).toBe('');
  });

  it("takes the caller's way of writing a number (a diff's <token>)", () => {
    const value = (n: number, field: string) => (field === 'token' ? '<token>' : `0x${n.toString(16)}`);
    expect(tracepointText('kvm_async_pf_ready', { token: 7, gva: 0 }, value)).toBe('token <token> gva 0x0');
  });
});
