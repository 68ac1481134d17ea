// The onnxruntime back end's runner: NTP starts it (node runner.mjs REQUEST.json RESULT.json, an argument
// vector, never a shell) to run one model in ONNX Runtime's CPU provider on NTP's schedule and report what it
// measured. The request (written by onnxruntime_backend.cpp) names the model, the inputs as .npy files, the
// session settings and the schedule; the result is one JSON document, written only when the run finished.
//
// Exit status: 0 done; 2 the request or the model was refused (the message on stderr says why); 3
// onnxruntime-node is not installed; 4 stopped (SIGINT) before a measured run; anything else is a crash,
// which NTP reports with the stderr tail.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

import { readNpy, writeNpy } from './npy.mjs';

// Ctrl-C in NTP reaches the runner as SIGINT: the measured loop ends and what it measured is reported.
// First of all, so that one arriving while ONNX Runtime loads does not kill the runner unreported.
let stopRequested = false;
process.on('SIGINT', () => { stopRequested = true; });

class Refusal extends Error {}

const [requestFile, resultFile] = process.argv.slice(2);
if (!requestFile || !resultFile) {
  process.stderr.write('usage: node runner.mjs REQUEST.json RESULT.json\n');
  process.exit(2);
}
const request = JSON.parse(fs.readFileSync(requestFile, 'utf8'));

// The package from the folder the request names (an installed NTP), else from the runner's own folder.
let ort;
let ortVersion;
try {
  const require = createRequire(request.package_folder ? path.join(request.package_folder, 'package.json')
    : import.meta.url);
  ort = require('onnxruntime-node');
  ortVersion = require('onnxruntime-node/package.json').version;
} catch (error) {
  process.stderr.write(`onnxruntime-node cannot be loaded: ${error.message.split('\n')[0]}\n`);
  process.exit(3);
}

function sessionOptions(threads, extra) {
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: request.optimization === 'disable' ? 'disabled' : request.optimization,
    executionMode: request.execution,
    logSeverityLevel: 3,  // errors only: ORT's warnings (an optimised model's portability) are not NTP's
    ...extra,
  };
  if (threads > 0) {
    options.intraOpNumThreads = threads;
    options.interOpNumThreads = request.execution === 'parallel' ? threads : 1;
  }
  return options;
}

async function createSession(threads, extra = {}) {
  try {
    return await ort.InferenceSession.create(request.model, sessionOptions(threads, extra));
  } catch (error) {
    throw new Refusal(`ONNX Runtime ${ortVersion} cannot load the model: ${error.message}`);
  }
}

const typedArrays = {
  float32: (values) => values,
  float64: (values) => Float64Array.from(values),
  int64: (values) => BigInt64Array.from(values, (v) => BigInt(Math.round(v))),
  int32: (values) => Int32Array.from(values, Math.round),
  uint8: (values) => Uint8Array.from(values, Math.round),
  int8: (values) => Int8Array.from(values, Math.round),
  bool: (values) => Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)),
};

// NTP's inputs are float32 .npy files; each is converted to the element type the model declares.
function makeFeeds(session) {
  const feeds = {};
  for (const [index, name] of session.inputNames.entries()) {
    const file = request.inputs[name];
    if (!file) throw new Refusal(`the model's input '${name}' has no data in the request`);
    const { shape, data } = readNpy(file);
    const type = session.inputMetadata[index].type;
    if (!(type in typedArrays)) throw new Refusal(`the model's input '${name}' is ${type}, which NTP cannot feed`);
    feeds[name] = new ort.Tensor(type, typedArrays[type](data), shape);
  }
  return feeds;
}

function saveOutputs(outputs) {
  fs.mkdirSync(request.outputs_folder, { recursive: true });
  const written = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (typeof tensor.data === 'string' || Array.isArray(tensor.data)) continue;  // strings: not numbers
    const values = Float32Array.from(tensor.data, Number);
    const file = path.join(request.outputs_folder, `${Object.keys(written).length}.npy`);
    writeNpy(file, tensor.dims, values);
    written[name] = file;
  }
  return written;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// The measured loop of one stream: `iterations` runs, or runs until `seconds` have passed (at least one).
async function measure(session, feeds, iterations, seconds, samples) {
  const start = nowMs();
  let stoppedBy = seconds > 0 ? 'time' : 'iterations';
  for (let i = 0; seconds > 0 || i < iterations; ++i) {
    if (stopRequested) {
      stoppedBy = 'interrupted';
      break;
    }
    if (seconds > 0 && i > 0 && nowMs() - start >= seconds * 1e3) break;
    const begin = nowMs();
    await session.run(feeds);
    samples.push(nowMs() - begin);
  }
  return stoppedBy;
}

