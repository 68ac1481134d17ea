#!/usr/bin/env bash
# Regenerates the model zoo (docs/model-zoo.md) in OUT_DIR (default build/zoo): ONNX models exported by
# PyTorch 1.13 / torchvision 0.14 with seeded random weights and written with onnx.helper in TensorFlow
# converters' forms, a seeded input per model and ONNX Runtime's outputs for it (.npy), and manifest.json.
# Quick when nothing changed: the manifest records a hash of the generating scripts, and a manifest with the
# same hash whose files are all present means there is nothing to do. Downloads nothing but onnxruntime-node
# from npm (src/backends/onnxruntime/install.sh, once).
#   scripts/make-zoo.sh [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out_dir=${1:-$root/build/zoo}
python=/usr/bin/python3  # Debian's, with python3-torch; not a pyenv shim
generators=(scripts/make-zoo.sh scripts/zoo/export_models.py bench/onnxruntime/zoo_outputs.mjs src/backends/onnxruntime/npy.mjs
            src/backends/onnxruntime/package-lock.json)
hash=$(cd "$root" && sha256sum "${generators[@]}" | sha256sum | cut -c1-16)

manifest=$out_dir/manifest.json
if [[ -f $manifest ]] && "$python" - "$out_dir" "$hash" <<'PY'
import json, os, sys
out_dir, wanted = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
files = [m["file"] for m in manifest["models"]]
files += [t["file"] for m in manifest["models"] for t in m["inputs"] + m["outputs"]]
sys.exit(0 if manifest.get("generator_hash") == wanted and
         all(os.path.isfile(os.path.join(out_dir, f)) for f in files) else 1)
PY
then
  echo "make-zoo: $out_dir is up to date ($hash)"
  exit 0
fi

"$python" -c 'import torch, torchvision, onnx, numpy' 2>/dev/null ||
  { echo "make-zoo: $python lacks torch, torchvision, onnx or numpy: run scripts/install-deps.sh" >&2; exit 1; }
"$root/src/backends/onnxruntime/install.sh" >/dev/null
mkdir -p "$out_dir"
rm -f "$manifest"  # written last, so that an interrupted run is never taken for a finished one
start=$SECONDS
echo "make-zoo: exporting the models to $out_dir"
"$python" "$root/scripts/zoo/export_models.py" "$out_dir"
echo "make-zoo: ONNX Runtime's outputs"
node "$root/bench/onnxruntime/zoo_outputs.mjs" "$out_dir" "$hash"
echo "make-zoo: $(du -sh "$out_dir" | cut -f1) in $out_dir, $((SECONDS - start)) s"
