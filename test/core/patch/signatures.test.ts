import { describe, expect, it } from 'vitest';
import { PATCH_SIGNATURES } from '../../../arches/patch-signatures.js';
import { VARIANTS } from '../../../arches/registry.js';
import { readPatchText } from '../../../core/patch/input.js';
import type { PatchMessage } from '../../../core/patch/model.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import { detect, SCANNED_LINE_CHARS, SLOTS } from '../../../core/patch/signature.js';
import { seedPath } from '../../support/seeds.js';

const all = PATCH_SIGNATURES.flatMap((s) => s.signatures.map((sig) => ({ set: s, sig })));

describe('every signature rule', () => {
  it.each(all.map(({ set, sig }) => [sig.id, set, sig] as const))('%s: matches its example, keeps no regex state, cites a fact, names registered variants of its arch', (_id, set, sig) => {
    expect(sig.pattern.flags).not.toMatch(/[gy]/);
    expect(sig.pattern.test(sig.example)).toBe(true);
    expect(SLOTS).toContain(sig.slot);
    expect(sig.cite).toMatch(/facts\/(x86|arm64|anchors)\.md §\d|seed 00\d/);
    const ids = VARIANTS.filter((v) => v.arch === set.arch).map((v) => v.id);
    expect(sig.evidenceFor.length).toBeGreaterThan(0);
    for (const v of [...sig.evidenceFor, ...sig.against]) expect(ids).toContain(v);
    expect(sig.evidenceFor.filter((v) => sig.against.includes(v))).toEqual([]);
  });

  it('ids are unique and each set reads its own kernel directory', () => {
    expect(new Set(all.map((x) => x.sig.id)).size).toBe(all.length);
    expect(PATCH_SIGNATURES.map((s) => [s.arch, s.kernelDir])).toEqual([['x86', 'arch/x86/'], ['arm64', 'arch/arm64/']]);
  });

  // Near misses: identifiers that share a prefix, and lines that only look alike.
  it.each([
    ['x86-msr-async-pf-en', 'wrmsrl(MSR_KVM_ASYNC_PF_ENABLE_X, 0);'],
    ['x86-token-formula', 'id = (apf.id << 12);'],
    ['x86-inject-pf', 'kvm_inject_page_fault_nested = 1;'],
    ['x86-token-in-fault-address', 'vcpu->arch.fault.address = cr2;'],
    ['arm64-smccc-apf-func1', '#define ARM_SMCCC_KVM_FUNC_APF_X 9'],
    ['arm64-smccc-async-pf-func2', 'val = 0x860000021;'],
    ['arm64-token-id16', 'token = (apf.id++ << 12) | vcpu_id;'],
    ['arm64-token-id12', 'token = (apf.id++ << 16) | vcpu_id;'],
    ['arm64-inject-dabt', 'kvm_inject_dabt_with_dfsc(vcpu, token, 0x34);'],
    ['arm64-wfi-halt', 'wfi_pending = true;'],
    ['arm64-sdei-event', 'num = 0x404000010;'],
  ])('%s does not match %j', (id, line) => {
    expect(all.find((x) => x.sig.id === id)!.sig.pattern.test(line)).toBe(false);
  });
});

function hitIds(messages: readonly PatchMessage[]): string[] {
  return detect(messages, PATCH_SIGNATURES).map((h) => h.signature.id);
}

function oneFile(path: string, added: readonly string[]): PatchMessage[] {
  const lines = added.map((text, i) => ({ kind: '+' as const, text, oldLine: null, newLine: i + 1 }));
  const hunk = { message: 1, path, hunk: 1, header: '@@', oldStart: 0, oldLines: 0, newStart: 1, newLines: lines.length, added: lines.length, removed: 0, lines };
  return [{ number: 1, source: 't', kind: 'patch', subject: null, from: null, date: null, messageId: null, commitMessage: [], diffstat: null, files: [{ path, oldPath: null, status: 'added', added: lines.length, removed: 0, hunks: [hunk] }], combined: [] }];
}

