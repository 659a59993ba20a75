import { no } from '../../core/backend.js';
import { NEVER_ASYNC, type CompatibilityRule, type Dimension, type Mechanism } from '../spec.js';

/**
 * The no-APF mechanisms every architecture's catalogue includes: what its baseline picks ("master"
 * in Gleb Natapov's tables, facts/x86.md §7). They supply nothing but the refusal to start an APF;
 * the composer's defaults are a backend that never starts one, and the architecture's
 * `noApfGuestCall` answers any guest call as a host without async PF would.
 */
export const NO_APF_MECHANISMS = {
  enable: { none: { text: 'none' } },
  notPresent: { 'vcpu-blocks': { text: 'none (vCPU blocks in the host)' } },
  ready: { none: { text: 'none' } },
  token: { none: { text: 'none' } },
  eligibility: { [NEVER_ASYNC]: { text: 'never asynchronous', fragment: () => ({ canDoAsyncPf: () => no('no-apf') }) } },
  wake: { none: { text: 'none' } },
  ack: { none: { text: 'none' } },
} as const satisfies { readonly [D in Dimension]: Readonly<Record<string, Mechanism>> };

const NO_APF_IDS: { readonly [D in Dimension]: string } = {
  enable: 'none',
  notPresent: 'vcpu-blocks',
  ready: 'none',
  token: 'none',
  eligibility: NEVER_ASYNC,
  wake: 'none',
  ack: 'none',
};

/** Why each no-APF pick goes only with the others: an APF that never starts needs none of them. */
const WHY: { readonly [D in Dimension]?: string } = {
  enable: 'an APF design needs a way for the guest to opt in, or a host-only one (the synthetic halt) — `none` is the no-APF baseline\'s',
  notPresent: 'a vCPU that blocks in the host on every host-missing page never starts an APF',
  ready: 'a started APF must end with a page-ready (or the halt cleared); `none` is the no-APF baseline\'s',
  token: 'a started APF needs a token to match its page-ready; `none` is the no-APF baseline\'s',
  wake: 'a started APF must wake what it put to sleep; `none` is the no-APF baseline\'s',
};

/**
 * The no-APF picks go together: each of enable, not-present, ready, token and wake `none` needs
 * eligibility `never-async`, and `never-async` needs all of them (ack `none` is also an APF
 * design's: no acknowledgement).
 */
export const NO_APF_RULES: readonly CompatibilityRule[] = [
  ...(Object.keys(WHY) as Dimension[]).map((d) => ({
    dimension: d,
    ids: [NO_APF_IDS[d]],
    requires: { dimension: 'eligibility' as const, ids: [NEVER_ASYNC] },
    reason: WHY[d] as string,
  })),
  ...(Object.keys(WHY) as Dimension[]).map((d) => ({
    dimension: 'eligibility' as const,
    ids: [NEVER_ASYNC],
    requires: { dimension: d, ids: [NO_APF_IDS[d]] },
    reason: 'without an APF there is nothing to enable, announce, deliver, match by token or wake',
  })),
];
