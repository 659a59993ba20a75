import { describe, expect, it } from 'vitest';
import { INGEST_FACTS } from '../../../arches/ingest-facts.js';
import { renderText } from '../../../cli/render.js';
import { buildIngestView } from '../../../cli/views/ingest.js';
import { ingestCaptureText, ingestEvents } from '../../../core/ingest/ingest.js';

const vcpu0 = (stamp: string, event: string, text: string) => `       CPU 0/KVM-100     [000] .....  ${stamp}: ${event}: ${text}`;
const capture = [
  vcpu0('1.000000', 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
  vcpu0('1.000001', 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
  '     kworker/0:1-200     [000] .....  1.000500: kvm_async_pf_completed: gva 0x1000 address 0x7f0000000000',
  vcpu0('1.000502', 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
];
const host = (lines: readonly string[]) => ingestCaptureText('x.trace', `${lines.join('\n')}\n`, INGEST_FACTS);

describe('the ingest view', () => {
  it('--vs: a lab run with no async page fault (a synchronous baseline traces none) shows a rate of 0.0, not a missing figure', () => {
    const lab = ingestEvents('sync-x86 on overcommit', [], INGEST_FACTS);
    const view = buildIngestView(host(capture), { variant: 'sync-x86', scenario: 'overcommit', seed: 1, cutAtMaxEvents: false, report: lab });
    const row = (label: string) => view.lab.find((l) => l.trimStart().startsWith(label));
    expect(row('async page faults per second per vCPU')).toMatch(/ 0\.0$/);
    // Shares and durations of nothing stay missing.
    expect(row('repeated faults per async page fault')).toMatch(/ —$/);
    expect(row('not-present → completed, p50')).toMatch(/ —$/);
  });

  it('says how many lines were read past as neither events nor comments, and where the first is', () => {
    const text = renderText('ingest', buildIngestView(host(['cpus=', ...capture, 'not a trace line'])));
    expect(text).toContain('2 lines neither an event, a comment nor an ftrace note, read past (the first at line 1): an event damaged there is not counted');
    expect(renderText('ingest', buildIngestView(host(capture)))).not.toContain('read past (the first');
  });
});

describe('the ingest view: events the capture says it lost', () => {
  const lostView = (lost: readonly string[]) => renderText('ingest', buildIngestView(host([...capture.slice(0, 2), ...lost, ...capture.slice(2)])));

  it('counts what LOST lines give, and says where none is given (ftrace [LOST EVENTS], trace-cmd [EVENTS DROPPED])', () => {
    expect(lostView(['CPU:0 [LOST 12 EVENTS]'])).toContain('ftrace lost events: 1 LOST line (12 events), 0 CPU buffers that wrapped');
    expect(lostView(['CPU:0 [LOST EVENTS]'])).toContain('ftrace lost events: 1 LOST line (an untold number of events: no line gives a count), 0 CPU buffers');
    expect(lostView(['CPU:0 [LOST 12 EVENTS]', 'CPU:1 [EVENTS DROPPED]'])).toContain('2 LOST lines (12 events, and an untold number at 1 line that gives none)');
  });
});
