/**
 * apf-lab's library API: the engine, the backend contract, the built-in variants, and a
 * protocol harness to unit-test a backend or a variant of your own without the CLI.
 * One explicit list of named exports (STYLE.md §2).
 */
import * as arm64Abi from './arches/arm64/constants.js';
import * as arm64S2Abi from './arches/arm64/s2.js';
import * as x86Abi from './arches/x86/constants.js';
import * as x86VeAbi from './arches/x86/ve.js';

export { EventQueue, type PoppedEvent } from './core/engine/event-queue.js';
export { RandomStream, RandomStreams, seedToInt32 } from './core/engine/rng.js';
export {
  no,
  YES,
  type AsyncPfWork,
  type Backend,
  type CostTable,
  type ExitCosts,
  type ExitKind,
  type ExitSpec,
  type Finding,
  type GuestCall,
  type GuestCallExit,
  type GuestCallResult,
  type GuestCpuState,
  type GuestKernel,
  type InjectedEvent,
  type InjectionKind,
  type IpiCaps,
  type KvmVcpu,
  type Mechanisms,
  type PcRegion,
  type Variant,
  type VariantContext,
  type Verdict,
} from './core/backend.js';
export { BadInputError } from './core/errors.js';
export { cyclesToNs, exitCostsFromTable, STANDARD_COST_KEYS, type CostKeys, type ExitNames } from './core/costs.js';
export { scenarioSchema, type Scenario, type ScenarioInput } from './core/scenario/schema.js';
export { DEFAULT_SCENARIO, listBuiltinScenarios, loadScenario, parseScenario, ScenarioError } from './core/scenario/load.js';
export { sizeLimit, type SizeLimit } from './core/scenario/size-limit.js';
export { runVariant, type RunMetrics, type RunOptions, type RunResult } from './core/run.js';
export { compareVariants, type ComparedRun, type CompareOptions, type Comparison } from './core/compare.js';
export { Simulation, type SimulationOptions } from './core/sim/simulation.js';
export { parseValueSpec, type SweepValue } from './core/sweep/spec.js';
export { pointCount, pointValues, shardPoints, type Shard, type SweepParam } from './core/sweep/grid.js';
export { NAMED_PARAMS, pointScenario } from './core/sweep/params.js';
export { runSeed, sweepIdentity, SEED_DERIVATION } from './core/sweep/seed.js';
export { runFigures, runOutcome, SWEEP_METRICS, type SweepMetric } from './core/sweep/metrics.js';
export { defineSweep, planRuns, sweepDocument, sweepVariant, type SweepVariant, type SweepDefinition, type SweepDocument, type SweepPart, type SweepRun } from './core/sweep/document.js';
export { mergeParts } from './core/sweep/merge.js';
export type { Vcpu } from './core/sim/vcpu.js';
export { InvariantMonitor, INVARIANT_NAMES, type Violation } from './core/invariants.js';
export { Harness, HARNESS_FIRST_MISSING_GFN, type HarnessOptions } from './core/harness.js';
export { CHECK_DEFAULTS, CHECK_LIMITS, checkVariant, type CheckFinding, type CheckOptions, type CheckResult, type TraceLine } from './core/check/walk.js';
export { FAULT_CONTEXTS, type CheckBounds, type CheckStep, type FaultContext } from './core/check/steps.js';
export type { ProblemKind } from './core/check/at-rest.js';
export type { TraceSink } from './core/trace.js';
export { captureTrace, DEFAULT_MAX_EVENTS, type CapturedEvent, type CaptureOptions, type TraceCapture } from './core/trace-capture.js';
export { isUpstreamTracepoint, kernelHex, tracepointText, UPSTREAM_TRACEPOINTS, type TraceFields } from './core/tracepoints.js';
export { ingestCaptureFile, ingestCaptureText } from './core/ingest/ingest.js';
export type { DurationStats, IngestFacts, IngestReport, LatencyFit, TokenLayout } from './core/ingest/summary.js';
export { INGEST_FACTS } from './arches/ingest-facts.js';
export { TOKEN_LAYOUTS } from './arches/token.js';
export {
  ARCHES,
  baselineFor,
  composeSpec,
  findVariant,
  knownVariants,
  SYNC_ALIAS,
  VARIANT_SPECS,
  variantIds,
  variantsToCompare,
  VARIANTS,
} from './arches/registry.js';
export {
  checkCompatibility,
  composeVariant,
  DIMENSIONS,
  NEVER_ASYNC,
  parseVariantSpec,
  variantSpecSchema,
  type ArchDefinition,
  type BackendFragment,
  type Catalogue,
  type CompatibilityRule,
  type Dimension,
  type FragmentEnv,
  type Mechanism,
  type MechanismIds,
  type VariantSpec,
} from './arches/spec.js';
export { X86_ARCH, X86_CATALOGUE, X86_RULES } from './arches/x86/mechanisms.js';
export { ARM64_ARCH, ARM64_CATALOGUE, ARM64_RULES } from './arches/arm64/mechanisms.js';
export { noApfSpec, noApfVariant, syncArm64Variant, syncVariant, syncX86Variant, type NoApfSpec } from './arches/sync/variant.js';
export { X86_COST_KEYS, X86_COSTS, X86_EXIT_NAMES } from './arches/x86/costs.js';
export { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from './arches/arm64/costs.js';
export { createX86Backend, X86_KNOBS, x86Variant } from './arches/x86/variant.js';
export { x86HaltVariant } from './arches/x86/halt-variant.js';
export { createX86PfBackend, X86_PF_KNOBS, x86PfVariant } from './arches/x86/pf2010/variant.js';
export { PF2010_HAZARDS, READY_UNANNOUNCED } from './arches/x86/pf2010/async-pf.js';
export { PF2010_EN_RESERVED, PF2010_EN_RESERVED_SEND_ALWAYS } from './arches/x86/pf2010/msr.js';
export type { Pf2010VcpuState } from './arches/x86/pf2010/state.js';
export type { X86VcpuState } from './arches/x86/state.js';
export { createX86VeBackend, x86VeVariant } from './arches/x86/ve-variant.js';
export type { X86VeVcpuState } from './arches/x86/ve.js';
export { arm64SdeiVariant, ARM64_SDEI_KNOBS, createArm64SdeiBackend } from './arches/arm64/variant.js';
export { arm64IrqVariant, createArm64IrqBackend } from './arches/arm64/irq/variant.js';
export { ARM64_DABT_SPEC, ARM64_IMPDEF_SPEC, arm64DabtVariant, arm64ImpdefVariant } from './arches/arm64/dabt/variant.js';
export type { DabtVcpuState } from './arches/arm64/dabt/state.js';
export { arm64CodeLayout } from './arches/arm64/code-layout.js';
export { x86CodeLayout } from './arches/x86/code-layout.js';
export { codeFrame, type CodeLayout, type CodePhase } from './core/guest/code-layout.js';
export type { Arm64VcpuState } from './arches/arm64/state.js';
export { arm64S2Variant, createArm64S2Backend } from './arches/arm64/s2-variant.js';
export type { Arm64S2VcpuState } from './arches/arm64/s2.js';
export { arm64Abi, arm64S2Abi, x86Abi, x86VeAbi };
