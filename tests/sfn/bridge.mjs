// A small Step Functions service for the tests, on 127.0.0.1.
//
// It speaks the AWS JSON 1.0 protocol for CreateStateMachine, StartExecution
// and DescribeExecution, so the kicker binary and the tests use the real AWS
// SDK against it (AWS_ENDPOINT_URL_SFN), and keeps Step Functions' rules that
// the kicker relies on: execution names (1-80 characters, none of the
// characters AWS refuses), unique per state machine; a StartExecution with the
// same name and input as a RUNNING execution returns that execution; any other
// reuse of a name is ExecutionAlreadyExists; unknown ARNs are
// StateMachineDoesNotExist / ExecutionDoesNotExist.
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
// states and retry pauses take no real time and advance the clock instead.
// Prints {"port": N} on stdout once listening. Test-only routes under /__bridge:
//   GET  /__bridge/history?executionArn=ARN   the execution's events
//   GET  /__bridge/calls                      every API call and Lambda invoke
//   POST /__bridge/overrides {waitMs, retryMs} shortened Wait and Retry pauses
//   POST /__bridge/hold {hold}                 new executions wait for a resume
//   POST /__bridge/resume {executionArn}       starts a held execution
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { VirtualClock, skippedMs, zeroOverrides } from './clock.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const clock = config.clock ? new VirtualClock(config.clock) : null;
clock?.installDate();
const ACCOUNT = config.account ?? '123456789012';
const INVOKE_TIMEOUT_MS = 120_000;
// The access key Step Functions' Lambda invocations are signed with.
const LAMBDA_CALLER = 'AKIDSTEPFUNCTIONS';
const machines = new Map();
const executions = new Map();
const calls = [];
let overrides = { waitMs: {}, retryMs: {} };
let hold = false;

class AwsError extends Error {
  constructor(code, message, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const now = () => Date.now() / 1000;
// Step Functions refuses whitespace, brackets, wildcards, these specials and control characters.
const validName = (name) =>
  typeof name === 'string' && name.length >= 1 && name.length <= 80 &&
  !/[\s<>{}\[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name);

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

function run(execution) {
  const machine = machines.get(execution.stateMachineArn);
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
      if (clock) execution.owedMs += skippedMs(event, machine.definition);
    }
  })();
  running.result.then(
    (output) => { execution.status = 'SUCCEEDED'; execution.output = JSON.stringify(output); },
    (error) => {
      execution.status = error?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
      execution.error = error?.cause?.name ?? error?.name;
      execution.cause = error?.cause?.message ?? error?.message;
    },
  ).then(() => drained).then(() => settle(execution)).finally(async () => {
    execution.stopDate = now();
    execution.millis = performance.now() - started;
    if (clock) await clock.unregister(execution.actor);
  }).catch((e) => process.stderr.write(`execution ${execution.executionArn}: ${e.stack ?? e}\n`));
}

const operations = {
  CreateStateMachine(region, body) {
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
    const existing = machines.get(arn);
    if (existing && existing.source !== body.definition) {
      throw new AwsError('StateMachineAlreadyExists', `${arn} exists with another definition`);
    }
    const creationDate = existing?.creationDate ?? now();
    machines.set(arn, { arn, name: body.name, region, definition, sm, roleArn: body.roleArn, source: body.definition, creationDate });
    return { stateMachineArn: arn, creationDate };
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
      if (existing.input === input && ['RUNNING', 'HELD'].includes(existing.status)) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = { executionArn, stateMachineArn: machine.arn, name, input, startDate: now(), status: 'HELD', events: [] };
    executions.set(executionArn, execution);
    if (!hold) await start(execution);
    return { executionArn, startDate: execution.startDate };
  },
  DescribeExecution(region, body) {
    const e = executions.get(body.executionArn);
    if (!e || !body.executionArn.includes(`:${region}:`)) {
      throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
    }
    const status = e.status === 'HELD' ? 'RUNNING' : e.status;
    return {
      executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status,
      startDate: e.startDate, stopDate: e.stopDate, input: e.input, output: e.output, error: e.error, cause: e.cause,
    };
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
        send(res, error.status, { __type: error.code, message: error.message });
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// Stop with the test that started us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
