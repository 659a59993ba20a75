import type { GuestCallResult, InjectedEvent, KvmVcpu } from '../../core/backend.js';
import {
  KVM_SDEI_ASYNC_PF_NUM,
  KVM_SDEI_DEFAULT_NUM,
  SDEI_DENIED,
  SDEI_EVENT_COMPLETE,
  SDEI_EVENT_COMPLETE_AND_RESUME,
  SDEI_EVENT_DISABLE,
  SDEI_EVENT_ENABLE,
  SDEI_EVENT_REGISTER,
  SDEI_EVENT_UNREGISTER,
  SDEI_INVALID_PARAMETERS,
  SDEI_NOT_SUPPORTED,
  SDEI_PE_MASK,
  SDEI_PE_UNMASK,
  SDEI_PENDING,
  SDEI_SUCCESS,
  SDEI_VERSION,
} from './constants.js';

/**
 * KVM's virtual SDEI dispatcher for one vCPU, as far as async PF uses it (Gavin Shan's
 * "Support SDEI Virtualization" v3/v4; facts/arm64.md §4). Only the KVM-defined private events
 * exist; the async-PF one is critical, so one runs at a time and a second cannot be queued.
 */
export interface SdeiEvent {
  registered: boolean;
  enabled: boolean;
  entry: bigint;
  arg: bigint;
}

/** The part of the interrupted SPSR a handler decides on: the exception level and PSTATE.I. */
export interface InterruptedContext {
  readonly el: 0 | 1;
  readonly irqsMasked: boolean;
}

export interface SdeiVcpuState {
  /** PE events masked: true at vCPU creation until SDEI_PE_UNMASK. */
  peMasked: boolean;
  readonly events: Map<number, SdeiEvent>;
  /** The event dispatched and not yet completed. */
  running: number | null;
  /** An event injected and not yet dispatched (at most one critical). */
  queued: number | null;
  /** Interrupted context saved at dispatch: the handler gets its PC in x2 and its SPSR in x3. */
  saved: InterruptedContext | null;
  /** The APF token the running event announced: only for its trace lines. */
  runningToken: number;
  dispatched: number;
}

export function createSdeiState(): SdeiVcpuState {
  const events = new Map<number, SdeiEvent>();
  for (const n of [KVM_SDEI_DEFAULT_NUM, KVM_SDEI_ASYNC_PF_NUM]) events.set(n, { registered: false, enabled: false, entry: 0n, arg: 0n });
  return { peMasked: true, events, running: null, queued: null, saved: null, runningToken: 0, dispatched: 0 };
}

const ret = (x0: bigint): GuestCallResult => ({ kind: 'ok', regs: [x0] });

