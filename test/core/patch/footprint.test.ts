import { describe, expect, it } from 'vitest';
import { footprint, groupOf } from '../../../core/patch/footprint.js';
import { ruleRegExp } from '../../../core/patch/footprint-rules.js';
import { readPatchText } from '../../../core/patch/input.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import { seedPath } from '../../support/seeds.js';

describe('the path → group table', () => {
  it.each([
    ['virt/kvm/async_pf.c', 'host'],
    ['arch/x86/kvm/mmu/mmu.c', 'host'],
    ['arch/arm64/kvm/hypercalls.c', 'host'],
    ['include/linux/kvm_host.h', 'host'],
    ['arch/x86/include/asm/kvm_host.h', 'host'],
    ['arch/x86/kernel/kvm.c', 'guest'],
    ['arch/arm64/mm/fault.c', 'guest'],
    ['arch/arm64/include/asm/exception.h', 'guest'],
    ['arch/arm64/Kconfig', 'guest'],
    ['arch/x86/include/uapi/asm/kvm_para.h', 'abi'],
    ['arch/arm64/include/asm/kvm_para.h', 'abi'],
    ['include/uapi/linux/kvm.h', 'abi'],
    ['include/linux/kvm_para.h', 'abi'],
    ['Documentation/virt/kvm/x86/msr.rst', 'abi'],
    ['include/trace/events/kvm.h', 'tracepoints'],
    ['mm/memory.c', 'other'],
    ['fs/ncpfs/mmap.c', 'other'],
    // `*` is one component: a kvm/ below some other directory is not KVM's.
    ['arch/x86/kernel/kvm/oops.c', 'guest'],
  ])('%s → %s', (path, group) => {
    expect(groupOf(path)).toBe(group);
  });

  it('`**` matches the directory itself and anything under it; `*` not across a slash', () => {
    expect(ruleRegExp('virt/kvm/**').test('virt/kvm/x.c')).toBe(true);
    expect(ruleRegExp('virt/kvm/**').test('virt/kvm')).toBe(true);
    expect(ruleRegExp('virt/kvm/**').test('virt/kvmx/x.c')).toBe(false);
    expect(ruleRegExp('arch/*/kvm/**').test('arch/x86/sub/kvm/x.c')).toBe(false);
  });
});

describe('the seeds', () => {
  // The footprint is counted from the hunks; git's diffstat in the commit message counts the same lines.
  it.each(['001', '003'] as const)('%s: totals equal the diffstat the patch carries', (seed) => {
    const { messages } = readPatchFiles([seedPath(seed)], readPatchText);
    const f = footprint(messages);
    expect({ files: f.files, insertions: f.added, deletions: f.removed }).toEqual(messages[0].diffstat);
  });

  it('001: host, then tracepoints; nothing in the guest', () => {
    const f = footprint(readPatchFiles([seedPath('001')], readPatchText).messages);
    expect(f.groups.map((g) => [g.group, g.files, g.added, g.removed, g.hunks])).toEqual([
      ['host', 4, 44, 6, 6],
      ['guest', 0, 0, 0, 0],
      ['abi', 0, 0, 0, 0],
      ['tracepoints', 1, 11, 6, 1],
      ['other', 0, 0, 0, 0],
    ]);
  });

  it('003: the guest side only, plus kvm_para.h, the ABI', () => {
    const f = footprint(readPatchFiles([seedPath('003')], readPatchText).messages);
    expect(f.groups.find((g) => g.group === 'host')!.files).toBe(0);
    expect(f.groups.find((g) => g.group === 'abi')!.paths.map((p) => p.path)).toEqual(['arch/arm64/include/asm/kvm_para.h']);
    expect(f.groups.find((g) => g.group === 'guest')!.paths.find((p) => p.path === 'arch/arm64/mm/fault.c')).toEqual({ path: 'arch/arm64/mm/fault.c', group: 'guest', added: 434, removed: 0, hunks: 4 });
  });
});
