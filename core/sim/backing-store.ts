import type { RandomStream } from '../engine/rng.js';
import { PostcopyBlocktime } from '../host/postcopy-blocktime.js';
import { SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';
import { SwapReadahead } from '../host/swap-readahead.js';
import type { HostMemory } from '../machine/memory.js';
import { PostcopyLink } from '../machine/postcopy.js';
import { SwapDevice } from '../machine/swap.js';
import type { Scenario } from '../scenario/schema.js';
import { EV_IO_DONE, EV_POSTCOPY_REQUEST, EV_POSTCOPY_SENT } from './events.js';

/** Where the host's missing pages come from: a swap device with its readahead, or a post-copy migration link. */
export interface BackingStore {
  readonly swap: SwapDevice | null;
  readonly postcopy: PostcopyLink | null;
  /** QEMU's postcopy blocktime, with a post-copy link only. */
  readonly blocktime: PostcopyBlocktime | null;
  readonly readahead: SwapReadahead;
}

/** Builds the scenario's backing store; its completions are queued as events through `push`. */
export function createBackingStore(
  scenario: Scenario,
  memory: HostMemory,
  swapStream: RandomStream,
  push: (at: number, kind: number, gfn: number) => void,
): BackingStore {
  const backing = scenario.backing;
  // A synchronous device reads the faulting page alone, in the faulting thread: no readahead, and
  // as many reads at once as threads fault (the vCPUs), not a device queue.
  const synchronous = backing.kind === 'swap' && backing.synchronousIo === true;
  const readahead = new SwapReadahead(backing.kind === 'swap' && !synchronous ? backing.pageCluster : 0, memory.guestPages);
  if (backing.kind === 'swap') {
    const depth = synchronous ? scenario.machine.vcpus : backing.queueDepth;
    const swap = new SwapDevice(backing.latency, depth, swapStream, (gfn, at) => push(at, EV_IO_DONE, gfn), synchronous);
    return { swap, postcopy: null, blocktime: null, readahead };
  }
  const kinds = { 'request-arrived': EV_POSTCOPY_REQUEST, sent: EV_POSTCOPY_SENT, arrived: EV_IO_DONE } as const;
  const postcopy = new PostcopyLink(memory.guestPages, backing, (at, what, gfn) => push(at, kinds[what], gfn));
  return { swap: null, postcopy, blocktime: new PostcopyBlocktime(scenario.machine.vcpus), readahead };
}

/**
 * The host's memory as the run starts, once the guest's memory has contents: resident up to the
 * limit (swap), or what the precopy phase migrated (post-copy); evicted dirty pages write to the
 * swap device, and reclaim stalls once the device holds as many write batches as it serves at once
 * (core/host/reclaim-throttle.ts).
 */
export function startBackingStore(store: BackingStore, memory: HostMemory, now: () => number): void {
  const { swap, postcopy } = store;
  if (postcopy) {
    for (let g = 0; g < memory.guestPages; g++) if (memory.isPopulated(g) && !postcopy.isMissing(g)) memory.insert(g);
  } else {
    memory.prefill();
  }
  // A synchronous device's swap-out is compression in the reclaiming thread: no write I/O, nothing
  // under writeback to stall behind (its CPU time is not modelled).
  if (swap && !swap.synchronous) {
    memory.onWriteback = () => swap.write(now());
    memory.writebackLimit = SWAP_CLUSTER_MAX * swap.queueDepth;
  }
}
