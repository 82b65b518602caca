import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { allTransitionKeys, missing, pathLabel, replayPath, transitionPaths, type ModelPath, type ModelSpec } from './replay.js';

/**
 * Registers the model-based tests of one machine: one test per generated path (replayed
 * on a real actor), then a coverage test asserting that the paths of all the specs
 * together take every transition of `machine` (`on`, `after` and `always`, each guarded
 * alternative counted apart). `expected.transitions` pins the size of that set, so an
 * enumeration that silently finds nothing cannot pass.
 */
export function modelSuite(
  machine: AnyStateMachine,
  specs: readonly ModelSpec[],
  expected: { transitions: number; minPaths: number },
): void {
  const generated = specs.map((spec) => ({ spec, paths: transitionPaths(spec) }));
  // Transitions each path covered, filled by the path tests (the coverage test replays
  // whatever was not replayed yet, e.g. when run alone).
  const replayed = new Map<ModelPath, Set<string>>();
  const replay = (spec: ModelSpec, path: ModelPath): Set<string> => {
    let covered = replayed.get(path);
    if (!covered) replayed.set(path, (covered = replayPath(spec, path)));
    return covered;
  };

  it(`generates at least ${expected.minPaths} paths`, () => {
    expect(generated.reduce((n, g) => n + g.paths.length, 0)).toBeGreaterThanOrEqual(expected.minPaths);
  });

  for (const { spec, paths } of generated) {
    describe(`${spec.name} (${paths.length} paths)`, () => {
      paths.forEach((path, i) => {
        it(`path ${i}: ${pathLabel(path)}`, () => {
          replay(spec, path);
        });
      });
    });
  }

  it('covers every transition of the machine, delayed and eventless ones included', () => {
    const all = allTransitionKeys(machine);
    expect(all.size).toBe(expected.transitions);
    const covered = new Set<string>();
    for (const { spec, paths } of generated) for (const path of paths) for (const k of replay(spec, path)) covered.add(k);
    expect(missing(all, covered)).toEqual([]);
    expect([...covered].sort()).toEqual([...all].sort());
  });
}
