/** A grid point of the demo. */
export interface DemoPoint {
  lat: number;
  lon: number;
  fault?: 'busy-loop' | 'atomics-wait' | 'dead-db' | 'crash' | 'bad-data' | 'flaky-db';
}

const FAULTS: Record<number, DemoPoint['fault']> = {
  7: 'dead-db',
  19: 'busy-loop',
  26: 'flaky-db',
  33: 'atomics-wait',
  41: 'crash',
  52: 'bad-data',
  58: 'dead-db',
};

/** `n` grid points around Seoul, some of them marked to fail (read lazily, like a real grid). */
export function* demoGrid(n = 80): Generator<DemoPoint> {
  for (let i = 0; i < n; i++) {
    const point: DemoPoint = { lat: 37 + Math.floor(i / 10) * 0.1, lon: 126.5 + (i % 10) * 0.1 };
    const fault = FAULTS[i];
    yield fault ? { ...point, fault } : point;
  }
}