/** The SDEI calls a guest makes (function IDs 0xC40000xx), with their architectural answers. */
export function sdeiCall(vcpu: KvmVcpu<{ sdei: SdeiVcpuState }>, fn: number, args: readonly bigint[]): GuestCallResult {
  const s = vcpu.state.sdei;
  const num = Number(args[0] ?? 0n);
  const ev = s.events.get(num);
  switch (fn) {
    case SDEI_VERSION:
      return ret(1n << 48n); // v1.0
    case SDEI_EVENT_REGISTER:
      if (!ev) return ret(SDEI_INVALID_PARAMETERS);
      if (ev.registered) return ret(SDEI_DENIED);
      Object.assign(ev, { registered: true, entry: args[1] ?? 0n, arg: args[2] ?? 0n });
      return ret(SDEI_SUCCESS);
    // The SDEI series' kvm_sdei_hypercall_enable() and _unregister() (arch/arm64/kvm/sdei.c): an
    // event queued or running (its refcount) is PENDING, checked first; an unregistered one, or an
    // enable or disable that changes nothing, is DENIED.
    case SDEI_EVENT_ENABLE:
    case SDEI_EVENT_DISABLE:
      if (!ev) return ret(SDEI_INVALID_PARAMETERS);
      if (s.queued === num || s.running === num) return ret(SDEI_PENDING);
      if (!ev.registered || ev.enabled === (fn === SDEI_EVENT_ENABLE)) return ret(SDEI_DENIED);
      ev.enabled = fn === SDEI_EVENT_ENABLE;
      return ret(SDEI_SUCCESS);
    case SDEI_EVENT_UNREGISTER:
      if (!ev) return ret(SDEI_INVALID_PARAMETERS);
      if (s.queued === num || s.running === num) return ret(SDEI_PENDING);
      if (!ev.registered) return ret(SDEI_DENIED);
      Object.assign(ev, { registered: false, enabled: false });
      return ret(SDEI_SUCCESS);
    case SDEI_EVENT_COMPLETE:
    case SDEI_EVENT_COMPLETE_AND_RESUME:
      // Restores the interrupted context; it does not return to the handler. With RESUME the
      // dispatcher then enters the guest's IRQ vector at x1 as if an IRQ had been taken
      // (Gavin Shan's SDEI v4 14/21, 20210815001352.81927-15-gshan@redhat.com; facts/arm64.md §4).
      if (s.running === null) return ret(SDEI_DENIED);
      // Not an upstream tracepoint (the SDEI series added none): the lab's, so that a trace shows the step.
      if (vcpu.traced) vcpu.trace('kvm_sdei_complete', { num: s.running, token: s.runningToken, resume: fn === SDEI_EVENT_COMPLETE_AND_RESUME ? 1 : 0 });
      s.running = null;
      s.runningToken = 0;
      s.saved = null;
      if (fn === SDEI_EVENT_COMPLETE_AND_RESUME) vcpu.injectIrqException();
      return ret(SDEI_SUCCESS);
    case SDEI_PE_MASK:
    case SDEI_PE_UNMASK:
      s.peMasked = fn === SDEI_PE_MASK;
      return ret(SDEI_SUCCESS);
    default:
      return ret(SDEI_NOT_SUPPORTED);
  }
}

/**
 * kvm_sdei_inject(…, immediate): queue the event for dispatch at the next entry. Refused when the
 * event is not registered and enabled, when the PE is masked, or when a critical event is
 * already queued. Dispatch itself does not re-check the guest's PSTATE: it is NMI-like.
 */
export function sdeiInject(
  vcpu: KvmVcpu<{ sdei: SdeiVcpuState }>,
  num: number,
  token: number,
  onDispatch: (interrupted: InterruptedContext) => void,
  dispatchNs: number,
): boolean {
  const s = vcpu.state.sdei;
  const ev = s.events.get(num);
  if (!ev || !ev.registered || !ev.enabled || s.peMasked || s.queued !== null) return false;
  s.queued = num;
  const event: InjectedEvent = {
    name: sdeiEventName(num),
    token,
    signal: 'not-present',
    handler: () => {
      // kvm_sdei_deliver(): save PC/PSTATE and x0–x17, enter the handler with DAIF masked.
      s.queued = null;
      s.running = num;
      s.runningToken = token;
      // Not an upstream tracepoint (the SDEI series added none): named after the function it marks.
      if (vcpu.traced) vcpu.trace('kvm_sdei_deliver', { num, token });
      const saved: InterruptedContext = { el: vcpu.cpu.privilege === 'user' ? 0 : 1, irqsMasked: vcpu.cpu.irqsMasked };
      s.saved = saved;
      s.dispatched++;
      vcpu.chargeHost(dispatchNs);
      onDispatch(saved);
    },
  };
  vcpu.injectEvent(event);
  return true;
}

/** kvm_sdei_cancel(): drop a queued, not yet dispatched event; fails once it is running. */
export function sdeiCancel(vcpu: KvmVcpu<{ sdei: SdeiVcpuState }>, num: number): boolean {
  const s = vcpu.state.sdei;
  if (s.queued !== num) return false;
  s.queued = null;
  return vcpu.cancelEvent(sdeiEventName(num));
}

export function sdeiEventName(num: number): string {
  return `SDEI 0x${num.toString(16)}`;
}
