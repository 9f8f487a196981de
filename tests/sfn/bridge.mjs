// A small Step Functions service for the tests, on 127.0.0.1.
//
// It speaks the AWS JSON 1.0 protocol for CreateStateMachine,
// DescribeStateMachine, DeleteStateMachine, StartExecution, DescribeExecution,
// ListExecutions, TagResource, UntagResource and ListTagsForResource, so the
// binaries and the tests use the real AWS SDK against it
// (AWS_ENDPOINT_URL_SFN; the region is the one the request is signed for), and
// keeps the Step Functions rules they rely on:
// - CreateStateMachine is idempotent: the same name and definition returns
//   the existing machine unchanged (its creationDate, roleArn and tags; as AWS,
//   a different roleArn or tags are ignored); another definition is
//   StateMachineAlreadyExists. Tags are [{key, value}], at most 50.
// - DeleteStateMachine removes the machine at once (AWS only marks it
//   DELETING until its executions end; here they may keep running, and a
//   machine of the same name can be created again straight away, with a new
//   creationDate). Deleting an unknown machine succeeds, as on AWS.
// - Execution names (1-80 characters, none of the characters AWS refuses)
//   are unique per state machine ARN, also across its deletions (AWS keeps
//   them for 90 days); a StartExecution with the same name and input as a RUNNING
//   execution of the same machine returns that execution; any other reuse of
//   a name is ExecutionAlreadyExists.
// - ListExecutions lists newest first, pages with nextToken, filters on
//   statusFilter, and lists only the executions of the current incarnation
//   of the machine (see there).
// - Unknown or other-region ARNs are StateMachineDoesNotExist /
//   ExecutionDoesNotExist (ResourceNotFound for the tag operations); malformed
//   ARNs are InvalidArn; missing or out-of-range parameters are
//   ValidationException.
//
// Executions run in aws-local-stepfunctions. Each Task invokes the Lambda
// named in its Resource ARN at the endpoint configured for the ARN's region
// (the bench's proxy, which sends it to that region's cargo-lambda emulator;
// the call is signed for the region, as Step Functions, so regional faults
// apply),
// and turns the emulator's HTTP 500 {errorType, errorMessage} into an error
// whose name is the errorType, as Lambda and Step Functions do (Cause is the
// JSON body), so Retry and Catch match the handlers' error types.
//
// Usage: node bridge.mjs '{"lambda": {"us-east-1": "http://127.0.0.1:PORT", ...},
//                          "clock": "http://127.0.0.1:PORT/__bench"}'
// With "clock", executions run on the bench's virtual clock (clock.mjs): Wait
// states (Seconds, or SecondsPath `$.a.b`) and retry pauses take no real time
// and advance the clock instead. A Wait whose pause is overridden (always on
// the virtual clock; by /__bridge/overrides otherwise) is not timed by the
// executor, which then does not read its SecondsPath: the bridge reads it, and
// fails the execution with States.Runtime if it is not an integer >= 0, as the
// executor would (Bridge.Unsupported for a path the bridge cannot read).
// Not available in the executor: the $$.State context object (EnteredTime,
// Name, RetryCount); $$.Execution.StartTime/Id/Name/Input and
// $$.StateMachine.Id/Name are.
// Prints {"port": N} on stdout once listening. Test-only routes under /__bridge:
//   GET  /__bridge/history?executionArn=ARN   the execution's events
//   GET  /__bridge/calls                      every API call and Lambda invoke
//   POST /__bridge/overrides {waitMs, retryMs} shortened Wait and Retry pauses
//   POST /__bridge/hold {hold}                 new executions wait for a resume
//   POST /__bridge/resume {executionArn}       starts a held execution
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { StatesRuntimeError, VirtualClock, skippedMs, waitSeconds, zeroOverrides } from './clock.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const clock = config.clock ? new VirtualClock(config.clock) : null;
clock?.installDate();
const ACCOUNT = config.account ?? '123456789012';
const INVOKE_TIMEOUT_MS = 120_000;
// The access key Step Functions' Lambda invocations are signed with.
const LAMBDA_CALLER = 'AKIDSTEPFUNCTIONS';
const machines = new Map();
// Every execution ever started, by ARN; kept when its machine is deleted.
const executions = new Map();
const MAX_TAGS = 50;
const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
// Distinguishes the machines created under one ARN over deletions, and orders
// executions started in the same millisecond.
let incarnations = 0;
let sequence = 0;
const calls = [];
let overrides = { waitMs: {}, retryMs: {} };
let hold = false;

