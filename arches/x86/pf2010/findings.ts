import type { Finding } from '../../../core/backend.js';

/** What the 2010 design is known for, each with its source in facts/ (DESIGN.md "findings"). */
export const PF2010_FINDINGS: readonly Finding[] = [
  {
    id: 'pf2010-merged',
    severity: 'note',
    text: 'Merged for 2.6.38: not-present and page-ready both injected as #PF (vector 14, error code 0) with the token in CR2 and the kind in a shared `reason` word. The merged series already carried fc5f06fac6fb (SEND_ALWAYS, kernel-mode delivery for CONFIG_PREEMPT guests; knob sendAlways).',
    cite: 'Gleb Natapov, 7c90705bf2a3 and fc5f06fac6fb, 2010-10-14; applied by Marcelo Tosatti, 20101018153402.GA2067@amt.cnet (seed 001; facts/x86.md §1, §2 "2010 ready path", §7)',
  },
  {
    id: 'pf2010-old-api-flaws',
    severity: 'concern',
    text: 'Page-ready is an exception mixed with interrupts; there is no ACK; and page-ready is suppressed while IF=0 with no interrupt window requested, so it waits for some later entry.',
    cite: 'Paolo Bonzini, ce8984c3-fd68-ae38-4eb6-4b4d3571b142@redhat.com (facts/x86.md §6 "Old guests")',
  },
  {
    id: 'pf2010-reason-cr2',
    severity: 'concern',
    text: 'One `reason` word and CR2 are shared by both signals and by every real #PF: the guest "must not enable interrupt before the reason is read", and a #PF before read_cr2() clobbers the token (the lab counts the situations as hazards).',
    cite: 'Gleb Natapov, 344d9588a9df doc; old guest comment "the pf_reason seems likely to be clobbered. Bummer." removed in 6bca69ada4bc; a0d14b8909de, 6879298bd067 (facts/x86.md §6 "Reason clobbered", "CR2 clobbering")',
  },
  {
    id: 'pf2010-dummy-leak',
    severity: 'concern',
    text: 'Page-ready goes out even where not-present never did (the vCPU was halted): the guest leaves a dummy sleep-table entry nobody consumes (metric leakedDummies). Fixed in 2020 by sending page-ready only after an injected not-present.',
    cite: 'Vitaly Kuznetsov, 2a18b7e7cd88, 20200610175532.779793-2-vkuznets@redhat.com (facts/x86.md §6 "Dummy-entry leak")',
  },
  {
    id: 'pf2010-replaced',
    severity: 'note',
    text: 'Replaced in 5.8 by page-ready as an interrupt with an ACK MSR (the `x86` variant); hosts since then treat this guest\'s EN value (no DELIVERY_AS_INT) as APF disabled.',
    cite: 'Vitaly Kuznetsov v2, 20200525144125.143875-1-vkuznets@redhat.com; Paolo Bonzini, ce8984c3-fd68-ae38-4eb6-4b4d3571b142@redhat.com (facts/x86.md §1 "Current EN write path", §6 "Old guests")',
  },
  {
    id: 'pf2010-no-kick',
    severity: 'note',
    text: 'A completion only woke a vCPU blocked in the host; a running vCPU saw it at its next entry, so there is no kick exit per APF (knob kickOnCompletion = 1 adds the kick that PROTOCOLS.md §4.2 counts).',
    cite: 'Gleb Natapov, af585b921e5d, virt/kvm/async_pf.c async_pf_execute(): `if (waitqueue_active(&vcpu->wq)) wake_up_interruptible(&vcpu->wq)` (facts/x86.md §2 "2010 ready path"; G2010)',
  },
];
