#!/usr/bin/env python3
"""Checks that no folder of src/ includes a folder above it (docs/architecture.md draws the layers).

Every quoted include of another folder ("graph/...", "backends/reference/...") must name a folder of a
lower layer; folders of one layer do not include each other. Public headers ("ntp/...") are the API every
layer may use. Exits 1 and lists each include that breaks the order.
"""
import pathlib
import re
import sys

# Bottom to top: each layer may include only the layers before it.
LAYERS = [
    ["core", "io"],
    ["graph"],
    ["ops"],
    ["inlays"],
    ["backends/reference"],
    ["backends/onednn", "backends/opencv", "backends/torch"],
    ["topology", "onnx"],
    ["backends/onnxruntime"],  # exports the graph (onnx/) for the engine it drives
    ["backends"],  # the registry: which back ends this build has
    ["profile"],
    ["runtime"],
    ["record"],
    ["report"],
    ["session"],
    ["library", "cli", "python"],
]
RANK = {folder: rank for rank, layer in enumerate(LAYERS) for folder in layer}
# Folders that may use only some of the layers below them: views read records, never what produced them.
ONLY = {"report": {"core", "io", "graph", "ops", "profile", "record"}, "record": {"core"}}
# The library back ends share backends/library_backend.h (the registry's layer keeps only registry.cpp).
SHARED_HEADERS = {"backends/library_backend.h": RANK["backends/reference"]}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
root = pathlib.Path(__file__).resolve().parent.parent / "src"


def folder_of(relative: pathlib.PurePosixPath) -> str:
    parts = relative.parts
    if parts[0] == "backends" and len(parts) > 2:
        return f"backends/{parts[1]}"
    return parts[0]


problems = []
for path in sorted(root.rglob("*")):
    if path.suffix not in {".cpp", ".h"}:
        continue
    relative = pathlib.PurePosixPath(path.relative_to(root).as_posix())
    source = folder_of(relative)
    if source not in RANK:
        problems.append(f"src/{relative}: folder '{source}' has no layer in scripts/check-layers.py")
        continue
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        match = INCLUDE.match(line)
        if not match:
            continue
        included = match.group(1)
        if included.startswith("../"):
            included = str(pathlib.PurePosixPath(relative.parent.parent, included[3:]))
        if "/" not in included or included.startswith("ntp/"):
            continue  # the same folder, or the public API
        if included in SHARED_HEADERS:
            rank = SHARED_HEADERS[included]
            target = included
        else:
            target = folder_of(pathlib.PurePosixPath(included))
            if target not in RANK:
                continue  # a library's header ("onnx/onnx_pb.h" is ONNX's when src/onnx has no such file)
            if not (root / included).exists():
                continue
            rank = RANK[target]
        if target == source:
            continue
        if source in ONLY and target not in ONLY[source] and target not in SHARED_HEADERS:
            problems.append(f"src/{relative}:{number}: {source} includes {included}; it may use only "
                            f"{', '.join(sorted(ONLY[source]))}")
        elif rank >= RANK[source]:
            problems.append(f"src/{relative}:{number}: {source} includes {included}, "
                            f"a folder {'of its own layer' if rank == RANK[source] else 'above it'}")

if problems:
    print("check-layers: includes that break the layer order (docs/architecture.md):", file=sys.stderr)
    print("\n".join("  " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"check-layers: every include of src/ goes down the {len(LAYERS)} layers")
