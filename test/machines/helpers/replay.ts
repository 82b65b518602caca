/**
 * Model-based testing helpers shared by the machine tests.
 *
 * The model is the REAL machine logic, stepped with pure transitions, wrapped in a small
 * timed model that plays the scheduler: it keeps the delayed events the machine armed
 * (`xstate.raise` with a delay, `xstate.cancel`) with their due time, and offers the
 * earliest one as the next "delayed" event. This is what makes `after` (and delayed
 * `raise`) usable with `TestModel`, which only knows events: firing a timer means
 * "advance the clock to its due time". Only orderings the clock can really produce are
 * generated (a 300 ms heartbeat cannot fire after a 1000 ms deadline).
 *
 * Each generated path is then replayed on a real actor driven by a SimulatedClock.
 */
import { expect } from 'vitest';
import {
  createActor,
  createEmptyActor,
  createMachine,
  SimulatedClock,
  type ActorLogic,
  type AnyActor,
  type AnyActorRef,
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
  type EventObject,
  type ExecutableActionObject,
  type InspectionEvent,
} from 'xstate';
import { TestModel, type TestPath } from 'xstate/graph';

export interface Timer {
  id: string;
  event: EventObject;
  delay: number;
  dueAt: number;
  /** Arming order: timers due at the same instant fire in this order (as SimulatedClock does). */
  seq: number;
}

/** One timer fired by a step, and the machine snapshot right after it. */
export interface Firing {
  timer: Timer;
  snap: AnyMachineSnapshot;
}

/** A delay the machine armed, with the context it was computed from and the time it was armed at. */
export interface Armed {
  type: string;
  delay: number;
  context: unknown;
  at: number;
}

/** A model vertex: the machine snapshot, the model clock, and the pending timers. */
export interface ModelState {
  status: 'active';
  output: undefined;
  error: undefined;
  snap: AnyMachineSnapshot;
  now: number;
  timers: Timer[];
  /** Timers armed by the step that led here. */
  armed: Armed[];
  /** The timers fired by the step that led here, in order (none for an ordinary event). */
  firings: Firing[];
  /** Timers armed so far (arming order; ids of anonymous ones). */
  armCount: number;
}

/**
 * One replayed step, or one part of it: a step that lets time pass fires every timer due
 * at that instant (usually one), each a part with its own event and snapshots. `before`
 * and `after` are recomputed along the path (the graph keeps one representative per
 * vertex, reached maybe by another edge at another time), so `now` and `armed` belong
 * to this very step.
 */
export interface StepInfo {
  index: number;
  before: ModelState;
  /** The ordinary event sent, or the event of the timer fired. */
  event: EventObject;
  /** The timer this part fired (undefined for an ordinary event). */
  fired: Timer | undefined;
  after: ModelState;
}

/** The system under test for one replay. */
export interface Sut {
  /** The root actor (already started). */
  root: AnyActor;
  /** The actor running the machine under test (the root itself, or a child of a harness). */
  target: AnyActorRef;
  /** Extra per-step assertions (thread commands, stepTask, children…); `parts` as for `expectedEmitted`. */
  afterStep?: (step: StepInfo, parts: StepInfo[]) => void;
}

export interface ModelSpec<TContext = any> {
  name: string;
  /** The machine the model is built from (and whose transitions must all be covered). */
  machine: AnyStateMachine;
  input: unknown;
  /** Ordinary (non-delayed) events offered to the model. */
  events: readonly EventObject[];
  /** Completes an ordinary event with data from the time it is sent (e.g. `at: sentAt`). */
  stamp?: (event: EventObject, sentAt: number) => EventObject;
  /**
   * The environment's side of the protocol: whether `event` (an ordinary event, or the
   * event of the timer that is due next, i.e. letting time pass) may happen in `state`.
   * Default: anything the machine accepts.
   */
  allow?: (event: EventObject, state: ModelState) => boolean;
  /** Time that passes before an ordinary event (default none), so that timers armed by successive events are due at distinct instants. */
  gapMs?: (event: EventObject) => number;
  /** Context fields compared between the model and the real actor. */
  observe: (context: TContext) => unknown;
  /**
   * Context as it identifies a model vertex (defaults to `observe`): bound counters and
   * make clock times relative to `now` here, or the model never ends.
   */
  abstract?: (context: TContext, now: number) => unknown;
  /** The delay (ms) a timer of this event type must have, computed independently (`at`: when it was armed). */
  expectedDelay: (eventType: string, context: TContext, at: number) => number;
  /** The events the machine must emit during this step (or part of a step), in order. */
  expectedEmitted: (step: StepInfo) => AnyEventObject[];
  /** Builds the real actor (default: `createActor(machine, { clock, input, inspect })`). */
  createSut?: (clock: SimulatedClock, inspect: (ev: InspectionEvent) => void) => Sut;
}

