import { no, type Backend, type Variant } from '../../core/backend.js';
import { cyclesToNs } from '../../core/costs.js';
import { X86_COSTS } from '../x86/costs.js';

/**
 * `sync`: no APF at all — every fault on a host-missing page blocks the vCPU until the page is
 * in, taking no guest interrupts meanwhile ("master" in Gleb Natapov's tables, facts/x86.md §7).
 * It is architecture-neutral; exit and fault costs come from the x86 table.
 */
export const syncVariant: Variant = {
  id: 'sync',
  arch: 'any',
  title: 'no APF: the vCPU blocks in the host on every host-missing page',
  origin: 'baseline ("master" in Gleb Natapov, v7 cover, 2010; facts/anchors.md §A1)',
  mechanisms: {
    enable: 'none',
    notPresent: 'none (vCPU blocks in the host)',
    ready: 'none',
    token: 'none',
    eligibility: 'never asynchronous',
    wake: 'none',
    ack: 'none',
  },
  defaultCosts: X86_COSTS,
  knobs: {},
  createBackend(ctx): Backend<null, null> {
    const c = ctx.costOverrides;
    const unused = () => {
      throw new Error('sync: an APF hook was called although APF never starts');
    };
    return {
      arch: 'any',
      caps: {
        asyncPfPerVcpu: 64,
        ackRequired: false,
        undeliveredWait: 'halt',
        readyOnlyIfNotPresentInjected: true,
        irqOrder: 'highest-first',
        guestWake: { dummyOnEarlyWake: true, entryAtFlag: false },
        irqVsRefaultHazard: null,
        forbiddenNotPresent: [],
      },
      costs: { exitNs: cyclesToNs(c.exitCycles, c.clockMHz), stage2FaultNs: cyclesToNs(c.stage2FaultCycles, c.clockMHz) },
      findings: [],
      exitNames: { stage2Fault: 'EPT_VIOLATION', kick: 'EXTERNAL_INTERRUPT', idle: 'HLT' },
      createVcpuState: () => null,
      guestInit: () => {},
      canDoAsyncPf: () => no('no-apf'),
      setupAsyncPf: unused,
      canDeliverAsyncPf: unused,
      asyncPageNotPresent: unused,
      asyncPagePresentQueued: unused,
      canDequeueAsyncPagePresent: unused,
      asyncPageReady: unused,
      asyncPagePresent: unused,
      guestCall: () => ({ result: { kind: 'fault', vector: '#UD' }, exit: 'EXCEPTION_NMI(#UD)' }),
      conditions: () => [],
    };
  },
};
