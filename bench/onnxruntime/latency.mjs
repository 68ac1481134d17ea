// Times an ONNX model in ONNX Runtime's CPU provider the way `ntp run` times a graph: seeded inputs made
// once, warm-up runs, then the median of the measured runs. Prints one JSON object.
//   node latency.mjs MODEL.onnx --dim batch=16 --threads 2 --warmup 2 --iterations 10 [--profile 1]
// With --profile, ONNX Runtime's own profiler times every node in a separate pass, and the medians are
// summed per NTP layer (an exported layer's helper nodes are named "layer/part").
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ort } from './ort.mjs';

function parseArguments(argv) {
  const options = { dims: {}, threads: 0, warmup: 2, iterations: 10, profile: false };
  options.model = argv[0];
  for (let i = 1; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--dim') {
      const [name, size] = value.split('=');
      options.dims[name] = Number(size);
    } else if (flag === '--threads') options.threads = Number(value);
    else if (flag === '--warmup') options.warmup = Number(value);
    else if (flag === '--iterations') options.iterations = Number(value);
    else if (flag === '--profile') options.profile = value === '1';
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.model) throw new Error('usage: node latency.mjs MODEL.onnx [--dim name=size] [--threads N]');
  return options;
}

// A small linear congruential generator: the same inputs on every run, uniform in [-1, 1).
function seededValues(count, seed) {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

const options = parseArguments(process.argv.slice(2));
function sessionOptions(profileFolder) {
  const settings = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (options.threads > 0) {
    settings.intraOpNumThreads = options.threads;
    settings.interOpNumThreads = 1;
  }
  if (profileFolder) {
    settings.enableProfiling = true;
    settings.profileFilePrefix = path.join(profileFolder, 'ort');
  }
  return settings;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// Per-layer medians from ONNX Runtime's profile: node events are named "<node>_kernel_time".
async function profileLayers(feeds) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ntp-ort-'));
  const session = await ort.InferenceSession.create(options.model, sessionOptions(folder));
  for (let i = 0; i < options.warmup + options.iterations; ++i) await session.run(feeds);
  session.endProfiling();
  const file = fs.readdirSync(folder).find((name) => name.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  fs.rmSync(folder, { recursive: true, force: true });
  const perRun = {};  // layer -> run index -> microseconds
  const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts);
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    const node = event.name.slice(0, -'_kernel_time'.length);
    const layer = node.split('/')[0];
    const run = runStarts.filter((start) => start <= event.ts).length - 1;
    if (run < options.warmup) continue;
    perRun[layer] ??= {};
    perRun[layer][run] = (perRun[layer][run] ?? 0) + event.dur;
  }
  const layers = {};
  for (const [layer, runs] of Object.entries(perRun)) layers[layer] = median(Object.values(runs)) / 1e3;
  return layers;
}

const session = await ort.InferenceSession.create(options.model, sessionOptions(null));
const feeds = {};
for (const [index, name] of session.inputNames.entries()) {
  const metadata = session.inputMetadata[index];
  const shape = metadata.shape.map((dim) => {
    if (typeof dim === 'number' && dim > 0) return dim;
    if (!(dim in options.dims)) throw new Error(`input ${name} has the dynamic dimension ${dim}: pass --dim ${dim}=N`);
    return options.dims[dim];
  });
  const count = shape.reduce((a, b) => a * b, 1);
  feeds[name] = new ort.Tensor('float32', seededValues(count, index + 1), shape);
}
for (let i = 0; i < options.warmup; ++i) await session.run(feeds);
const samples = [];
for (let i = 0; i < options.iterations; ++i) {
  const start = process.hrtime.bigint();
  await session.run(feeds);
  samples.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const result = { engine: 'onnxruntime', version: ort.env.versions.common, threads: options.threads,
  dims: options.dims, median_ms: median(samples), samples_ms: samples };
if (options.profile) result.layers_ms = await profileLayers(feeds);
console.log(JSON.stringify(result));
