import { describe, expect, it } from 'vitest';
import { labBuild } from '../../../cli/sweep/build.js';

describe('the build a sweep records (hostile-test sweep defect 2)', () => {
  it('is the version and a hash of the code, the same on every call', () => {
    expect(labBuild()).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
    expect(labBuild()).toBe(labBuild());
  });
});