// ---------------------------------------------------------------- pure stepping

const scopeLogic = createMachine({});

/**
 * Like xstate's pure `transition()`/`initialTransition()` (actions are collected, not
 * run) but with a stub parent, so that `sendParent` resolves.
 */
function pureStep(
  machine: AnyStateMachine,
  from: { snapshot: AnyMachineSnapshot; event: EventObject } | { input: unknown },
): [AnyMachineSnapshot, ExecutableActionObject[]] {
  const actions: ExecutableActionObject[] = [];
  const self = createActor(scopeLogic, { parent: createEmptyActor() });
  const scope = {
    self,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (a: ExecutableActionObject) => {
      actions.push(a);
    },
  } as unknown as Parameters<AnyStateMachine['transition']>[2];
  const next =
    'input' in from
      ? machine.getInitialSnapshot(scope, from.input)
      : machine.transition(from.snapshot, from.event, scope);
  return [next, actions];
}

function applyActions(st: ModelState, snap: AnyMachineSnapshot, actions: ExecutableActionObject[]): void {
  st.snap = snap;
  for (const a of actions) {
    const p = a.params as { delay?: number; id?: string; event?: EventObject; sendId?: string };
    if (a.type === 'xstate.raise' && p.delay !== undefined) {
      const seq = st.armCount++;
      const id = p.id ?? `anon-${seq}`;
      if (st.timers.some((t) => t.id === id)) throw new Error(`timer ${id} armed twice`);
      const event = p.event as EventObject;
      st.timers.push({ id, event, delay: p.delay, dueAt: st.now + p.delay, seq });
      st.armed.push({ type: event.type, delay: p.delay, context: snap.context, at: st.now });
    } else if (a.type === 'xstate.cancel') {
      st.timers = st.timers.filter((t) => t.id !== p.sendId);
    } else if (p?.delay !== undefined) {
      throw new Error(`delayed ${a.type} is not modelled`);
    }
  }
  // A finished actor is stopped: its timers are cancelled.
  if (snap.status !== 'active') st.timers = [];
}

/**
 * Lets time pass up to the earliest pending timer and fires every timer pending at that
 * instant, in arming order (SimulatedClock fires all timers due in one `increment`,
 * sorted stably by due time). A timer armed meanwhile is not fired in the same step even
 * if it is already due (a zero delay): with real timers it runs on a later turn of the
 * event loop, after events that arrive first.
 */
function fireDue(machine: AnyStateMachine, st: ModelState): void {
  const first = earliest(st.timers);
  if (!first) throw new Error('no timer to fire');
  const pending = new Set(st.timers.filter((t) => t.dueAt === first.dueAt));
  st.now = first.dueAt;
  for (;;) {
    const t = earliest(st.timers.filter((x) => pending.has(x)));
    if (!t) break;
    st.timers = st.timers.filter((x) => x !== t);
    const [snap, actions] = pureStep(machine, { snapshot: st.snap, event: t.event });
    applyActions(st, snap, actions);
    st.firings.push({ timer: t, snap });
    if (pending.size > 1 && st.timers.some((x) => x.dueAt <= st.now && !pending.has(x))) {
      throw new Error('a zero delay armed while simultaneous timers fire is not modelled');
    }
  }
}

/** The timer to fire next: the earliest due, the earliest armed among those. */
function earliest(timers: readonly Timer[]): Timer | undefined {
  let best: Timer | undefined;
  for (const t of timers) if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t;
  return best;
}

