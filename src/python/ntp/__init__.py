"""NTP, the Neural network Topology Profiler, from Python.

    import ntp, pandas
    record = ntp.run("examples/deepspeech-v0.1.xml", backend="onednn", set={"hidden": 256})
    record.latency.median                      # ms, end to end
    pandas.DataFrame(record.layers)            # one row per node: time, share, FLOPs, bytes, GFLOP/s, ...
    record.outputs                             # {graph output: numpy array}
    record                                     # in Jupyter: the HTML report

The functions take the `ntp` command's options as keyword arguments with its defaults. Bad input (a missing
file, an unknown back end, a bad `set`) raises ntp.Error, a ValueError whose text is the command's
diagnostic: file:line:column, what is wrong, and a hint.
"""

import os

import numpy as np

from . import _ntp
from ._ntp import CheckRecord, Comparison, Error, Record

__all__ = ["inspect", "run", "check", "tune", "compare", "load_record", "backends", "default_backend", "Record",
           "CheckRecord", "Comparison", "Error"]

for _class in (Error, Record, CheckRecord, Comparison):
    _class.__module__ = __name__


def _assignments(values, what):
    """{name: value} (or "name=value" strings) as the command line's "name=value" list."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if isinstance(values, dict):
        texts = []
        for name, value in values.items():
            if what == "shape" and not isinstance(value, str):
                value = ",".join(str(int(d)) for d in value)
            texts.append(f"{name}={value}")
        return texts
    return [str(value) for value in values]


def _spec(path, set, shape, batch, precision):
    spec = _ntp.ModelSpec()
    spec.file = os.fspath(path)
    spec.sets = _assignments(set, "set")
    spec.shapes = _assignments(shape, "shape")
    spec.batch = None if batch is None else int(batch)
    spec.precision = precision
    return spec


def _inputs(inputs):
    """{name: file path or array}: paths as text, arrays as float32 C-contiguous (a copy only if needed)."""
    bound = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, (str, os.PathLike)):
            bound[str(name)] = os.fspath(value)
        else:
            bound[str(name)] = np.ascontiguousarray(value, dtype=np.float32)
    return bound


def _call_text(function, path, arguments, defaults):
    """The call as text, for the record's context.command_line: what was asked, arrays by their shape."""

    def text(value):
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {text(v)}" for k, v in value.items()) + "}"
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            array = np.asarray(value)
            return f"<{array.dtype} array {list(array.shape)}>"
        return repr(value)

    parts = [repr(os.fspath(path))]
    parts += [f"{name}={text(value)}" for name, value in arguments.items()
              if value is not None and value != defaults.get(name) and not (value == {} or value == [])]
    return f"ntp.{function}({', '.join(parts)})"


def inspect(path, set=None, batch=None, precision="fp32", shape=None, inputs=None):
    """The ntp.inspect/1 document (a dict): shapes, parameters, FLOPs, bytes and memory per layer, segments
    and totals, as `ntp inspect --format json` writes it (docs/report-schema.md)."""
    return _ntp.inspect(_spec(path, set, shape, batch, precision), _inputs(inputs))


_RUN_DEFAULTS = dict(backend=None, precision="fp32", batch=None, threads=0, warmup=2, iterations=10,
                     mode="latency", streams=1, seed=1, layer_timing=True, counters="", time=0.0,
                     chunk_ms=320.0, counter_group=4, bounds=True, min_time=0.0, max_time=0.0,
                     precision_target=0.0, label="", place=None, placement=None, ort_opt="all",
                     ort_execution="sequential", engine_timeout=600.0)


def _engine(ort_opt, ort_execution, engine_timeout):
    """The onnxruntime back end's settings, as --ort-opt, --ort-execution and --engine-timeout."""
    engine = _ntp.EngineOptions()
    engine.optimization = ort_opt
    engine.execution = ort_execution
    engine.timeout_seconds = float(engine_timeout)
    return engine


