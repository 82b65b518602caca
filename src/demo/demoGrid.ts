/** A grid point of the demo, marked with what its "database" does for this run. */
export interface DemoPoint {
  lat: number;
  lon: number;
  /** `dead-db`: the connection was closed under it and the query is awaited forever (the postmortem's hang);
   * `db-down`: the database refuses connections (ECONNREFUSED); `bad-data`: the point itself is bad. */
  fault?: 'dead-db' | 'db-down' | 'bad-data';
}

/** Points per run. */
export const DEMO_POINTS = 40;

/** What goes wrong in each run of the demo: the postmortem, one run at a time. */
const RUN_FAULTS: Record<number, (i: number) => DemoPoint['fault']> = {
  // run 1: two workers get a connection that is already closed and wait on it forever; one point has bad data
  1: (i) => (i === 9 || i === 27 ? 'dead-db' : i === 18 ? 'bad-data' : undefined),
  // run 2: the database goes down three quarters of the way through: every query is refused
  2: (i) => (i >= 30 ? 'db-down' : undefined),
  // run 3 and later: the database is back
};

/** The grid of run `run` (1, 2, 3, …): `DEMO_POINTS` points around Seoul, read lazily like a real grid. */
export function* demoGrid(run: number, n = DEMO_POINTS): Generator<DemoPoint> {
  const faultOf = RUN_FAULTS[run] ?? (() => undefined);
  for (let i = 0; i < n; i++) {
    const point: DemoPoint = { lat: 37 + Math.floor(i / 10) / 10, lon: 126.5 + (i % 10) / 10 };
    const fault = faultOf(i);
    yield fault ? { ...point, fault } : point;
  }
}

/** A point's key: `lat,lon` with one decimal. */
export function demoKey(p: DemoPoint): string {
  return `${p.lat.toFixed(1)},${p.lon.toFixed(1)}`;
}
