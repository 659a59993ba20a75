/**
 * The kinds of event the engine's queue holds (core/sim/simulation.ts dispatches them). A module
 * that queues an event imports its kind from here, not from the engine, so that no module
 * imports the engine.
 */
export const EV_TICK = 0;
export const EV_STEP = 1;
export const EV_IO_DONE = 2;
export const EV_TIMER = 3;
export const EV_MEASURE_END = 4;
/** A call-function IPI reaches its target; its target unlocked the request (a = csd id). */
export const EV_IPI = 5;
export const EV_IPI_DONE = 6;
/** Post-copy link (core/machine/postcopy.ts): a page request reaches the source; the page on the wire is out (a = gfn). */
export const EV_POSTCOPY_REQUEST = 7;
export const EV_POSTCOPY_SENT = 8;
/** The host's scheduler tick on the physical CPU that runs a vCPU (a = vCPU id): machine.hostHz. */
export const EV_HOST_TICK = 9;
/** A scenario's VM event (a = its index in scenario.events): a live migration's switchover (core/sim/migration.ts). */
export const EV_VM_EVENT = 10;
