// The model zoo's reference outputs: runs every model of OUT_DIR/models.json (written by
// scripts/zoo/export_models.py) in ONNX Runtime's CPU provider on its seeded .npy input, saves each output as
// OUT_DIR/<model>/output_<k>.npy, checks them against the exporting framework's own outputs where there are
// any, and writes OUT_DIR/manifest.json (models, inputs, outputs with shapes, opsets) last.
//   node zoo_outputs.mjs OUT_DIR GENERATOR_HASH
// scripts/make-zoo.sh runs it; docs/model-zoo.md describes the zoo.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ort, ortVersion } from './ort.mjs';
import { readNpy, writeNpy } from '../../src/backends/onnxruntime/npy.mjs';

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
