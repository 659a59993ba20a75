import { describe, expect, it } from 'vitest';
import { INGEST_FACTS } from '../../../arches/ingest-facts.js';
import { ingestCaptureText } from '../../../core/ingest/ingest.js';

const ingest = (lines: string[]) => ingestCaptureText('t.trace', `${lines.join('\n')}\n`, INGEST_FACTS);
const notPresent = (task: string, stamp = '1.000100') => `${task.padStart(16)}-77 [000] ..... ${stamp}: kvm_async_pf_not_present: token 0x1000 gva 0x1000`;

describe("a vCPU id only from a name QEMU writes (CPU n/KVM, n a number it can print)", () => {
  it('CPU 3/KVM is vCPU 3', () => {
    expect(ingest([notPresent('CPU 3/KVM')]).threads[0]).toMatchObject({ task: 'CPU 3/KVM', vcpu: 3 });
  });

  it('a number past 2^53 − 1 is no vCPU id, as a negative one is not: both unknown, never a rounded 1e20', () => {
    expect(ingest([notPresent('CPU 99999999999999999999/KVM')]).threads[0].vcpu).toBeNull();
    expect(ingest([notPresent('CPU -3/KVM')]).threads[0].vcpu).toBeNull();
  });
});

describe('a header number a double cannot hold is out of range, not a header that does not read', () => {
  it('a stamp of 99999999999999999999 seconds names the line and the stamp', () => {
    expect(() => ingest([notPresent('CPU 0/KVM', '99999999999999999999.123456')])).toThrow(
      /^t\.trace:1: kvm_async_pf_not_present: the stamp 99999999999999999999\.123456 is out of range \(above 2\^53 − 1/,
    );
  });

  it('so is a pid: two threads would be taken for one', () => {
    const line = notPresent('CPU 0/KVM').replace('-77 ', '-99999999999999999999 ');
    expect(() => ingest([line])).toThrow(/^t\.trace:1: kvm_async_pf_not_present: the pid 99999999999999999999 is out of range/);
  });
});