class AwsError extends Error {
  // `fields`: the error shape's other members, such as resourceName.
  constructor(code, message, status = 400, fields = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

const now = () => Date.now() / 1000;
// Step Functions refuses whitespace, brackets, wildcards, these specials and control characters.
const validName = (name) =>
  typeof name === 'string' && name.length >= 1 && name.length <= 80 &&
  !/[\s<>{}\[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name);

// A required string parameter, as AWS validates it.
function required(body, member) {
  const value = body[member];
  if (value === undefined || value === null) {
    throw new AwsError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new AwsError('ValidationException', `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  }
  return value;
}

// arn:aws:states:<region>:<account>:stateMachine:<name>, optionally qualified
// (:<version or alias>, /<Map label>); qualified ones name nothing here.
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:/]+([:/].+)?$/;

function stateMachineArn(body) {
  const arn = required(body, 'stateMachineArn');
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  return { arn, qualified: match[1] !== undefined };
}

function machineOf(region, body) {
  const { arn } = stateMachineArn(body);
  const machine = machines.get(arn);
  if (!machine || machine.region !== region) {
    throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }
  return machine;
}

// The tag operations' resource; only state machines are kept.
function taggedOf(region, body) {
  const arn = required(body, 'resourceArn');
  if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(arn)) throw new AwsError('InvalidArn', `Invalid Arn: '${arn}'`);
  const machine = machines.get(arn);
  if (!machine || machine.region !== region) {
    throw new AwsError('ResourceNotFound', `Resource not found: '${arn}'`, 400, { resourceName: arn });
  }
  return machine;
}

// [{key, value}] as AWS takes them: key 1-128 characters, value 0-256.
function tagList(tags, member) {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new AwsError('ValidationException', `'${member}' must be a list of {key, value}`);
  return tags.map((tag) => {
    const { key, value = '' } = tag ?? {};
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${key}' at '${member}.member.key' failed to satisfy constraint: Member must have length between 1 and 128`);
    }
    if (typeof value !== 'string' || value.length > 256) {
      throw new AwsError('ValidationException', `1 validation error detected: Value at '${member}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`);
    }
    return [key, value];
  });
}

function addTags(machine, pairs) {
  const merged = new Map(machine.tags);
  for (const [key, value] of pairs) merged.set(key, value);
  if (merged.size > MAX_TAGS) {
    throw new AwsError('TooManyTags', `Too many tags: at most ${MAX_TAGS} per resource`, 400, { resourceName: machine.arn });
  }
  machine.tags = merged;
}

const listStatus = (e) => (e.status === 'HELD' ? 'RUNNING' : e.status);

function lambdaError(name, message) {
  return Object.assign(new Error(message), { name });
}

async function invoke(resource, input) {
  // arn:aws:lambda:<region>:<account>:function:<name>
  const [, , service, region, , kind, name] = resource.split(':');
  if (service !== 'lambda' || kind !== 'function') {
    throw lambdaError('States.TaskFailed', `unsupported resource ${resource}`);
  }
  const base = config.lambda?.[region];
  calls.push({ service: 'lambda', region, operation: 'Invoke', function: name, at: Date.now() });
  if (!base) throw lambdaError('Lambda.ResourceNotFoundException', `no Lambda emulator for ${region}`);
  let response;
  try {
    response = await fetch(`${base}/2015-03-31/functions/${name}/invocations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `AWS4-HMAC-SHA256 Credential=${LAMBDA_CALLER}/20260101/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(input ?? {}),
      signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS),
    });
  } catch (e) {
    throw lambdaError('Lambda.ServiceException', `invoking ${name} in ${region}: ${e.message}`);
  }
  const text = await response.text();
  if (response.ok && !response.headers.get('x-amz-function-error')) {
    return text ? JSON.parse(text) : null;
  }
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  if (body && typeof body.errorType === 'string') {
    throw lambdaError(body.errorType, JSON.stringify({ errorType: body.errorType, errorMessage: body.errorMessage }));
  }
  if (response.status === 404) throw lambdaError('Lambda.ResourceNotFoundException', text);
  if (response.status === 429) throw lambdaError('Lambda.TooManyRequestsException', text);
  throw lambdaError('Lambda.ServiceException', `HTTP ${response.status}: ${text}`);
}

// On the virtual clock, what an execution owes (skipped waits and pauses)
// is slept off before its next Task. setImmediate first lets the event log
// (a chain of promises) catch up with the executor.
async function settle(execution) {
  if (!clock) return;
  await new Promise((resolve) => setImmediate(resolve));
  if (execution.owedMs > 0) {
    const until = execution.now + execution.owedMs;
    execution.owedMs = 0;
    execution.now = await clock.sleepUntil(execution.actor, until);
  }
}