const logics = new WeakMap<ModelSpec, ActorLogic<ModelState, EventObject, undefined>>();

/**
 * The timed model over the real machine logic, as ActorLogic for TestModel. One per
 * spec, memoised: the initial state is one object and each (state, event) result is
 * cached, so the graph built twice (shortest paths, adjacency) and the replays all walk
 * the same objects.
 */
export function timedModelLogic(spec: ModelSpec): ActorLogic<ModelState, EventObject, undefined> {
  const known = logics.get(spec);
  if (known) return known;
  const ordinaryTypes = new Set(spec.events.map((e) => e.type));
  const next = new WeakMap<ModelState, Map<string, ModelState>>();
  let initial: ModelState | undefined;

  const step = (state: ModelState, event: EventObject): ModelState => {
    const st: ModelState = { ...state, timers: [...state.timers], armed: [], firings: [] };
    if (ordinaryTypes.has(event.type)) {
      const gap = spec.gapMs?.(event) ?? 0;
      if (gap > 0 && st.timers.some((t) => t.dueAt <= st.now + gap)) throw new Error('a timer is due within the gap');
      st.now += gap;
      const [snap, actions] = pureStep(spec.machine, { snapshot: st.snap, event });
      applyActions(st, snap, actions);
      return st;
    }
    if (earliest(st.timers)?.event.type !== event.type) throw new Error(`${event.type} is not the next timer to fire`);
    fireDue(spec.machine, st);
    return st;
  };

  const logic: ActorLogic<ModelState, EventObject, undefined> = {
    getInitialSnapshot: () => {
      if (!initial) {
        initial = {
          status: 'active',
          output: undefined,
          error: undefined,
          snap: undefined as unknown as AnyMachineSnapshot,
          now: 0,
          timers: [],
          armed: [],
          firings: [],
          armCount: 0,
        };
        const [snap, actions] = pureStep(spec.machine, { input: spec.input });
        applyActions(initial, snap, actions);
      }
      return initial;
    },
    transition: (state, event) => {
      let byEvent = next.get(state);
      if (!byEvent) next.set(state, (byEvent = new Map()));
      const key = JSON.stringify(event);
      let result = byEvent.get(key);
      if (!result) byEvent.set(key, (result = step(state, event)));
      return result;
    },
    getPersistedSnapshot: (s) => s,
  };
  logics.set(spec, logic);
  return logic;
}

/** How a model vertex is identified: state, bounded context, remaining time of each timer (in firing order). */
export function serializeModelState(spec: ModelSpec): (state: ModelState) => string {
  const abstract = spec.abstract ?? spec.observe;
  return (state) =>
    JSON.stringify([
      state.snap.value,
      state.snap.status,
      abstract(state.snap.context, state.now),
      [...state.timers].sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq).map((t) => [t.event.type, t.dueAt - state.now]),
    ]);
}

/** Builds the TestModel for a spec. */
export function testModel(spec: ModelSpec): TestModel<ModelState, EventObject, undefined> {
  for (const e of spec.events) if (e.type.startsWith('xstate.')) throw new Error(`${e.type} is not an ordinary event`);
  return new TestModel(timedModelLogic(spec), {
    events: (state: ModelState) => {
      const out: EventObject[] = [];
      if (state.snap.status === 'active') {
        for (const e of spec.events) {
          const gap = spec.gapMs?.(e) ?? 0;
          if (gap > 0 && state.timers.some((t) => t.dueAt <= state.now + gap)) continue;
          const event = spec.stamp ? spec.stamp(e, state.now + gap) : e;
          if (state.snap.can(event) && (spec.allow?.(event, state) ?? true)) out.push(event);
        }
      }
      const next = earliest(state.timers);
      if (next && (spec.allow?.(next.event, state) ?? true)) out.push(next.event);
      return out;
    },
    serializeState: serializeModelState(spec),
  });
}

/** A generated path: `steps[0]` is the initial vertex, then one step per event. */
export type ModelPath = Pick<TestPath<ModelState, EventObject>, 'steps'>;

