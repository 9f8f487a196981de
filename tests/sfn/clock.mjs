// The bench's virtual clock as the Step Functions bridge uses it (see
// tests/bench/src/clock.rs): each running execution is an actor of the clock,
// busy while it runs a step and asleep while it waits. The executor's Wait
// states and Retry pauses are overridden to 0 ms; the time they would have
// taken is owed, and the execution sleeps it off on the clock before its next
// Task runs. So virtual time advances by exactly what the executor skipped.
// A Wait may give Seconds or SecondsPath (`$.a.b`, read from the input the
// state is entered with); Timestamp and TimestampPath are not simulated.
//
// `Date` is replaced by one that reads the clock, so the executor's
// `$$.Execution.StartTime` and event timestamps are virtual. (A Task entered
// right after a Wait is stamped with the time the Wait began: the sleep
// happens when the Task is invoked. Its exit is stamped after the sleep.)

export class VirtualClock {
  constructor(base) {
    this.base = base.replace(/\/$/, '');
    this.now = 0;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`clock ${method} ${path}: HTTP ${response.status}`);
    return response.json();
  }

  // Reads the clock (the test may have moved it since the last answer).
  async read() {
    const { now_ms: now, virtual } = await this.call('GET', '/clock');
    if (!virtual) throw new Error('the bench clock is not virtual');
    this.now = Math.max(this.now, now);
    return this.now;
  }

  // A new busy actor.
  async register() {
    return (await this.call('POST', '/clock/actors')).id;
  }

  async unregister(id) {
    await this.call('DELETE', `/clock/actors/${id}`);
  }

  // Actor `id` waits until `until` (ms since the epoch); returns the time it woke at.
  async sleepUntil(id, until) {
    const { now_ms: now } = await this.call('POST', '/clock/sleep', { id, until_ms: Math.round(until) });
    this.now = Math.max(this.now, now);
    return now;
  }

  // Makes `Date` read this clock.
  installDate() {
    const clock = this;
    const RealDate = Date;
    globalThis.Date = class VirtualDate extends RealDate {
      constructor(...args) {
        if (args.length === 0) super(clock.now);
        else super(...args);
      }

      static now() {
        return clock.now;
      }
    };
  }
}

// The error Step Functions fails an execution with when a path does not
// resolve (as aws-local-stepfunctions' own StatesRuntimeError).
export class StatesRuntimeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'States.Runtime';
  }
}

// A simple JSONPath, `$` or `$.a.b` (dotted names only), applied to `json`;
// undefined where it leads nowhere. Anything else is not simulated.
function query(path, json) {
  if (path === '$') return json;
  const names = path.startsWith('$.') ? path.slice(2).split('.') : [];
  if (names.length === 0 || names.some((name) => !/^[^\s.$@*?()\[\]'"]+$/.test(name))) {
    throw new Error(`path ${path}: only $ and $.a.b paths are simulated`);
  }
  let value = json;
  for (const name of names) {
    if (Array.isArray(value)) throw new Error(`path ${path}: paths into arrays are not simulated`);
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined;
    value = value[name];
  }
  return value;
}

// Seconds a Wait state waits, given the input it was entered with (the
// `state.input` of the executor's StateEntered event, which is the state's
// raw input: InputPath is applied here, as the executor does before it reads
// SecondsPath). A SecondsPath that does not lead to a non-negative integer
// throws StatesRuntimeError, as the executor does when it reads the path
// itself (that is, when the Wait is not overridden).
export function waitSeconds(name, state, input) {
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (typeof state.SecondsPath === 'string') {
    let effective = input;
    if ('InputPath' in state) {
      effective = state.InputPath === null ? {} : query(state.InputPath, input);
      if (effective === undefined) throw new StatesRuntimeError(`Path expression '${state.InputPath}' does not point to a value`);
    }
    const seconds = query(state.SecondsPath, effective);
    if (seconds === undefined) throw new StatesRuntimeError(`Path expression '${state.SecondsPath}' does not point to a value`);
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new StatesRuntimeError(
        `Path expression '${state.SecondsPath}' evaluated to ${JSON.stringify(seconds)}, but expected an integer >= 0`,
      );
    }
    return seconds;
  }
  throw new Error(`${name}: only Wait with Seconds or SecondsPath is simulated`);
}

// Milliseconds a Wait state or a retry pause would have taken, for an event
// of the executor's log; 0 for any other event.
export function skippedMs(event, definition) {
  if (event.type === 'StateEntered' && event.state?.type === 'Wait') {
    const name = event.state.name;
    return waitSeconds(name, definition.States[name], event.state.input) * 1000;
  }
  if (event.type === 'StateRetried') {
    const retrier = event.retry.retrier;
    const interval = retrier.IntervalSeconds ?? 1;
    const backoff = retrier.BackoffRate ?? 2;
    const seconds = Math.min(interval * backoff ** (event.retry.attempt - 1), retrier.MaxDelaySeconds ?? Infinity);
    return seconds * 1000;
  }
  return 0;
}

// Overrides that turn every Wait and every retry pause of `definition` into 0 ms.
export function zeroOverrides(definition) {
  const waitMs = {};
  const retryMs = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') waitMs[name] = 0;
    if (state.Retry) retryMs[name] = 0;
  }
  return { waitMs, retryMs };
}
