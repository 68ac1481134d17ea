// Every model of the zoo (docs/model-zoo.md) on NTP against ONNX Runtime, end to end, on the zoo's own .npy
// inputs. NTP runs with layer timing off (`ntp run --no-layer-timing`, the JSON's latency.median); ONNX
// Runtime's CPU provider runs in this process (intraOpNumThreads = --threads, interOpNumThreads 1, graph
// optimisations 'all'), `session.run` timed with performance.now over --iterations runs after --warmup, the
// median. Rounds interleave the engines (round r: model A on each NTP back end, model A on ONNX Runtime,
// model B, ...) so that drift on a shared machine hits all of them alike; each figure is the median over
// rounds of each round's median. Commands run from an argument vector.
// Where NTP's best back end is slower than --slow (1.25) times ONNX Runtime, one more `ntp run` WITH layer
// timing says where the time goes (the op types that take most of it, the nodes that fell back to the
// reference back end, a line of causes), and one ONNX Runtime run with its profiler gives the op types of
// its optimised graph to set beside them. Prints a markdown table and the notes; writes the raw figures
// (every round's median) as JSON to --out. docs/performance.md has a run and what it found.
//
//   node bench/onnxruntime/zoo.mjs --ntp build/src/ntp --zoo build/zoo --threads 2 --rounds 3 --warmup 2 \
//       --iterations 10 --engines onednn [--models resnet18,vit] [--slow 1.25] [--out build/zoo-bench.json]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ort, ortVersion } from './ort.mjs';
import { readNpy } from '../../src/backends/onnxruntime/npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const settings = {
  ntp: path.join(root, 'build', 'src', 'ntp'),
  zoo: path.join(root, 'build', 'zoo'),
  out: path.join(root, 'build', 'zoo-bench.json'),
  threads: 2,
  rounds: 3,
  warmup: 2,
  iterations: 10,
  engines: ['onednn'],
  models: null,  // default: every model of the manifest
  slow: 1.25,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  if (flag === '--ntp') settings.ntp = path.resolve(value);
  else if (flag === '--zoo') settings.zoo = path.resolve(value);
  else if (flag === '--out') settings.out = path.resolve(value);
  else if (flag === '--threads') settings.threads = Number(value);
  else if (flag === '--rounds') settings.rounds = Number(value);
  else if (flag === '--warmup') settings.warmup = Number(value);
  else if (flag === '--iterations') settings.iterations = Number(value);
  else if (flag === '--engines') settings.engines = value.split(',').filter((e) => e && e !== 'onnxruntime');
  else if (flag === '--models') settings.models = value.split(',');
  else if (flag === '--slow') settings.slow = Number(value);
  else throw new Error(`unknown option ${flag}`);
}

const run = (command, args) => execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30,
  stdio: ['ignore', 'pipe', 'pipe'] });
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const manifest = JSON.parse(fs.readFileSync(path.join(settings.zoo, 'manifest.json'), 'utf8'));
const models = manifest.models.filter((m) => !settings.models || settings.models.includes(m.name));
if (settings.models)
  for (const name of settings.models)
    if (!models.some((m) => m.name === name)) throw new Error(`${name} is not in the zoo's manifest`);

function ntpArgs(model, engine, layerTiming) {
  return ['run', path.join(settings.zoo, model.file), '--backend', engine, ...(layerTiming ? [] : ['--no-layer-timing']),
    '--threads', String(settings.threads), '--warmup', String(settings.warmup), '--iterations',
    String(settings.iterations), ...model.inputs.flatMap((input) => ['--input',
      `${input.name}=${path.join(settings.zoo, input.file)}`]), '--format', 'json', '--no-db'];
}

function ntpRun(model, engine) {
  const record = JSON.parse(run(settings.ntp, ntpArgs(model, engine, false)));
  return { median_ms: record.latency.median, version: record.context?.libraries?.[engine] };
}

function ortFeeds(model) {
  const feeds = {};
  for (const input of model.inputs) {
    const { shape, data } = readNpy(path.join(settings.zoo, input.file));
    feeds[input.name] = new ort.Tensor('float32', data, shape);
  }
  return feeds;
}

