import { describe, expect, it } from 'vitest';
import { PATCH_SIGNATURES } from '../../../arches/patch-signatures.js';
import { VARIANTS } from '../../../arches/registry.js';
import { analyzePatch } from '../../../core/patch/analyze.js';
import { readPatchText } from '../../../core/patch/input.js';
import { matchVariants, MIN_FOUND, type VariantRef } from '../../../core/patch/match.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import type { Hit, PatchSignature, SignatureSet } from '../../../core/patch/signature.js';
import { seedPath } from '../../support/seeds.js';

const refs: VariantRef[] = VARIANTS.map((v) => ({ id: v.id, arch: v.arch, title: v.title }));
const analyze = (seed: '001' | '003') => analyzePatch(readPatchFiles([seedPath(seed)], readPatchText), PATCH_SIGNATURES, refs);

describe('the seeds', () => {
  it('001 (Gleb Natapov, 2010) is x86-pf, well ahead of upstream x86, which its reason-2 page ready contradicts', () => {
    const { match } = analyze('001');
    expect(match.best?.id).toBe('x86-pf');
    expect(match.candidates.map((c) => c.id)).toEqual(['x86-pf', 'x86', 'x86-ve', 'x86-halt']);
    const x86 = match.candidates.find((c) => c.id === 'x86')!;
    expect(x86.against).toEqual(['x86-reason-page-ready']);
    expect(match.best!.score - x86.score).toBeGreaterThan(0.2);
    expect(match.unranked).toEqual(['sync-x86']);
  });

  it('003 (Gavin Shan RFCv2 9/9) is arm64-dabt; RFCv1 (arm64-impdef) is contradicted by its SMCCC call and its delayed wake', () => {
    const { match, arches } = analyze('003');
    expect(arches).toEqual(['arm64']);
    expect(match.best?.id).toBe('arm64-dabt');
    expect(match.candidates.find((c) => c.id === 'arm64-impdef')!.against).toEqual(['arm64-smccc-apf-func1', 'arm64-delayed-wake']);
    expect(match.candidates.every((c) => c.arch === 'arm64')).toBe(true);
  });
});

describe('the verdict', () => {
  const sig = (id: string, evidenceFor: string[], against: string[] = []): PatchSignature => ({
    id, slot: 'enable', pattern: /x/, means: id, evidenceFor, against, cite: 'test', example: 'x',
  });
  const set: SignatureSet = { arch: 'a', kernelDir: 'arch/a/', signatures: [sig('s1', ['v1', 'v2']), sig('s2', ['v1']), sig('s3', ['v1'], ['v2']), sig('s4', ['v2']), sig('s5', ['v1', 'v2'])] };
  const variants: VariantRef[] = [{ id: 'v1', arch: 'a', title: '' }, { id: 'v2', arch: 'a', title: '' }, { id: 'base', arch: 'a', title: '' }, { id: 'other', arch: 'b', title: '' }];
  const hits = (...ids: string[]): Hit[] => ids.map((id) => ({ signature: set.signatures.find((s) => s.id === id)!, arch: 'a', at: { message: 1, path: 'p', line: 1, text: '' }, lines: 1 }));

  it('scores (found − against) / characteristic, and names the best when it leads with enough evidence', () => {
    const m = matchVariants(hits('s1', 's2', 's3'), [set], variants);
    // v1: 3 of 4 found → 0.75; v2: 1 of 3 found, s3 against → 0.
    expect(m.candidates.map((c) => [c.id, c.score])).toEqual([['v1', 0.75], ['v2', 0]]);
    expect(m.best?.id).toBe('v1');
    expect(m.unranked).toEqual(['base']);
  });

  it(`says "no variant matches" below ${MIN_FOUND} signatures, rather than guess`, () => {
    const m = matchVariants(hits('s2', 's3'), [set], variants);
    expect(m.best).toBeNull();
    expect(m.reason).toMatch(/^no variant matches: the evidence is too thin \(the closest, v1, shows 2 of 4 signatures/);
  });

  it('says so when two variants fit equally', () => {
    const m = matchVariants(hits('s1', 's5'), [{ ...set, signatures: [sig('s1', ['v1', 'v2']), sig('s5', ['v1', 'v2']), sig('s6', ['v1', 'v2'])] }], variants);
    expect(m.best).toBeNull();
    expect(m.reason).toBe('no variant matches: the evidence is too thin (the closest, v1, shows 2 of 3 signatures, score 0.67; a match needs at least 3 and 0.30)');
    const three = matchVariants([...hits('s1', 's5'), { ...hits('s1')[0], signature: sig('s6', ['v1', 'v2']) }], [{ ...set, signatures: [sig('s1', ['v1', 'v2']), sig('s5', ['v1', 'v2']), sig('s6', ['v1', 'v2'])] }], variants);
    expect(three.reason).toBe('no single variant matches: v1 and v2 fit equally (score 1.00)');
  });

  it('nothing found: no variant matches', () => {
    expect(matchVariants([], [set], variants).reason).toMatch(/show none of the registered variants' signatures/);
  });
});
