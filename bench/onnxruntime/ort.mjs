// ONNX Runtime's Node package, from the folder the onnxruntime back end installs it in
// (src/backends/onnxruntime/install.sh), so that the benchmarks run the very package NTP drives.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../src/backends/onnxruntime/package.json', import.meta.url));
export const ort = require('onnxruntime-node');
export const ortVersion = require('onnxruntime-node/package.json').version;
