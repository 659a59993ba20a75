import { describe, expect, it } from 'vitest';
import { findVariant } from '../../arches/registry.js';
import { variantSheet } from '../../cli/views/variant-sheet.js';

/**
 * Review findings read as a maintainer reads them against the sources they cite: each test names
 * the source that decides the statement.
 */
const finding = (variant: string, id: string) => {
  const f = variantSheet(findVariant(variant), 1 << 30).findings.find((x) => x.id === id);
  expect(f, `${variant} ${id}`).toBeDefined();
  return f!;
};

describe('findings: what they say against their sources', () => {
  // Linux 6.12 include/linux/arm-smccc.h: ARM_SMCCC_KVM_FUNC_HYP_MEMINFO is 2, and its function ID
  // ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID is ARM_SMCCC_CALL_VAL(FAST, SMC_64, VENDOR_HYP, 2)
  // = 0xC6000002; facts/arm64.md §3 ("HYP_MEMINFO 2 … (SMC64)"). 0x86000002 (SMC32) is not it.
  it('arm64-sdei smccc-number-taken: function number 2 is HYP_MEMINFO as an SMC64 call, 0xC6000002, not 0x86000002', () => {
    const f = finding('arm64-sdei', 'smccc-number-taken');
    expect(f.text).toContain('0xC6000002');
    expect(f.text).not.toMatch(/\(0x86000002\) is now taken/);
    expect(f.cite).toContain('ARM_SMCCC_KVM_FUNC_HYP_MEMINFO');
  });
});
