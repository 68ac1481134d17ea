// The model zoo's reference outputs: runs every model of OUT_DIR/models.json (written by
// scripts/zoo/export_models.py) in ONNX Runtime's CPU provider on its seeded .npy input, saves each output as
// OUT_DIR/<model>/output_<k>.npy, checks them against the exporting framework's own outputs where there are
// any, and writes OUT_DIR/manifest.json (models, inputs, outputs with shapes, opsets) last.
//   node zoo_outputs.mjs OUT_DIR GENERATOR_HASH
// scripts/make-zoo.sh runs it; docs/model-zoo.md describes the zoo.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';

// float32 C-order .npy, version 1.0 (what numpy.save writes for these arrays).
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = bytes.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(`${file}: not a C-ordered float32 array (${header.trim()})`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter((s) => s)
    .map(Number);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  return { shape, data };
}

function writeNpy(file, shape, data) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(temporary, file);
}

// Largest |a - b| and whether every element is within atol + rtol * |b|.
function compare(actual, expected, rtol, atol) {
  let maxAbs = 0;
  let within = actual.length === expected.length;
  for (let i = 0; within && i < actual.length; ++i) {
    const difference = Math.abs(actual[i] - expected[i]);
    maxAbs = Math.max(maxAbs, difference);
    if (!(difference <= atol + rtol * Math.abs(expected[i]))) within = false;
  }
  return { maxAbs, within };
}

const [outDir, generatorHash] = process.argv.slice(2);
if (!outDir) throw new Error('usage: node zoo_outputs.mjs OUT_DIR [GENERATOR_HASH]');
const list = JSON.parse(fs.readFileSync(path.join(outDir, 'models.json'), 'utf8'));
const require = createRequire(import.meta.url);
const ortVersion = require('onnxruntime-node/package.json').version;

const models = [];
let failures = 0;
for (const model of list.models) {
  const started = Date.now();
  const session = await ort.InferenceSession.create(path.join(outDir, model.file),
    { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 2, interOpNumThreads: 1 });
  const feeds = {};
  for (const input of model.inputs) {
    const { shape, data } = readNpy(path.join(outDir, input.file));
    feeds[input.name] = new ort.Tensor('float32', data, shape);
  }
  const results = await session.run(feeds);
  const outputs = session.outputNames.map((name, k) => {
    const tensor = results[name];
    if (tensor.type !== 'float32') throw new Error(`${model.name}: output ${name} is ${tensor.type}, not float32`);
    const file = `${model.name}/output_${k}.npy`;
    writeNpy(path.join(outDir, file), tensor.dims, tensor.data);
    const entry = { name, shape: [...tensor.dims], file };
    let magnitude = 0;
    for (const value of tensor.data) magnitude = Math.max(magnitude, Math.abs(value));
    entry.max_abs = magnitude;
    // The exporter's own result: ONNX Runtime must agree with the framework the model came from, or the
    // export (not NTP) is wrong and the zoo would test the wrong thing.
    if (model.torch_outputs[k]) {
      const torchOutput = readNpy(path.join(outDir, model.torch_outputs[k]));
      const { maxAbs, within } = compare(tensor.data, torchOutput.data, 1e-3, 1e-4);
      entry.torch_max_abs_diff = maxAbs;
      if (!within || torchOutput.shape.join() !== tensor.dims.join()) {
        console.error(`  ${model.name}: ONNX Runtime's ${name} differs from PyTorch's (max |diff| ${maxAbs})`);
        ++failures;
      }
    }
    return entry;
  });
  await session.release();
  const { torch_outputs: _, ...rest } = model;
  models.push({ ...rest, outputs });
  const shapes = outputs.map((o) => `[${o.shape.join(',')}]`).join(' ');
  console.log(`  ${model.name}: ${shapes} in ${Date.now() - started} ms`);
}
if (failures) process.exit(1);

const manifest = {
  format: 'ntp.zoo/1',
  generator_hash: generatorHash ?? '',
  versions: { ...list.versions, onnxruntime: ortVersion },
  tolerance_against_torch: { rtol: 1e-3, atol: 1e-4 },
  models,
};
const temporary = path.join(outDir, 'manifest.json.tmp');
fs.writeFileSync(temporary, JSON.stringify(manifest, null, 1) + '\n');
fs.renameSync(temporary, path.join(outDir, 'manifest.json'));