function ortOptions(profileFolder) {
  const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: settings.threads,
    interOpNumThreads: 1 };
  if (profileFolder) Object.assign(options, { enableProfiling: true, profileFilePrefix: path.join(profileFolder, 'ort') });
  return options;
}

async function ortRun(model) {
  const session = await ort.InferenceSession.create(path.join(settings.zoo, model.file), ortOptions(null));
  const feeds = ortFeeds(model);
  for (let i = 0; i < settings.warmup; ++i) await session.run(feeds);
  const samples = [];
  for (let i = 0; i < settings.iterations; ++i) {
    const start = performance.now();
    await session.run(feeds);
    samples.push(performance.now() - start);
  }
  await session.release();
  return { median_ms: median(samples), version: ortVersion };
}

// results[model][engine] = { medians: [per round], version } or { error }
const results = {};
const engines = [...settings.engines, 'onnxruntime'];
const started = performance.now();
const loadBefore = os.loadavg()[0];
for (let round = 0; round < settings.rounds; ++round)
  for (const model of models)
    for (const engine of engines) {
      results[model.name] ??= {};
      const entry = (results[model.name][engine] ??= { medians: [] });
      if (entry.error) continue;
      try {
        const result = engine === 'onnxruntime' ? await ortRun(model) : ntpRun(model, engine);
        entry.medians.push(result.median_ms);
        entry.version = result.version;
        process.stderr.write(`round ${round + 1}/${settings.rounds} ${model.name} ${engine}: ` +
          `${result.median_ms.toFixed(3)} ms\n`);
      } catch (error) {
        entry.error = String(error.stderr || error.message).trim().split('\n').pop();
        process.stderr.write(`round ${round + 1}/${settings.rounds} ${model.name} ${engine}: failed: ${entry.error}\n`);
      }
    }
const measuredSeconds = (performance.now() - started) / 1e3;
const loadAfter = os.loadavg()[0];

// Where the time goes on NTP: one run with layer timing, per op type (time, node count, fallbacks).
function diagnose(model, engine) {
  const record = JSON.parse(run(settings.ntp, ntpArgs(model, engine, true)));
  const total = record.latency.median;
  const ops = {};
  for (const node of record.nodes) {
    const op = (ops[node.op] ??= { op: node.op, time_ms: 0, nodes: 0, fallback_nodes: 0, fallback_ms: 0,
      implementations: new Set() });
    op.time_ms += node.time_ms.median;
    op.nodes += 1;
    op.implementations.add(node.implementation);
    if (node.fallback) {
      op.fallback_nodes += 1;
      op.fallback_ms += node.time_ms.median;
    }
  }
  const byTime = Object.values(ops).sort((a, b) => b.time_ms - a.time_ms)
    .map((op) => ({ ...op, share: op.time_ms / total, implementations: [...op.implementations] }));
  const fallbackMs = byTime.reduce((sum, op) => sum + op.fallback_ms, 0);
  const nodes = record.nodes.length;
  const fallbackNodes = byTime.reduce((sum, op) => sum + op.fallback_nodes, 0);
  // One line of causes, largest first, each with its share of the end-to-end time: reference fallbacks,
  // oneDNN steps wrapped in layout conversions (a kernel made of several primitives, e.g. "jit:uni+brgconv+jit:blk":
  // plain to blocked, the primitive, back to plain), elementwise ops left standalone, and the per-node cost.
  const percent = (ms) => `${(100 * ms / total).toFixed(0)}%`;
  const causes = [];
  if (fallbackNodes) {
    const list = byTime.filter((op) => op.fallback_nodes).map((op) => `${op.op} ×${op.fallback_nodes}`);
    causes.push({ ms: fallbackMs, text: `reference fallbacks ${percent(fallbackMs)} (${list.join(', ')})` });
  }
  const wrapped = record.nodes.filter((n) => !n.fallback && n.implementation.split('+').length > 2);
  if (wrapped.length) {
    const ms = wrapped.reduce((sum, n) => sum + n.time_ms.median, 0);
    const counts = {};
    for (const n of wrapped) counts[n.op] = (counts[n.op] ?? 0) + 1;
    causes.push({ ms, text: `${Object.entries(counts).map(([op, k]) => `${op} ×${k}`).join(', ')} each converting ` +
      `its input and output between plain and blocked layouts ${percent(ms)}` });
  }
  const elementwise = new Set(['relu', 'clip', 'sigmoid', 'tanh', 'hard_sigmoid', 'hard_swish', 'erf', 'gelu', 'add',
    'sub', 'mul', 'div', 'pow', 'sqrt', 'exp', 'neg']);
  const standalone = record.nodes.filter((n) => !n.fallback && elementwise.has(n.op));
  if (standalone.length) {
    const ms = standalone.reduce((sum, n) => sum + n.time_ms.median, 0);
    const counts = {};
    for (const n of standalone) counts[n.op] = (counts[n.op] ?? 0) + 1;
    causes.push({ ms, text: `standalone elementwise nodes ${percent(ms)} ` +
      `(${Object.entries(counts).map(([op, k]) => `${op} ×${k}`).join(', ')})` });
  }
  causes.sort((a, b) => b.ms - a.ms);
  const reason = [...causes.filter((c) => c.ms / total >= 0.05).map((c) => c.text),
    `${nodes} nodes, ${(1e3 * total / nodes).toFixed(1)} µs a node`].join('; ');
  return { engine, end_to_end_ms: total, nodes, fallback_nodes: fallbackNodes, fallback_ms: fallbackMs,
    residual_ms: record.instrumentation?.residual_ms, ops: byTime, reason };
}