def run(path, backend=None, precision="fp32", batch=None, threads=0, warmup=2, iterations=10, mode="latency",
        streams=1, seed=1, set=None, shape=None, inputs=None, layer_timing=True, counters="", time=0.0,
        chunk_ms=320.0, counter_group=4, bounds=True, min_time=0.0, max_time=0.0, precision_target=0.0,
        label="", place=None, placement=None, ort_opt="all", ort_execution="sequential", engine_timeout=600.0):
    """Profiles a model (a topology .xml or an .onnx file) on one back end and returns its Record.

    backend: a name of ntp.backends(), None for the default. set: {parameter: value} overrides; shape:
    {ONNX input: (d0, d1, ...)}; inputs: {input: numpy array or file (.npy, or audio for audio inputs)},
    whose shapes set the parameters their dimensions were written with (the batch, say). time: > 0 runs
    for that many seconds instead of `iterations`. precision_target: > 0 (0.02 for +-2%) goes on past
    `iterations` until the median's 95% confidence interval is that tight, or max_time (60 s when 0) has
    passed; min_time: measure at least this long. label: a name for the run, kept in its record's context
    and used by compare. place: {layer or segment: "backend" or "backend:precision"}, as --place;
    placement: a placement file (what tune(write_placement=...) writes), applied before place. ort_opt,
    ort_execution, engine_timeout: the onnxruntime back end's graph optimisation level, execution mode and
    time limit (docs/onnxruntime.md). bounds: classify each layer as compute or memory bound
    under this machine's ceilings (measured once per host and cached). The record's `outputs` are the
    graph's outputs after the last inference.
    """
    arguments = dict(backend=backend, precision=precision, batch=batch, threads=threads, warmup=warmup,
                     iterations=iterations, mode=mode, streams=streams, seed=seed, set=set, shape=shape,
                     inputs=inputs, layer_timing=layer_timing, counters=counters, time=time,
                     chunk_ms=chunk_ms, counter_group=counter_group, bounds=bounds, min_time=min_time,
                     max_time=max_time, precision_target=precision_target, label=label, place=place,
                     ort_opt=ort_opt, ort_execution=ort_execution, engine_timeout=engine_timeout)
    options = _ntp.ProfileOptions()
    options.backend = backend or ""
    options.threads = int(threads)
    options.seed = int(seed)
    options.warmup = int(warmup)
    options.iterations = int(iterations)
    options.time_seconds = float(time)
    options.min_time_seconds = float(min_time)
    options.max_time_seconds = float(max_time)
    options.precision_target = float(precision_target)
    options.label = str(label or "")
    options.places = _places(place)
    options.placement_file = os.fspath(placement) if placement else ""
    options.mode = mode
    options.streams = int(streams)
    options.chunk_ms = float(chunk_ms)
    options.layer_timing = bool(layer_timing)
    options.counters = counters or ""
    options.counter_group = int(counter_group)
    options.classify_bounds = bool(bounds)
    options.engine = _engine(ort_opt, ort_execution, engine_timeout)
    options.command_line = _call_text("run", path, arguments, _RUN_DEFAULTS)
    return _ntp.run(_spec(path, set, shape, batch, precision), _inputs(inputs), options)


def _places(place):
    """{layer or segment: "backend[:precision]"} as --place's NAME=BACKEND[:PRECISION] list."""
    return [f"{name}={target}" for name, target in (place or {}).items()]


def check(path, backend=None, precision="fp32", batch=None, threads=0, seed=1, tolerance=0.0, set=None,
          shape=None, inputs=None, place=None, placement=None, ort_opt="all", ort_execution="sequential",
          engine_timeout=600.0):
    """Runs the reference back end and `backend` on the same seeded weights and inputs and compares every
    layer's output; a CheckRecord (`.passed`, `.layers`, `.rows()`). tolerance 0: the precision's default.
    place: {layer or segment: "backend[:precision]"}, as run's; ort_opt, ort_execution, engine_timeout as
    run's."""
    options = _ntp.CheckOptions()
    options.backend = backend or ""
    options.threads = int(threads)
    options.seed = int(seed)
    options.tolerance = float(tolerance)
    options.places = _places(place)
    options.placement_file = os.fspath(placement) if placement else ""
    options.engine = _engine(ort_opt, ort_execution, engine_timeout)
    return _ntp.check(_spec(path, set, shape, batch, precision), _inputs(inputs), options)


def tune(path, backends=None, precisions=("fp32",), objective="latency", max_latency_ms=None, max_error=None,
         rounds=3, batch=None, threads=0, warmup=2, iterations=10, streams=1, seed=1, set=None, shape=None,
         inputs=None, write_placement=None):
    """Finds the fastest placement of layers on back ends and precisions, as `ntp tune`: every
    configuration run whole, the placement with the least predicted time searched, the best few run end to
    end against the best single configuration. Returns the tune record (ntp.tune/1) as a dict: its
    "winner" indexes "candidates", "verdict" says what to run. backends: None for every back end of this
    build but the reference. write_placement: a path for the winner's placement file, which run(...,
    placement=PATH) and check(...) take."""
    options = _ntp.ProfileOptions()
    options.threads = int(threads)
    options.seed = int(seed)
    options.warmup = int(warmup)
    options.iterations = int(iterations)
    options.streams = int(streams)
    record = _ntp.tune(_spec(path, set, shape, batch, "fp32"), _inputs(inputs), options, list(backends or []),
                       list(precisions), objective, float(max_latency_ms or 0), float(max_error or 0), int(rounds))
    if write_placement is not None and record["winner"] >= 0:
        with open(write_placement, "w", encoding="utf-8") as file:
            file.write(_ntp.placement_file_text(record, record["winner"]))
    return record


