#!/usr/bin/python3
"""Writes the binary inputs of the command-line bad-input corpus (tests/cli/bad/files/): .npy, WAV and ONNX
files broken in one way each. Run from the repository root with a built ntp (it exports the ONNX bases):
    tests/cli/bad/make-files.py build/src/ntp
Debian's python3-numpy and python3-onnx write them; the files are committed, so tests need neither."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import wave

import numpy
import onnx
from onnx import helper

ntp = sys.argv[1]
files = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
os.makedirs(files, exist_ok=True)


def npy(name, header, data=b""):
    """A version 1.0 .npy file with `header` as its dictionary, padded as numpy pads it."""
    text = header + " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(os.path.join(files, name), "wb") as out:
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + data)


npy("shape_overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
    bytes(48))
npy("shape_digits.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 2), }")
npy("negative_shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }", bytes(24))
open(os.path.join(files, "empty.npy"), "wb").close()

with wave.open(os.path.join(files, "one_hertz.wav"), "wb") as one_hertz:
    one_hertz.setnchannels(1)
    one_hertz.setsampwidth(2)
    one_hertz.setframerate(1)
    one_hertz.writeframes(bytes(200))

# 32-bit float WAV (format 3) whose samples hold a NaN: written by hand, the wave module writes PCM only.
samples = numpy.zeros(1600, dtype="<f4")
samples[100] = numpy.nan
data = samples.tobytes()
fmt = struct.pack("<HHIIHH", 3, 1, 16000, 16000 * 4, 4, 32)
with open(os.path.join(files, "nan_samples.wav"), "wb") as out:
    out.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
    out.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)

with open(os.path.join(files, "huge_sweep.json"), "w") as out:
    json.dump({"schema": "ntp.sweep/1", "topology_file": "t.xml", "axes": [], "points_total": 4e12,
               "shard": {"index": 1, "count": 1}, "points": []}, out)
with open(os.path.join(files, "mistyped_record.json"), "w") as out:
    json.dump({"schema": "ntp.run/1", "nodes": "fast"}, out)


def exported(topology, *sets):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        arguments = [ntp, "export", topology, "-o", path]
        for value in sets:
            arguments += ["--set", value]
        subprocess.run(arguments, check=True, capture_output=True)
        return onnx.load(path)


tiny = os.path.join(files, "tiny.xml")
onnx.save(exported(tiny), os.path.join(files, "tiny.onnx"))
future = exported(tiny)
for entry in future.opset_import:
    if entry.domain in ("", "ai.onnx"):
        entry.version = 999
onnx.save(future, os.path.join(files, "future_opset.onnx"))
mistyped = exported(tiny)
for entry in mistyped.metadata_props:
    if entry.key == "ntp.inputs":
        entry.value = json.dumps({"x": {"a": "low"}})
onnx.save(mistyped, os.path.join(files, "mistyped_metadata.onnx"))
decoder = exported(os.path.join("examples", "deepspeech-v0.1-e2e.xml"), "hidden=8")
for node in decoder.graph.node:
    if node.op_type == "ctc_beam":
        node.attribute.append(helper.make_attribute("lm", "/etc/passwd"))
onnx.save(decoder, os.path.join(files, "lm_outside.onnx"))