// ONNX Runtime's profiler in its own session: every node's kernel time per measured run, grouped by the
// session's model_run events, and the optimised graph written where the request asks.
async function profile(feeds, runs) {
  const folder = fs.mkdtempSync(path.join(request.work_folder, 'profile-'));
  const extra = { enableProfiling: true, profileFilePrefix: path.join(folder, 'ort') };
  if (request.optimized_model) extra.optimizedModelFilePath = request.optimized_model;
  const session = await createSession(request.threads, extra);
  for (let i = 0; i < request.warmup + 1; ++i) await session.run(feeds);
  const latency = [];
  for (let i = 0; i < runs && !stopRequested; ++i) {
    const begin = nowMs();
    await session.run(feeds);
    latency.push(nowMs() - begin);
  }
  session.endProfiling();
  const file = fs.readdirSync(folder).find((name) => name.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  // A run's events are written when it ends: each node event belongs to the last run started before it.
  const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts)
    .sort((a, b) => a - b);
  const skipped = runStarts.length - latency.length;  // the cold and warm-up runs
  const runOf = (ts) => {
    let low = 0;
    let high = runStarts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (runStarts[middle] <= ts) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  };
  const nodes = new Map();
  const trace = [];
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    const run = runOf(event.ts);
    const measured = run - skipped;
    if (run < 0 || measured < 0) continue;
    const name = event.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name))
      nodes.set(name, { name, op: event.args?.op_name ?? '', provider: event.args?.provider ?? '',
        ms: new Array(latency.length).fill(0) });
    nodes.get(name).ms[measured] += event.dur / 1e3;
    if (measured < request.trace_iterations || request.trace_iterations < 0)
      trace.push({ node: name, iteration: measured, begin_us: event.ts - runStarts[run],
        end_us: event.ts - runStarts[run] + event.dur });
  }
  fs.rmSync(folder, { recursive: true, force: true });
  return { iterations: latency.length, latency_ms: latency, nodes: [...nodes.values()], trace };
}

async function main() {
  const streams = request.throughput ? request.streams : 1;
  // Throughput: one session per stream, the threads shared out between them, all running at once.
  const perStream = request.threads > 0 ? Math.max(1, Math.floor(request.threads / streams)) : 0;
  const rssBefore = process.memoryUsage().rss;
  const sessions = [];
  const sessionStart = nowMs();
  for (let s = 0; s < streams; ++s) sessions.push(await createSession(streams > 1 ? perStream : request.threads));
  const sessionMs = (nowMs() - sessionStart) / streams;
  // Stopped before anything is measured: nothing to report (NTP says so).
  const stopBeforeMeasuring = () => {
    if (stopRequested) process.exit(4);
  };
  stopBeforeMeasuring();
  const feeds = makeFeeds(sessions[0]);
  const coldStart = nowMs();
  const firstOutputs = await sessions[0].run(feeds);
  const coldMs = nowMs() - coldStart;
  const outputs = request.outputs_folder ? saveOutputs(firstOutputs) : {};
  for (const session of sessions)
    for (let i = 0; i < request.warmup; ++i) {
      stopBeforeMeasuring();
      await session.run(feeds);
    }

  const perStreamSamples = sessions.map(() => []);
  const wallStart = nowMs();
  const reasons = await Promise.all(sessions.map((session, s) =>
    measure(session, feeds, request.iterations, request.time_seconds, perStreamSamples[s])));
  const wallSeconds = (nowMs() - wallStart) / 1e3;
  const result = {
    version: ortVersion,
    settings: { optimization: request.optimization, execution: request.execution, streams,
      intra_op_threads: streams > 1 ? perStream : request.threads },
    session_ms: sessionMs,
    cold_ms: coldMs,
    latency_ms: perStreamSamples.flat(),
    wall_seconds: wallSeconds,
    inferences: perStreamSamples.reduce((sum, samples) => sum + samples.length, 0),
    stopped_by: reasons.includes('interrupted') ? 'interrupted' : reasons[0],
    outputs,
    // The runner's process (ONNX Runtime allocates natively: resident pages, not the JavaScript heap).
    memory: { rss_before: rssBefore, rss_after: process.memoryUsage().rss,
      peak_rss: process.resourceUsage().maxRSS * 1024 },
  };
  if (request.profile && !stopRequested && perStreamSamples[0].length > 0)
    result.profile = await profile(feeds, Math.min(perStreamSamples[0].length, request.max_profiled_iterations));
  const partial = `${resultFile}.partial`;
  fs.writeFileSync(partial, JSON.stringify(result));
  fs.renameSync(partial, resultFile);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`${error instanceof Refusal ? error.message : error.stack}\n`);
  process.exit(error instanceof Refusal ? 2 : 1);
}
