import type { SignatureSet } from '../core/patch/signature.js';
import { ARM64_PATCH_SIGNATURES } from './arm64/patch-signatures.js';
import { X86_PATCH_SIGNATURES } from './x86/patch-signatures.js';

/** Each architecture's patch signatures, in the order ARCHES lists the architectures. */
export const PATCH_SIGNATURES: readonly SignatureSet[] = [X86_PATCH_SIGNATURES, ARM64_PATCH_SIGNATURES];