function taskHandlers(definition, execution) {
  const handlers = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') {
      handlers[name] = async (input) => {
        await settle(execution);
        if (execution.failure) throw lambdaError(execution.failure.error, execution.failure.cause);
        return invoke(state.Resource, input);
      };
    }
  }
  return handlers;
}

// Starts an execution; on the virtual clock it first becomes a busy actor,
// so the clock cannot move before its first step.
async function start(execution) {
  if (clock) {
    execution.actor = await clock.register();
    execution.now = await clock.read();
    execution.owedMs = 0;
  }
  run(execution);
}

function record(event) {
  const out = { type: event.type, at: event.timestamp };
  if (event.state) out.state = event.state.name;
  if (event.Error !== undefined) out.error = event.Error;
  if (event.Cause !== undefined) out.cause = event.Cause;
  if (event.retry) out.attempt = event.retry.attempt;
  if (event.catch) out.caughtBy = event.catch.catcher?.ErrorEquals;
  if (event.type === 'StateExited' && event.state?.output !== undefined) out.output = event.state.output;
  return out;
}

// The bridge found the execution failed where the executor could not see it
// (a SecondsPath of an overridden Wait): it fails with that error, as Step
// Functions would, and the run is stopped.
function fail(execution, running, e) {
  if (execution.failure) return;
  const runtime = e instanceof StatesRuntimeError;
  if (!runtime) process.stderr.write(`execution ${execution.executionArn}: ${e.stack ?? e}\n`);
  execution.failure = { error: runtime ? e.name : 'Bridge.Unsupported', cause: e.message };
  if (execution.status !== 'RUNNING') {
    Object.assign(execution, { status: 'FAILED', output: undefined, error: execution.failure.error, cause: execution.failure.cause });
  }
  running.abort();
}