/**
 * Transition-covering paths: for every edge (vertex, event) of the model graph, self
 * loops included, the shortest path to the vertex (`getShortestPaths`) followed by that
 * event. Shortest paths alone reach every vertex but skip every edge into an already
 * reached vertex (running --CANCEL--> deadLettered hides retryWait --CANCEL-->
 * deadLettered) and every edge that changes nothing. Paths that are a prefix of another
 * one are dropped.
 */
export function transitionPaths(spec: ModelSpec): ModelPath[] {
  const model = testModel(spec);
  const serialize = serializeModelState(spec);
  const toVertex = new Map<string, ModelPath>();
  for (const p of model.getShortestPaths({ allowDuplicatePaths: true })) toVertex.set(serialize(p.state), p);
  const paths: ModelPath[] = [];
  for (const [vertex, { transitions }] of Object.entries(model.getAdjacencyMap())) {
    const head = toVertex.get(vertex);
    if (!head) throw new Error(`no shortest path to ${vertex}`);
    const edges = Object.values(transitions) as Array<{ event: EventObject; state: ModelState }>;
    for (const { event, state } of edges) paths.push({ steps: [...head.steps, { event, state }] });
  }
  paths.sort((a, b) => b.steps.length - a.steps.length);
  const prefixes = new Set<string>();
  const kept: ModelPath[] = [];
  for (const p of paths) {
    const events = p.steps.slice(1).map((s) => JSON.stringify(s.event));
    if (prefixes.has(events.join(' '))) continue;
    for (let n = 1; n <= events.length; n++) prefixes.add(events.slice(0, n).join(' '));
    kept.push(p);
  }
  return kept.reverse();
}

