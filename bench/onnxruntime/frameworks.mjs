// Every NTP back end against ONNX Runtime run by a plain onnxruntime-node script (latency.mjs, the peer), on
// DeepSpeech v0.1, end to end and per layer, at each batch size. The peer's model is the one `ntp export`
// writes from the same topology and seed, which is also what NTP's onnxruntime back end runs. Rounds
// interleave the engines so that drift on a shared machine hits all of them alike; each figure is the median
// over rounds of each round's median. Fidelity: NTP's onnxruntime back end over the peer, per round, median
// over rounds (the target is within 3%). Commands run from an argument vector.
//
//   node bench/onnxruntime/frameworks.mjs --ntp build/src/ntp --threads 2 --batches 1,16 --rounds 3
//   node bench/onnxruntime/frameworks.mjs --engines onnxruntime,onnxruntime-plain --rounds 5   # fidelity only
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const settings = {
  ntp: path.join(root, 'build', 'src', 'ntp'),
  topology: path.join(root, 'examples', 'deepspeech-v0.1.xml'),
  threads: 2,
  batches: [1, 16],
  rounds: 3,
  warmup: 1,
  iterations: 3,
  engines: null,  // default: every NTP back end but reference, then the peer (onnxruntime-plain)
  sets: [],
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (flag === '--ntp') settings.ntp = path.resolve(value);
  else if (flag === '--topology') settings.topology = path.resolve(value);
  else if (flag === '--threads') settings.threads = Number(value);
  else if (flag === '--batches') settings.batches = value.split(',').map(Number);
  else if (flag === '--rounds') settings.rounds = Number(value);
  else if (flag === '--warmup') settings.warmup = Number(value);
  else if (flag === '--iterations') settings.iterations = Number(value);
  else if (flag === '--engines') settings.engines = value.split(',');
  else if (flag === '--set') settings.sets.push(value);
  else throw new Error(`unknown option ${flag}`);
}

const run = (command, args) => execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const backends = JSON.parse(run(settings.ntp, ['backends', '--format', 'json']));
const backendNames = (Array.isArray(backends) ? backends : backends.backends).map((b) => b.name);
const peer = 'onnxruntime-plain';
const engines = settings.engines ?? [...backendNames.filter((name) => name !== 'reference'), peer];
const setArgs = settings.sets.flatMap((set) => ['--set', set]);

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ntp-frameworks-'));
const model = path.join(folder, 'deepspeech.onnx');
if (engines.includes(peer)) run(settings.ntp, ['export', settings.topology, '-o', model, ...setArgs]);

function ntpRun(backend, batch) {
  const record = JSON.parse(run(settings.ntp, ['run', settings.topology, '--backend', backend, '--batch', String(batch),
    '--threads', String(settings.threads), '--warmup', String(settings.warmup), '--iterations',
    String(settings.iterations), '--format', 'json', ...setArgs]));
  const layers = {};
  for (const node of record.nodes) layers[node.name] = (layers[node.name] ?? 0) + node.time_ms.median;
  return { median_ms: record.latency.median, layers_ms: layers, version: record.context.libraries[backend] };
}

function ortRun(batch, profile) {
  const frames = settings.sets.find((set) => set.startsWith('frames='))?.split('=')[1] ?? '146';
  const result = JSON.parse(run(process.execPath, [path.join(here, 'latency.mjs'), model, '--dim', `batch=${batch}`,
    '--dim', `frames=${frames}`, '--threads', String(settings.threads), '--warmup', String(settings.warmup),
    '--iterations', String(settings.iterations), '--profile', profile ? '1' : '0']));
  return { median_ms: result.median_ms, layers_ms: result.layers_ms ?? {}, version: result.version };
}

// results[batch][engine] = { medians: [per round], layers_ms, version }
const results = {};
for (let round = 0; round < settings.rounds; ++round)
  for (const batch of settings.batches)
    for (const engine of engines) {
      const last = round === settings.rounds - 1;
      const result = engine === peer ? ortRun(batch, last) : ntpRun(engine, batch);
      results[batch] ??= {};
      results[batch][engine] ??= { medians: [] };
      results[batch][engine].medians.push(result.median_ms);
      results[batch][engine].version = result.version;
      if (last) results[batch][engine].layers_ms = result.layers_ms;
      process.stderr.write(`round ${round + 1}/${settings.rounds} batch ${batch} ${engine}: ${result.median_ms.toFixed(1)} ms\n`);
    }
fs.rmSync(folder, { recursive: true, force: true });

const label = (engine) => `${engine} ${results[settings.batches[0]][engine].version ?? ''}`.trim();
let text = `DeepSpeech v0.1 (${path.basename(settings.topology)} ${settings.sets.join(' ')}), ${settings.threads} threads, ` +
  `median of ${settings.rounds} rounds of (${settings.warmup} warm-up, median of ${settings.iterations})\n\n`;
text += `| batch | ${engines.map(label).join(' | ')} |\n| --- |${' --- |'.repeat(engines.length)}\n`;
for (const batch of settings.batches) {
  const reference = engines.includes(peer) ? median(results[batch][peer].medians) : null;
  const cells = engines.map((engine) => {
    const value = median(results[batch][engine].medians);
    return reference && engine !== peer ? `${value.toFixed(1)} ms (${(value / reference).toFixed(2)}x)`
      : `${value.toFixed(1)} ms`;
  });
  text += `| ${batch} | ${cells.join(' | ')} |\n`;
}
if (engines.includes(peer) && engines.includes('onnxruntime')) {
  text += `\nFidelity: NTP's onnxruntime back end over the peer, per round (median)\n\n`;
  for (const batch of settings.batches) {
    const ratios = results[batch].onnxruntime.medians.map((value, round) => value / results[batch][peer].medians[round]);
    text += `- batch ${batch}: ${median(ratios).toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(3)).join(', ')})\n`;
  }
}
for (const batch of settings.batches) {
  const layers = Object.keys(results[batch][engines[0]].layers_ms ?? {});
  text += `\nPer layer at batch ${batch} (ms, last round; ONNX Runtime's from its own profiler)\n\n`;
  text += `| layer | ${engines.join(' | ')} |\n| --- |${' --- |'.repeat(engines.length)}\n`;
  for (const layer of layers)
    text += `| ${layer} | ${engines.map((e) => results[batch][e].layers_ms?.[layer]?.toFixed(2) ?? '').join(' | ')} |\n`;
}
console.log(text);
