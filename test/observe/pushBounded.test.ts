import { describe, expect, it } from 'vitest';
import { pushBounded } from '../../src/observe/pushBounded.js';

describe('pushBounded (the inspector queues)', () => {
  it('past the cap drops the oldest unprotected item, never a protected one', () => {
    const q: string[] = [];
    const keep = (s: string) => s.startsWith('actor');
    for (const s of ['actor:job', 'e1', 'actor:batch', 'e2', 'e3']) pushBounded(q, s, 3, keep);
    expect(q).toEqual(['actor:job', 'actor:batch', 'e3']);
    pushBounded(q, 'actor:pool', 3, keep);
    expect(q).toEqual(['actor:job', 'actor:batch', 'actor:pool']);
    pushBounded(q, 'actor:chunk', 3, keep); // only protected ones left: all are kept
    expect(q).toEqual(['actor:job', 'actor:batch', 'actor:pool', 'actor:chunk']);
  });
});