function run(execution) {
  const machine = execution.machine;
  execution.status = 'RUNNING';
  const started = performance.now();
  const skip = clock ? zeroOverrides(machine.definition) : overrides;
  const running = machine.sm.run(JSON.parse(execution.input), {
    overrides: {
      taskResourceLocalHandlers: taskHandlers(machine.definition, execution),
      waitTimeOverrides: skip.waitMs,
      retryIntervalOverrides: skip.retryMs,
    },
    context: {
      Execution: { Id: execution.executionArn, Name: execution.name, RoleArn: machine.roleArn },
      StateMachine: { Id: machine.arn, Name: machine.name },
    },
  });
  const drained = (async () => {
    for await (const event of running.eventLogs) {
      execution.events.push(record(event));
      try {
        if (clock) {
          execution.owedMs += skippedMs(event, machine.definition);
        } else if (event.type === 'StateEntered' && event.state?.type === 'Wait' && skip.waitMs?.[event.state.name] !== undefined) {
          waitSeconds(event.state.name, machine.definition.States[event.state.name], event.state.input);
        }
      } catch (e) {
        fail(execution, running, e);
      }
    }
  })();
  // setImmediate: the event log (and so `fail`) catches up with the executor first.
  const settled = (outcome) => new Promise((resolve) => setImmediate(resolve)).then(() => {
    Object.assign(execution, execution.failure ? { status: 'FAILED', ...execution.failure } : outcome);
  });
  running.result.then(
    (output) => settled({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
    (error) => settled({
      status: error?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED',
      error: error?.cause?.name ?? error?.name,
      cause: error?.cause?.message ?? error?.message,
    }),
  ).then(() => drained).then(() => settle(execution)).finally(async () => {
    execution.stopDate = now();
    execution.millis = performance.now() - started;
    if (clock) await clock.unregister(execution.actor);
  }).catch((e) => process.stderr.write(`execution ${execution.executionArn}: ${e.stack ?? e}\n`));
}

const operations = {
  async CreateStateMachine(region, body) {
    // The creation date is the clock's (on the virtual clock, read it first).
    await clock?.read();
    const arn = `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${body.name}`;
    if (!validName(body.name)) throw new AwsError('InvalidName', `invalid name ${body.name}`);
    if ((body.type ?? 'STANDARD') !== 'STANDARD') throw new AwsError('ValidationException', 'only STANDARD');
    let definition;
    let sm;
    try {
      definition = JSON.parse(body.definition);
      sm = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
    } catch (e) {
      throw new AwsError('InvalidDefinition', e.message);
    }
    const tags = tagList(body.tags, 'tags');
    const existing = machines.get(arn);
    if (existing) {
      if (existing.source !== body.definition) {
        throw new AwsError('StateMachineAlreadyExists', `${arn} exists with another definition`);
      }
      return { stateMachineArn: arn, creationDate: existing.creationDate };
    }
    const machine = {
      arn, name: body.name, region, definition, sm, roleArn: body.roleArn, source: body.definition,
      creationDate: now(), incarnation: ++incarnations, tags: new Map(),
    };
    addTags(machine, tags);
    machines.set(arn, machine);
    return { stateMachineArn: arn, creationDate: machine.creationDate };
  },
  DescribeStateMachine(region, body) {
    const m = machineOf(region, body);
    return {
      stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.source, roleArn: m.roleArn,
      type: 'STANDARD', creationDate: m.creationDate,
    };
  },
  DeleteStateMachine(region, body) {
    const { arn, qualified } = stateMachineArn(body);
    if (qualified) throw new AwsError('ValidationException', `only an unqualified state machine ARN can be deleted: '${arn}'`);
    if (machines.get(arn)?.region === region) machines.delete(arn);
    return {};
  },
  async StartExecution(region, body) {
    await clock?.read();
    const machine = machines.get(body.stateMachineArn);
    if (!machine || machine.region !== region) {
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    }
    const name = body.name ?? randomUUID();
    if (!validName(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const input = body.input ?? '{}';
    try { JSON.parse(input); } catch { throw new AwsError('InvalidExecutionInput', 'the input is not JSON'); }
    const executionArn = `arn:aws:states:${region}:${ACCOUNT}:execution:${machine.name}:${name}`;
    const existing = executions.get(executionArn);
    if (existing) {
      if (existing.input === input && ['RUNNING', 'HELD'].includes(existing.status) && existing.incarnation === machine.incarnation) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = {
      executionArn, stateMachineArn: machine.arn, name, input, startDate: now(), status: 'HELD', events: [],
      machine, incarnation: machine.incarnation, sequence: ++sequence,
    };
    executions.set(executionArn, execution);
    if (!hold) await start(execution);
    return { executionArn, startDate: execution.startDate };
  },
  DescribeExecution(region, body) {
    const e = executions.get(body.executionArn);
    if (!e || !body.executionArn.includes(`:${region}:`)) {
      throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
    }
    return {
      executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: listStatus(e),
      startDate: e.startDate, stopDate: e.stopDate, input: e.input, output: e.output, error: e.error, cause: e.cause,
    };
  },
  // Lists the executions of the machine's current incarnation only: a machine
  // deleted and created again has the same ARN, and the executions of the old
  // one (which may still be running here) are not the new machine's; a caller
  // looking for the RUNNING execution of the machine it just created must not
  // find them. (AWS's documentation does not say; there a deleted machine's
  // executions end at their next transition.) Executions are matched on the
  // incarnation they were started in, not on dates: on the virtual clock a
  // machine can be deleted and created again without time moving.
  ListExecutions(region, body) {
    if (body.mapRunArn !== undefined) throw new AwsError('ValidationException', 'mapRunArn is not supported here');
    const machine = machineOf(region, body);
    const filter = body.statusFilter;
    if (filter !== undefined && !EXECUTION_STATUSES.includes(filter)) {
      if (filter === 'PENDING_REDRIVE') throw new AwsError('ValidationException', 'PENDING_REDRIVE needs a mapRunArn');
      throw new AwsError('ValidationException', `1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}, PENDING_REDRIVE]`);
    }
    const redrive = body.redriveFilter;
    if (redrive !== undefined && !['REDRIVEN', 'NOT_REDRIVEN'].includes(redrive)) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${redrive}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]`);
    }
    const max = body.maxResults ?? 0;
    if (!Number.isInteger(max) || max < 0 || max > 1000) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`);
    }
    const pageSize = max === 0 ? 100 : max;
    // The token is where the previous page ended, for the same arguments.
    let after = null;
    if (body.nextToken !== undefined && body.nextToken !== null) {
      try {
        after = JSON.parse(Buffer.from(body.nextToken, 'base64url').toString());
      } catch { /* below */ }
      if (after?.arn !== machine.arn || after.incarnation !== machine.incarnation || after.filter !== (filter ?? null) ||
          after.redrive !== (redrive ?? null) || typeof after.startDate !== 'number' || typeof after.sequence !== 'number') {
        throw new AwsError('InvalidToken', `Invalid Token: '${body.nextToken}'`);
      }
    }
    const newestFirst = (a, b) => b.startDate - a.startDate || b.sequence - a.sequence;
    const listed = [...executions.values()]
      .filter((e) => e.stateMachineArn === machine.arn && e.incarnation === machine.incarnation)
      .filter((e) => filter === undefined || listStatus(e) === filter)
      .filter(() => redrive !== 'REDRIVEN') // nothing is redriven here
      .filter((e) => !after || newestFirst(after, e) < 0)
      .sort(newestFirst);
    const page = listed.slice(0, pageSize);
    const answer = {
      executions: page.map((e) => ({
        executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: listStatus(e),
        startDate: e.startDate, stopDate: e.stopDate,
      })),
    };
    if (listed.length > page.length) {
      const last = page[page.length - 1];
      answer.nextToken = Buffer.from(JSON.stringify({
        arn: machine.arn, incarnation: machine.incarnation, filter: filter ?? null, redrive: redrive ?? null,
        startDate: last.startDate, sequence: last.sequence,
      })).toString('base64url');
    }
    return answer;
  },
  ListTagsForResource(region, body) {
    const m = taggedOf(region, body);
    return { tags: [...m.tags].map(([key, value]) => ({ key, value })) };
  },
  TagResource(region, body) {
    const m = taggedOf(region, body);
    if (body.tags === undefined || body.tags === null) required(body, 'tags');
    addTags(m, tagList(body.tags, 'tags'));
    return {};
  },
  UntagResource(region, body) {
    const m = taggedOf(region, body);
    const keys = body.tagKeys;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string' || key.length < 1 || key.length > 128)) {
      throw new AwsError('ValidationException', "1 validation error detected: 'tagKeys' must be a list of keys of 1-128 characters");
    }
    for (const key of keys) m.tags.delete(key);
    return {};
  },
};

function send(res, status, body, type = 'application/x-amz-json-1.0') {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

function control(req, res, url, body) {
  if (req.method === 'GET' && url.pathname === '/__bridge/history') {
    const e = executions.get(url.searchParams.get('executionArn'));
    if (!e) return send(res, 404, { error: 'no such execution' }, 'application/json');
    return send(res, 200, { status: e.status, error: e.error, cause: e.cause, millis: e.millis, events: e.events }, 'application/json');
  }
  if (req.method === 'GET' && url.pathname === '/__bridge/calls') return send(res, 200, calls, 'application/json');
  if (req.method === 'POST' && url.pathname === '/__bridge/overrides') {
    const o = JSON.parse(body || '{}');
    overrides = { waitMs: o.waitMs ?? {}, retryMs: o.retryMs ?? {} };
    return send(res, 200, {}, 'application/json');
  }
  if (req.method === 'POST' && url.pathname === '/__bridge/hold') {
    hold = Boolean(JSON.parse(body || '{}').hold);
    return send(res, 200, {}, 'application/json');
  }
  if (req.method === 'POST' && url.pathname === '/__bridge/resume') {
    const e = executions.get(JSON.parse(body || '{}').executionArn);
    if (!e || e.status !== 'HELD') return send(res, 404, { error: 'no held execution' }, 'application/json');
    return start(e).then(() => send(res, 200, {}, 'application/json'));
  }
  return send(res, 404, { error: 'no such route' }, 'application/json');
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/__bridge/')) return control(req, res, url, body);
    const operation = (req.headers['x-amz-target'] ?? '').split('.').pop();
    const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
    const region = scope?.[2] ?? 'unknown';
    const entry = { service: 'states', region, operation, key: scope?.[1] ?? '', outcome: 'ok', at: Date.now() };
    calls.push(entry);
    (async () => {
      const handler = operations[operation];
      if (!handler) throw new AwsError('UnknownOperationException', `${operation} is not served here`);
      return handler(region, JSON.parse(body || '{}'));
    })().then(
      (answer) => {
        if (answer?.executionArn) entry.executionArn = answer.executionArn;
        send(res, 200, answer);
      },
      (e) => {
        const error = e instanceof AwsError ? e : new AwsError('InternalFailure', e.message, 500);
        entry.outcome = error.code;
        send(res, error.status, { __type: error.code, message: error.message, ...error.fields });
      },
    );
  });
});
// Node hangs up on an idle keep-alive connection after 5 s; the SDK pools one
// for 90 s and the tests' clients make a single attempt, so a call sent as
// the bridge hung up failed ("connection closed before message completed").
// An AWS endpoint does not hang up within seconds: keep idle connections
// until the client closes them (0 turns Node's idle timeout off).
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// Stop with the test that started us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