describe('detection', () => {
  it('001: exactly the x86 signatures its added lines show, each at its first line', () => {
    const hits = detect(readPatchFiles([seedPath('001')], readPatchText).messages, PATCH_SIGNATURES);
    expect(hits.map((h) => `${h.signature.id} ${h.at.path}:${h.at.line}`)).toEqual([
      'x86-async-pf-enabled arch/x86/kvm/x86.c:6264',
      'x86-reason-not-present arch/x86/kvm/x86.c:6267',
      'x86-reason-page-ready arch/x86/kvm/x86.c:6284',
      'x86-inject-pf arch/x86/kvm/x86.c:6270',
      'x86-token-in-fault-address arch/x86/kvm/x86.c:6269',
      'x86-token-formula arch/x86/kvm/mmu.c:2595',
      'x86-apf-halt arch/x86/kvm/x86.c:6266',
      'x86-user-mode-only arch/x86/kvm/x86.c:6265',
      'x86-ready-when-interruptible arch/x86/include/asm/kvm_host.h:824',
      'x86-wake-all arch/x86/kvm/x86.c:6279',
      'x86-shared-area arch/x86/kvm/x86.c:6251',
    ]);
    expect(hits.find((h) => h.signature.id === 'x86-inject-pf')!.lines).toBe(2);
  });

  it('003: exactly the arm64 signatures of the RFCv2 guest side', () => {
    expect(hitIds(readPatchFiles([seedPath('003')], readPatchText).messages)).toEqual([
      'arm64-smccc-apf-func1',
      'arm64-enabled-flag',
      'arm64-control-block',
      'arm64-no-kvmapf',
      'arm64-abort-hook',
      'arm64-reason-not-present',
      'arm64-reason-page-ready',
      'arm64-vector-window',
      'arm64-delayed-wake',
      'arm64-wfi-halt',
    ]);
  });

  it('reads only added lines, and an architecture\'s file only with its own set', () => {
    expect(hitIds(oneFile('arch/arm64/kvm/x.c', ['x = KVM_PV_REASON_PAGE_READY;']))).toEqual(['arm64-reason-page-ready']);
    expect(hitIds(oneFile('arch/x86/kvm/x.c', ['x = KVM_PV_REASON_PAGE_READY;']))).toEqual(['x86-reason-page-ready']);
    // A file of no architecture, in a patch of none, is read with every set.
    expect(hitIds(oneFile('virt/kvm/x.c', ['x = KVM_PV_REASON_PAGE_READY;']))).toEqual(['x86-reason-page-ready', 'arm64-reason-page-ready']);
    const removed = oneFile('arch/x86/kvm/x.c', ['kvm_inject_page_fault(vcpu);']);
    const m = removed[0].files[0].hunks[0];
    Object.assign(m, { lines: m.lines.map((l) => ({ ...l, kind: '-' })) });
    expect(hitIds(removed)).toEqual([]);
  });

  it('reads only files where APF mechanisms live: an interrupt controller driver shows none', () => {
    const lines = ['ret = request_percpu_irq(chip->irq, foo_handle_irq, "foo", chip->pcpu);', 'chip->cookie = (chip->id++ << 12) | smp_processor_id();', 'writel(FOO_IRQ_ACK, chip->base + FOO_CTRL);'];
    expect(hitIds(oneFile('drivers/irqchip/irq-foo.c', lines))).toEqual([]);
    // The same lines in the guest's arch code are read.
    expect(hitIds(oneFile('arch/arm64/kernel/kvm.c', lines)).length).toBeGreaterThan(0);
  });

  it(`tries the signatures on an added line's first ${SCANNED_LINE_CHARS} characters only (a generated blob would backtrack for seconds)`, () => {
    const pad = ' '.repeat(SCANNED_LINE_CHARS);
    expect(hitIds(oneFile('arch/x86/kvm/x.c', [`x = KVM_PV_REASON_PAGE_READY;${pad}`]))).toEqual(['x86-reason-page-ready']);
    expect(hitIds(oneFile('arch/x86/kvm/x.c', [`${pad}x = KVM_PV_REASON_PAGE_READY;`]))).toEqual([]);
  });
});
