"""The Python module: ntp.inspect, run, check, compare and the records, on the small CNN and a small
DeepSpeech, on the reference back end and the default one. Run by ctest (tests/python/CMakeLists.txt) with
PYTHONPATH=build/python; each model is run once per back end and the tests share those runs."""

import os
import pathlib
import threading
import time

import numpy as np
import pandas as pd
import pytest

import ntp

SOURCE = pathlib.Path(os.environ.get("NTP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SMALL_CNN = SOURCE / "examples" / "small-cnn.xml"
DEEPSPEECH = SOURCE / "examples" / "deepspeech-v0.1.xml"
MODELS = {"small-cnn": (SMALL_CNN, {}), "deepspeech": (DEEPSPEECH, {"hidden": "64"})}
# One warm-up and two measured iterations; no roofline classification (its first measurement on a host
# takes seconds; the CLI's tests cover it).
FAST = dict(warmup=1, iterations=2, bounds=False)
DEFAULT = ntp.default_backend()


@pytest.fixture(scope="module", params=list(MODELS))
def runs(request):
    """{back end: Record} of one model on the reference back end and the default one."""
    path, sets = MODELS[request.param]
    return {backend: ntp.run(path, backend=backend, set=sets, **FAST) for backend in ("reference", DEFAULT)}


def test_backends_are_listed_default_first():
    names = ntp.backends()
    assert "reference" in names
    assert names[0] == DEFAULT


def test_inspect_counts_flops_and_the_batch_changes_shapes():
    one = ntp.inspect(SMALL_CNN)
    assert one["totals"]["flops"] > 0
    assert all(layer["flops"] >= 0 for layer in one["layers"])
    four = ntp.inspect(SMALL_CNN, batch=4)
    assert [layer["output_shapes"][0][0] for layer in one["layers"]] == [1] * len(one["layers"])
    assert [layer["output_shapes"][0][0] for layer in four["layers"]] == [4] * len(four["layers"])
    assert four["totals"]["flops"] == pytest.approx(4 * one["totals"]["flops"])
    small = ntp.inspect(DEEPSPEECH, set={"hidden": 64})
    assert str(small["topology"]["params"]["hidden"]) == "64"
    assert small["totals"]["flops"] < ntp.inspect(DEEPSPEECH, set=["hidden=128"])["totals"]["flops"]


def test_record_attributes_agree_with_its_dict(runs):
    for backend, record in runs.items():
        data = record.to_dict()
        assert data["schema"] == "ntp.run/1"
        assert record.options.backend == data["options"]["backend"] == backend
        assert (record.options.warmup, record.options.iterations) == (1, 2)
        assert record.latency.median == record.latency.ms.median == data["latency"]["median"] > 0
        assert record.latency.count == 2
        assert record.topology.name == data["topology"]["name"]
        assert record.context.host == data["context"]["host"]
        assert record.context.command_line.startswith("ntp.run(")
        assert len(record.nodes) == len(data["nodes"]) > 0
        for node, entry in zip(record.nodes, data["nodes"]):
            assert (node.name, node.op, node.kind, node.backend) == (entry["name"], entry["op"], entry["kind"],
                                                                      entry["backend"])
            assert node.time.median == node.time.ms.median == entry["time_ms"]["median"]
            assert node.share == entry["share"]
            if node.cost:
                assert node.cost.flops == entry["flops"]
        assert record.find_node(record.nodes[0].name).name == record.nodes[0].name
        assert record.find_node("no such node") is None


def test_rows_make_a_dataframe_with_one_row_per_node(runs):
    for record in runs.values():
        frame = pd.DataFrame(record.layers)
        assert len(frame) == len(record.nodes)
        assert frame["name"].tolist() == [node.name for node in record.nodes]
        for column in ("op", "kind", "backend", "implementation", "fallback", "median_ms", "share", "flops",
                       "bytes", "gflops_per_second"):
            assert column in frame.columns
        layers = frame[frame["kind"] == "layer"]
        assert (layers["median_ms"] > 0).all()
        assert layers["flops"].sum() > 0
        assert 0 < frame["share"].sum() < 1.5
        assert record.rows() == record.layers


def test_outputs_agree_between_reference_and_the_default_back_end(runs):
    reference, default = runs["reference"].outputs, runs[DEFAULT].outputs
    assert reference.keys() == default.keys() and len(reference) > 0
    for name, expected in reference.items():
        assert expected.dtype == np.float32
        # The executable's own buffer, kept alive by the array's base: no copy.
        assert not expected.flags.owndata and expected.base is not None
        scale = float(np.abs(expected).max()) or 1.0
        np.testing.assert_allclose(default[name], expected, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


def test_input_arrays_change_the_outputs_and_set_the_batch(tmp_path):
    generator = np.random.default_rng(7)
    images = generator.random((3, 3, 32, 32))  # float64: converted to float32 once
    first = ntp.run(SMALL_CNN, backend="reference", inputs={"image": images}, **FAST)
    assert first.options.batch == 3
    (name, probs), = first.outputs.items()
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    other = ntp.run(SMALL_CNN, backend="reference", inputs={"image": images[::-1]}, **FAST)
    assert not np.allclose(other.outputs[name], probs)
    np.testing.assert_allclose(other.outputs[name][::-1], probs, rtol=1e-5)
    # A non-contiguous view, and the same data from an .npy file, give the same outputs.
    strided = np.asfortranarray(images.astype(np.float32))
    assert np.array_equal(ntp.run(SMALL_CNN, backend="reference", inputs={"image": strided}, **FAST)
                          .outputs[name], probs)
    np.save(tmp_path / "images.npy", images.astype(np.float32))
    from_file = ntp.run(SMALL_CNN, backend="reference", inputs={"image": tmp_path / "images.npy"}, **FAST)
    assert np.array_equal(from_file.outputs[name], probs)
    # DeepSpeech's features are frames,batch,494: both follow the array.
    features = generator.standard_normal((20, 2, 494)).astype(np.float32)
    speech = ntp.run(DEEPSPEECH, backend="reference", set={"hidden": 64}, inputs={"features": features}, **FAST)
    assert speech.options.batch == 2
    assert speech.topology.params["frames"] == "20"


def test_records_round_trip_through_json(runs, tmp_path):
    record = runs[DEFAULT]
    again = ntp.Record.from_json(record.to_json())
    assert again.to_dict() == record.to_dict()
    assert again.outputs == {}
    assert ntp.Record.from_json(record.to_dict()).to_dict() == record.to_dict()
    (tmp_path / "run.json").write_text(record.to_json())
    loaded = ntp.load_record(tmp_path / "run.json")
    assert [node.name for node in loaded.nodes] == [node.name for node in record.nodes]
    check = ntp.CheckRecord.from_json(ntp.check(SMALL_CNN, backend="reference").to_json())
    assert check.passed


def test_compare_lines_up_two_records(runs, tmp_path):
    reference, default = runs["reference"], runs[DEFAULT]
    comparison = ntp.compare(reference, default)
    data = comparison.to_dict()
    assert data["schema"] == "ntp.compare/1"
    assert [run["backend"] for run in data["runs"]] == ["reference", DEFAULT]
    text = str(comparison)
    html = comparison._repr_html_()
    for node in reference.nodes:
        assert node.name in text and node.name in html
    (tmp_path / "default.json").write_text(default.to_json())
    labelled = ntp.compare(reference.to_dict(), tmp_path / "default.json", labels=["before", "after"])
    assert [run["label"] for run in labelled.to_dict()["runs"]] == ["before", "after"]
    assert "after" in repr(labelled)


def test_the_html_report_names_every_layer(runs):
    for record in runs.values():
        html = record._repr_html_()
        assert html.lstrip().lower().startswith("<!doctype html")
        for node in record.nodes:
            assert node.name in html
        assert record.nodes[0].name in str(record)


def test_check_passes_on_the_default_back_end():
    for path, sets in MODELS.values():
        check = ntp.check(path, backend=DEFAULT, set=sets)
        assert check.passed and bool(check) and check.failures == 0
        assert check.backend == DEFAULT
        assert len(check.layers) == len(check.rows()) > 0
        assert check.to_dict()["layers"][0]["name"] == check.layers[0].name
        assert "vs reference" in str(check)


def test_the_gil_is_released_while_a_model_runs():
    done = []
    # About 0.3 s of work: with the GIL held this thread would wake once or twice, not every millisecond.
    worker = threading.Thread(target=lambda: done.append(
        ntp.run(DEEPSPEECH, backend="reference", set={"hidden": 64}, warmup=1, iterations=20, bounds=False)))
    worker.start()
    ticks = 0
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert done and ticks >= 20


@pytest.mark.parametrize("call, expected", [
    (lambda: ntp.run("no/such/model.xml"), ["no/such/model.xml", "hint:"]),
    (lambda: ntp.inspect(SMALL_CNN, set={"widht": 8}), ["widht", "did you mean 'width'"]),
    (lambda: ntp.run(DEEPSPEECH, set={"hidden": "many"}), [f"{DEEPSPEECH}:", "'many'", "hint:"]),
    (lambda: ntp.run(SMALL_CNN, backend="nosuch"), ["no back end 'nosuch'", "reference"]),
    (lambda: ntp.check(SMALL_CNN, backend="nosuch"), ["no back end 'nosuch'"]),
    (lambda: ntp.run(SMALL_CNN, precision="fp7"), ["fp7", "hint:"]),
    (lambda: ntp.run(SMALL_CNN, mode="fastest"), ["--mode fastest", "latency"]),
    (lambda: ntp.run(SMALL_CNN, iterations=0), ["--iterations 0"]),
    (lambda: ntp.run(SMALL_CNN, precision_target=2), ["--precision-target 2", "fraction"]),
    (lambda: ntp.run(SMALL_CNN, time=1, max_time=2), ["--time fixes how long"]),
    (lambda: ntp.run(SMALL_CNN, inputs={"pixels": np.zeros(3)}), ["no input 'pixels'", "image"]),
    (lambda: ntp.run(SMALL_CNN, inputs={"image": np.zeros((3, 32))}), ["shape [3, 32] in the array"]),
    (lambda: ntp.run(SMALL_CNN, inputs={"image": "no/such.npy"}), ["no/such.npy"]),
    (lambda: ntp.load_record("no/such/run.json"), ["no/such/run.json", "hint:"]),
    (lambda: ntp.Record.from_json("{}"), ["not a run record"]),
    (lambda: ntp.Record.from_json("not json"), ["not JSON"]),
])
def test_bad_input_raises_ntp_error_with_where_and_a_hint(call, expected):
    with pytest.raises(ntp.Error) as raised:
        call()
    assert isinstance(raised.value, ValueError)
    text = str(raised.value)
    for part in expected:
        assert part in text
    assert text.startswith(raised.value.file)
    assert raised.value.hint in text


def test_a_malformed_topology_names_its_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text('<topology name="broken">\n  <input name="x" shape="1,4"/>\n  <layer name="f" type="fc"/>\n')
    with pytest.raises(ntp.Error) as raised:
        ntp.run(broken)
    assert str(raised.value).startswith(f"{broken}:")
    assert raised.value.line > 0


def test_compare_refuses_what_is_not_a_record():
    with pytest.raises(TypeError):
        ntp.compare(1, 2)


def test_a_dict_without_a_json_form_is_a_type_error():
    for value in ({1, 2}, 2**70, object()):
        with pytest.raises(TypeError):
            ntp.Record.from_json({"schema": "ntp.run/1", "value": value})


def test_a_precision_target_runs_until_the_median_is_known_that_well():
    record = ntp.run(SMALL_CNN, backend="reference", warmup=1, iterations=6, precision_target=0.2, max_time=20,
                     bounds=False, label="tight")
    assert record.context.label == "tight"
    latency = record.to_dict()["latency"]
    assert latency["stopped_by"] in ("precision target", "max time")
    interval = latency["median_interval"]
    assert interval["low"] <= latency["median"] <= interval["high"]
    if latency["stopped_by"] == "precision target":
        assert interval["relative_half_width"] <= 0.2
    assert record.latency.stopped_by == latency["stopped_by"] and not record.latency.partial
    assert record.latency.median_interval.low_ms == interval["low"]
    assert record.options.precision_target == 0.2
    assert "precision_target=0.2" in record.to_dict()["context"]["command_line"]


def test_tune_finds_a_placement_that_run_and_check_take(tmp_path):
    placement = tmp_path / "deepspeech.placement"
    backends = list(dict.fromkeys(["reference", DEFAULT]))
    record = ntp.tune(DEEPSPEECH, backends=backends, set={"hidden": "32", "frames": "8"},
                      rounds=1, warmup=0, iterations=3, write_placement=placement)
    assert record["schema"] == "ntp.tune/1"
    assert [config["name"] for config in record["configs"]] == [f"{b}:fp32" for b in backends]
    winner = record["candidates"][record["winner"]]
    run = ntp.run(DEEPSPEECH, set={"hidden": "32", "frames": "8"}, placement=placement, **FAST)
    ran = {node.name: f"{node.backend}:fp32" for node in run.nodes if node.kind == "layer"}
    assert ran == {place["layer"]: place["config"] for place in winner["placement"]}
    assert ntp.check(DEEPSPEECH, set={"hidden": "32", "frames": "8"}, placement=placement).passed


def test_a_layer_placed_on_the_reference_back_end_runs_there():
    record = ntp.run(DEEPSPEECH, set={"hidden": "64"}, place={"recurrent": "reference"}, **FAST)
    backends = {node.name: node.backend for node in record.nodes}
    assert backends["bilstm"] == "reference"
    assert backends["fc1"] == DEFAULT
    assert ntp.check(DEEPSPEECH, set={"hidden": "64"}, place={"fc1": "reference"}).passed



def test_onnxruntime_runs_whole_with_its_settings_and_checks():
    if "onnxruntime" not in ntp.backends():
        pytest.skip("the onnxruntime back end is not built")
    record = ntp.run(SMALL_CNN, backend="onnxruntime", ort_opt="basic", set={"size": "16", "width": "4"}, **FAST)
    assert record.options.backend == "onnxruntime"
    assert record.to_dict()["onnxruntime"]["optimization"] == "basic"
    assert record.outputs == {}  # the engine ran in its own process: no executable to read
    assert all(node.time.median >= 0 for node in record.nodes)
    assert ntp.check(DEEPSPEECH, backend="onnxruntime", set={"hidden": "16"}).passed
    with pytest.raises(ntp.Error, match="no such optimisation level"):
        ntp.run(SMALL_CNN, backend="onnxruntime", ort_opt="max", **FAST)