export function pathLabel(path: ModelPath): string {
  const text = path.steps
    .slice(1)
    .map(({ event: { type, ...rest } }) => {
      const args = Object.values(rest).map((v) => (v !== null && typeof v === 'object' ? '…' : String(v)));
      return type.replace(/^xstate\.after\.(\w+)\..*$/, 'after:$1') + (args.length ? `(${args.join(',')})` : '');
    })
    .join(' → ');
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

// ---------------------------------------------------------------- transitions & coverage

/** A stable name for one transition definition: source, event, index among candidates. */
export function transitionKey(t: AnyTransitionDefinition): string | undefined {
  const src = t.source as AnyStateNode;
  const always = src.always?.indexOf(t) ?? -1;
  if (always >= 0) return `${src.id} (always) #${always}`;
  const i = src.transitions.get(t.eventType)?.indexOf(t) ?? -1;
  return i >= 0 ? `${src.id} ${t.eventType} #${i}` : undefined; // initial transitions
}

/** Every transition of the machine: `on`, `after` (under `xstate.after.*`) and `always`. */
export function allTransitionKeys(machine: AnyStateMachine): Set<string> {
  const out = new Set<string>();
  const visit = (node: AnyStateNode): void => {
    for (const [ev, defs] of node.transitions) defs.forEach((_, i) => out.add(`${node.id} ${ev} #${i}`));
    (node.always ?? []).forEach((_, i) => out.add(`${node.id} (always) #${i}`));
    for (const child of Object.values(node.states)) visit(child as AnyStateNode);
  };
  visit(machine.root);
  return out;
}

// ---------------------------------------------------------------- replay

function defaultSut(spec: ModelSpec, clock: SimulatedClock, inspect: (ev: InspectionEvent) => void): Sut {
  const actor = createActor(spec.machine, { clock, input: spec.input, inspect });
  actor.start();
  return { root: actor, target: actor };
}

/** A step as its parts: the ordinary event, or each timer fired (with the snapshots around it). */
function partsOf(index: number, before: ModelState, event: EventObject, after: ModelState): StepInfo[] {
  if (after.firings.length === 0) return [{ index, before, event, fired: undefined, after }];
  let prev = before;
  return after.firings.map(({ timer, snap }, k) => {
    const next = k === after.firings.length - 1 ? after : { ...after, snap };
    const part: StepInfo = { index, before: prev, event: timer.event, fired: timer, after: next };
    prev = next;
    return part;
  });
}

/**
 * Replays one generated path on a real actor with a SimulatedClock, asserting state,
 * context, clock, delays and emitted events after every step. Returns the transitions
 * the real actor took (from its `@xstate.microstep` inspection events).
 */
export function replayPath(spec: ModelSpec, path: ModelPath): Set<string> {
  const clock = new SimulatedClock();
  const microsteps: InspectionEvent[] = [];
  const sut = (spec.createSut ?? ((c, i) => defaultSut(spec, c, i)))(clock, (ev) => {
    if (ev.type === '@xstate.microstep') microsteps.push(ev);
  });
  const errors: unknown[] = [];
  sut.root.subscribe({ error: (err) => errors.push(err) });
  const emitted: EventObject[] = [];
  sut.target.on('*', (e: EventObject) => emitted.push(e));
  const covered = new Set<string>();
  const collect = (): void => {
    for (const ev of microsteps.splice(0)) {
      if (ev.type !== '@xstate.microstep' || ev.actorRef !== sut.target) continue;
      for (const t of ev._transitions) {
        const key = transitionKey(t);
        if (key) covered.add(key);
      }
    }
  };

  const check = (model: ModelState, where: string): void => {
    const real = sut.target.getSnapshot() as AnyMachineSnapshot;
    expect(errors, where).toEqual([]);
    expect(real.value, `${where}: state value`).toEqual(model.snap.value);
    expect(real.status, `${where}: status`).toBe(model.snap.status);
    expect(spec.observe(real.context), `${where}: context`).toEqual(spec.observe(model.snap.context));
  };

  const logic = timedModelLogic(spec);
  const serialize = serializeModelState(spec);
  try {
    let model = logic.getInitialSnapshot(undefined as never, undefined);
    expect(serialize(model), 'initial vertex').toBe(serialize(path.steps[0]!.state));
    check(model, 'initial');
    for (const a of model.armed) expect(a.delay, `initial: delay of ${a.type}`).toBe(spec.expectedDelay(a.type, a.context, a.at));
    collect();
    for (let i = 1; i < path.steps.length; i++) {
      const before = model;
      const { event, state: vertex } = path.steps[i]!;
      const after = logic.transition(before, event, undefined as never);
      model = after;
      const where = `step ${i} (${event.type})`;
      expect(serialize(after), `${where}: model vertex`).toBe(serialize(vertex));
      expect(clock.now(), `${where}: clock before`).toBe(before.now);
      const timer = after.firings[0]?.timer;
      if (timer) {
        // A delayed transition: advance to 1 ms short of the due time (nothing may
        // happen), then by the last millisecond (the timer fires).
        const remaining = timer.dueAt - before.now;
        if (remaining > 0) {
          clock.increment(remaining - 1);
          check(before, `${where}: 1 ms before the timer`);
          expect(emitted, `${where}: emitted before the timer`).toEqual([]);
          clock.increment(1);
        } else {
          clock.increment(0);
        }
      } else {
        const gap = spec.gapMs?.(event) ?? 0;
        if (gap > 0) {
          clock.increment(gap);
          check(before, `${where}: after the gap`);
          expect(emitted, `${where}: emitted during the gap`).toEqual([]);
        }
        sut.target.send(event);
      }
      expect(clock.now(), `${where}: clock after`).toBe(after.now);
      for (const a of after.armed) expect(a.delay, `${where}: delay of ${a.type}`).toBe(spec.expectedDelay(a.type, a.context, a.at));
      check(after, where);
      const parts = partsOf(i, before, event, after);
      expect(emitted, `${where}: emitted`).toEqual(parts.flatMap((part) => spec.expectedEmitted(part)));
      emitted.length = 0;
      sut.afterStep?.(parts.length === 1 ? parts[0]! : { index: i, before, event, fired: timer, after }, parts);
      collect();
    }
  } catch (err) {
    if (err instanceof Error) err.message += `\n  path: ${pathLabel(path)}`;
    throw err;
  } finally {
    sut.root.stop();
  }
  return covered;
}

/** Sorted difference, for readable coverage failures. */
export function missing(all: Set<string>, covered: Set<string>): string[] {
  return [...all].filter((k) => !covered.has(k)).sort();
}