// ONNX Runtime's side of the same question, from its own profiler in a separate pass: per op type (of the
// optimised graph: FusedConv, the NCHWc layout's ReorderInput/ReorderOutput, ...), the median over the
// measured runs of the time its nodes take in one run.
async function ortProfile(model) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ntp-zoo-ort-'));
  try {
    const session = await ort.InferenceSession.create(path.join(settings.zoo, model.file), ortOptions(folder));
    const feeds = ortFeeds(model);
    for (let i = 0; i < settings.warmup + settings.iterations; ++i) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(folder).find((name) => name.endsWith('.json'));
    const events = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
    const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts);
    const perRun = {};  // op -> run index -> microseconds
    const counts = {};  // op -> nodes in one run
    for (const event of events) {
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
      const run = runStarts.filter((start) => start <= event.ts).length - 1;
      if (run < settings.warmup) continue;
      const op = event.args?.op_name ?? '?';
      perRun[op] ??= {};
      perRun[op][run] = (perRun[op][run] ?? 0) + event.dur;
      if (run === settings.warmup) counts[op] = (counts[op] ?? 0) + 1;
    }
    return Object.entries(perRun).map(([op, runs]) => ({ op, nodes: counts[op] ?? 0,
      time_ms: median(Object.values(runs)) / 1e3 })).sort((a, b) => b.time_ms - a.time_ms);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

const rows = [];
for (const model of models) {
  const figures = results[model.name];
  const ortMs = figures.onnxruntime.error ? null : median(figures.onnxruntime.medians);
  let best = null;
  for (const engine of settings.engines) {
    if (figures[engine].error) continue;
    figures[engine].median_ms = median(figures[engine].medians);
    if (!best || figures[engine].median_ms < figures[best].median_ms) best = engine;
  }
  if (ortMs !== null) figures.onnxruntime.median_ms = ortMs;
  const ratio = best && ortMs ? figures[best].median_ms / ortMs : null;
  const row = { model: model.name, opset: model.opset, inputs: model.inputs.map((i) => i.shape), best, ratio };
  if (ratio !== null && ratio > settings.slow) {
    try {
      row.diagnosis = diagnose(model, best);
      row.diagnosis.onnxruntime_ops = await ortProfile(model);
    } catch (error) {
      row.diagnosis = { error: String(error.stderr || error.message).trim().split('\n').pop() };
    }
  }
  rows.push(row);
}

