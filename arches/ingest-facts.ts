import type { IngestFacts } from '../core/ingest/summary.js';
import { ASYNC_PF_PER_VCPU } from './x86/constants.js';
import { TOKEN_LAYOUTS } from './token.js';

/**
 * What `apf-lab ingest` needs of the architectures: the token layouts, and the per-vCPU limit of
 * outstanding async page faults, which x86 and Gavin Shan's arm64 series both set to 64
 * (arch/x86/include/asm/kvm_host.h; facts/arm64.md §1: "64-entry per-vCPU gfn hash").
 */
export const INGEST_FACTS: IngestFacts = { tokenLayouts: TOKEN_LAYOUTS, asyncPfPerVcpu: ASYNC_PF_PER_VCPU };