def load_record(path):
    """A run record saved as JSON (`ntp run --format json -o FILE`, or Record.to_json())."""
    return _ntp.load_record(os.fspath(path))


def _as_record(value):
    if isinstance(value, Record):
        return value
    if isinstance(value, dict):
        return Record.from_json(value)
    if isinstance(value, (str, os.PathLike)):
        return load_record(value)
    raise TypeError(f"compare takes Records, their to_dict() forms or saved records' paths, not {type(value)}")


def compare(record_a, record_b, *more, labels=None):
    """Runs side by side, layer by layer: each run's time, share and ratio to the first (the baseline), with
    a significance test. Records, their dicts or saved records' paths; labels default to what differs."""
    records = [_as_record(r) for r in (record_a, record_b, *more)]
    return _ntp.compare(records, [str(label) for label in labels or []])


def backends():
    """This build's back ends, the default first (loads none)."""
    return _ntp.backends()


def default_backend():
    return _ntp.default_backend()


# Python conveniences on the C++ record classes.

_STATISTICS = ("median", "mean", "min", "max", "p90", "p99", "stddev")


def _node_row(node):
    """One node as a flat dict, with the column names of `ntp run --format csv`, plus step and params."""
    cost, time = node.cost, node.time
    row = {"step": node.step, "name": node.name, "op": node.op, "kind": node.kind, "backend": node.backend,
           "implementation": node.implementation, "fallback": node.fallback,
           "descriptor": cost.descriptor if cost else None}
    stats = time.ms if time else None
    for statistic in _STATISTICS:
        row[f"{statistic}_ms"] = getattr(stats, statistic) if stats else None
    row["share"] = time.share if time else None
    row["flops"] = cost.flops if cost else None
    row["bytes"] = cost.bytes if cost else None
    row["params"] = cost.params if cost else None
    row["gflops_per_second"] = time.gflops_per_second if time else None
    row["gbytes_per_second"] = time.gbytes_per_second if time else None
    if node.library_time:
        row["library_median_ms"] = node.library_time.median
    for event, value in (node.counters or {}).items():
        row[f"counter:{event}"] = value
    for name, value in (node.derived or {}).items():
        row[f"derived:{name}"] = value
    for phase, memory in (("cold", node.cold_memory), ("warm", node.warm_memory)):
        if memory:
            row[f"{phase}_heap_bytes"] = memory.heap_bytes
            row[f"{phase}_rss_bytes"] = memory.rss_bytes
    bound = node.extra.get("bound")
    if bound:
        row["bound"] = bound.get("class")
        row["bound_evidence"] = bound.get("evidence")
        row["intensity_flops_per_byte"] = bound.get("intensity_flops_per_byte")
        row["share_of_roof"] = bound.get("share_of_roof")
    return row


def _record_rows(self):
    """One flat dict per node (layers, inlays, conversions) in run order: pandas.DataFrame(record.rows())."""
    return [_node_row(node) for node in self.nodes]


def _record_outputs(self):
    """{graph output: float32 numpy array} after the run's last inference; {} for a record read from JSON."""
    return self.__dict__.get("_outputs", {})


Record.rows = _record_rows
Record.layers = property(_record_rows, doc=_record_rows.__doc__)
Record.outputs = property(_record_outputs, doc=_record_outputs.__doc__)


def _check_rows(self):
    """One flat dict per checked layer: pandas.DataFrame(check.rows())."""
    return [{"name": layer.name, "op": layer.op, "backend": layer.backend, "fallback": layer.fallback,
             "max_abs_error": layer.max_abs_error, "max_rel_error": layer.max_rel_error,
             "normalised_error": layer.normalised_error, "labels_differing": layer.labels_differing,
             "passed": layer.passed} for layer in self.layers]


def _check_text(self):
    """The table of `ntp check`."""
    header = ("layer", "op", "ran on", "max abs err", "max rel err", "err / max|ref|", "result")
    rows = [(layer.name, layer.op, "reference (fallback)" if layer.fallback else layer.backend,
             f"{layer.max_abs_error:.3g}", f"{layer.max_rel_error:.3g}", f"{layer.normalised_error:.3g}",
             ("ok" if layer.passed else "FAIL")
             + (f" ({layer.labels_differing} labels differ)" if layer.labels_differing else ""))
            for layer in self.layers]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return f"{self.topology} on {self.backend} vs reference, seed {self.seed}\n\n" + "\n".join(lines) + \
        f"\n{repr(self)}\n"


CheckRecord.rows = _check_rows
CheckRecord.__str__ = _check_text