const label = (engine) => {
  const version = Object.values(results).map((r) => r[engine]?.version).find((v) => v);
  return `${engine === 'onnxruntime' ? 'ONNX Runtime' : `NTP ${engine}`} ${version ?? ''}`.trim();
};
const cell = (entry) => entry.error ? `failed` : `${entry.median_ms.toFixed(3)}`;
let text = `The zoo (${path.relative(process.cwd(), settings.zoo) || '.'}), ${settings.threads} threads, median of ` +
  `${settings.rounds} rounds of (${settings.warmup} warm-up, median of ${settings.iterations}); ms\n\n`;
text += `| model | opset | input | ${engines.map(label).join(' | ')} | NTP / ORT |\n`;
text += `| --- | ---: | --- |${' ---: |'.repeat(engines.length)} ---: |\n`;
for (const row of rows) {
  const ratio = row.ratio === null ? '' : `${row.ratio.toFixed(2)}x${settings.engines.length > 1 ? ` (${row.best})` : ''}`;
  text += `| ${row.model} | ${row.opset} | ${row.inputs.map((s) => `[${s.join(', ')}]`).join(' ')} | ` +
    `${engines.map((e) => cell(results[row.model][e])).join(' | ')} | ${ratio} |\n`;
}
for (const row of rows) for (const e of engines)
  if (results[row.model][e].error) text += `\n${row.model} on ${e} failed: ${results[row.model][e].error}\n`;
// A figure whose round medians differ by more than 1.5x was taken while something else held a core.
const unsteady = [];
for (const row of rows) for (const e of engines) {
  const medians = results[row.model][e].medians;
  if (medians.length > 1 && Math.max(...medians) > 1.5 * Math.min(...medians))
    unsteady.push(`${row.model} ${e} ${medians.map((m) => m.toFixed(3)).join(', ')}`);
}
if (unsteady.length) text += `\nUnsteady (round medians, ms, differ by more than 1.5x): ${unsteady.join('; ')}.\n`;
const slowRows = rows.filter((row) => row.diagnosis);
if (slowRows.length) text += `\nWhere NTP is slower than ${settings.slow}x ONNX Runtime (one run with layer timing):\n`;
for (const row of slowRows) {
  const d = row.diagnosis;
  if (d.error) {
    text += `\n- **${row.model}**: the run with layer timing failed: ${d.error}\n`;
    continue;
  }
  const ops = d.ops.slice(0, 5).map((op) => `${op.op} ${op.time_ms.toFixed(3)} ms (${(100 * op.share).toFixed(0)}%, ` +
    `${op.nodes} node${op.nodes > 1 ? 's' : ''}${op.fallback_nodes ? `, ${op.fallback_nodes} on reference` : ''})`);
  const fallbacks = d.ops.filter((op) => op.fallback_nodes).map((op) => `${op.op} ×${op.fallback_nodes} ` +
    `${op.fallback_ms.toFixed(3)} ms`);
  const ortOps = d.onnxruntime_ops.slice(0, 5).map((op) => `${op.op} ${op.time_ms.toFixed(3)} ms (${op.nodes})`);
  const ortNodes = d.onnxruntime_ops.reduce((sum, op) => sum + op.nodes, 0);
  text += `\n- **${row.model}** (${row.ratio.toFixed(2)}x; ${d.engine} ${d.end_to_end_ms.toFixed(3)} ms with layer ` +
    `timing, ${d.nodes} nodes): ${d.reason}.\n  Top ops: ${ops.join('; ')}.\n  Fallbacks: ` +
    `${fallbacks.length ? fallbacks.join(', ') : 'none'}.\n  ONNX Runtime (${ortNodes} nodes after its ` +
    `optimisations, profiler): ${ortOps.join('; ')}.\n`;
}
text += `\nMeasured in ${measuredSeconds.toFixed(0)} s; load average (1 min) ${loadBefore.toFixed(1)} before, ` +
  `${loadAfter.toFixed(1)} after (the benchmark itself adds up to ${settings.threads}).\n`;
console.log(text);

fs.mkdirSync(path.dirname(settings.out), { recursive: true });
fs.writeFileSync(settings.out, JSON.stringify({ settings,
  onnxruntime: ortVersion, measured_seconds: measuredSeconds, load_average: { before: loadBefore, after: loadAfter },
  results, rows }, null, 1) + '\n');
process.stderr.write(`wrote ${settings.out}\n`);
