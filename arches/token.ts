import type { TokenLayout } from '../core/ingest/summary.js';

/**
 * The async-PF token formulas of the designs: `(id++ << shift) | vcpu_id`, with the id kept in a
 * u16 or a u32, and x86's 2022 guard that never hands out token 0 (6f3c1fc53d86; facts/x86.md §1
 * "Token", §6; facts/arm64.md §1a). One function, each design naming its formula as data.
 */
export interface TokenFormula {
  readonly shift: number;
  readonly idBits: 16 | 32;
  /** x86 since 6f3c1fc53d86: id forced to 1 whenever `id << shift` would be 0. */
  readonly zeroGuard: boolean;
}

/** x86 alloc_apf_token() today; the 2010 x86 design before the guard; Gavin Shan's v4; his RFCv1/RFCv2. */
export const X86_TOKEN: TokenFormula = { shift: 12, idBits: 32, zeroGuard: true };
export const X86_2010_TOKEN: TokenFormula = { shift: 12, idBits: 32, zeroGuard: false };
export const ARM64_V4_TOKEN: TokenFormula = { shift: 12, idBits: 16, zeroGuard: false };
export const ARM64_RFC_TOKEN: TokenFormula = { shift: 16, idBits: 16, zeroGuard: false };

/** The next token of a vCPU's `apf.id` under `f`; the id moves on. */
export function allocToken(s: { id: number; readonly vcpuId: number }, f: TokenFormula): number {
  if (f.zeroGuard && ((s.id << f.shift) >>> 0) === 0) s.id = 1;
  const token = ((s.id << f.shift) | s.vcpuId) >>> 0;
  s.id = f.idBits === 16 ? (s.id + 1) & 0xffff : (s.id + 1) >>> 0;
  return token;
}

/**
 * What `apf-lab ingest` can tell from a capture's tokens: where the vCPU id sits. x86 and Gavin
 * Shan's v1–v4 share one layout, his RFCs another.
 */
export const TOKEN_LAYOUTS: readonly TokenLayout[] = [
  { design: 'x86 (Linux since 2.6.38) and arm64 v1–v4: (id++ << 12) | vcpu_id', vcpuBits: X86_TOKEN.shift, source: 'facts/x86.md §1 "Token"; facts/arm64.md §1a' },
  { design: 'arm64 RFCv1/RFCv2: (id++ << 16) | vcpu_id', vcpuBits: ARM64_RFC_TOKEN.shift, source: 'facts/arm64.md §1 RFCv1' },
];
