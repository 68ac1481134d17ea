// ntp._ntp: the session API (include/ntp/session.h) for Python. The package around it (ntp/__init__.py)
// turns keyword arguments into a ModelSpec and options and numpy arrays into float32 C-contiguous ones;
// this file loads, runs and checks models with the GIL released, and raises ntp.Error for a UserError.
#include <fmt/format.h>
#include <pybind11/numpy.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "ntp/registry.h"
#include "ntp/session.h"
#include "report/compare.h"

namespace py = pybind11;

namespace ntp::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style>;

Tensor tensor_of(const std::string& name, py::handle value) {
  if (!py::isinstance<FloatArray>(value))
    throw UserError(kCommandLine, fmt::format("input '{}' is not a C-contiguous float32 array", name),
                    "ntp.run converts its inputs with numpy.ascontiguousarray(value, dtype=numpy.float32)");
  const auto array = py::reinterpret_borrow<FloatArray>(value);
  // A Tensor owns its (aligned) buffer and cannot wrap the array's memory, so the data is copied once here
  // (the executable copies its inputs into its own tensors on every run, as for .npy files).
  Tensor tensor(Shape(array.shape(), array.shape() + array.ndim()), DType::f32);
  if (tensor.bytes() != 0) std::memcpy(tensor.data(), array.data(), tensor.bytes());
  return tensor;
}

// {name: file path (str) or float32 array} as the session's input data.
std::vector<InputData> input_data(const py::dict& inputs) {
  std::vector<InputData> data;
  for (const auto& [key, value] : inputs) {
    const std::string name = py::str(key);
    if (py::isinstance<py::str>(value))
      data.push_back({name, value.cast<std::string>(), std::nullopt});
    else
      data.push_back({name, "", tensor_of(name, value)});
  }
  return data;
}

// The array over a tensor's buffer, which the array's base (a capsule holding the Tensor, whose copies
// share their buffer) keeps alive after the executable that wrote it is gone.
py::array array_of(Tensor tensor) {
  auto owner = std::make_unique<Tensor>(std::move(tensor));
  const std::vector<py::ssize_t> shape(owner->shape().begin(), owner->shape().end());
  float* data = owner->as<float>();
  py::capsule base(owner.get(), [](void* pointer) { delete static_cast<Tensor*>(pointer); });
  owner.release();
  return FloatArray(shape, data, base);
}

// The graph's outputs after the run, by name, as float32 arrays: a float32 output is the executable's own
// buffer (no copy), any other type is converted once.
py::dict outputs_of(const Executable& executable) {
  py::dict outputs;
  const Graph& graph = executable.graph();
  for (const int index : graph.outputs) {
    const Tensor& value = executable.value(index);
    outputs[py::str(graph.values[static_cast<std::size_t>(index)].name)] =
        array_of(value.dtype() == DType::f32 ? value : executable.value_f32(index));
  }
  return outputs;
}

nlohmann::json inspect(const ModelSpec& spec, const py::dict& inputs) {
  const std::vector<InputData> data = input_data(inputs);
  const py::gil_scoped_release release;
  return Model::load(spec, data).inspect();
}

py::object run(const ModelSpec& spec, const py::dict& inputs, const ProfileOptions& options) {
  const std::vector<InputData> data = input_data(inputs);
  ProfiledRun profiled;
  {
    const py::gil_scoped_release release;
    const Model model = Model::load(spec, data);
    profiled = ntp::run(model, options);
  }
  // A back end that runs whole graphs in its own engine (onnxruntime) leaves no executable to read.
  py::dict outputs = profiled.executable ? outputs_of(*profiled.executable) : py::dict();
  py::object record = py::cast(std::move(profiled.record));
  record.attr("_outputs") = outputs;
  return record;
}

CheckRecord check(const ModelSpec& spec, const py::dict& inputs, const CheckOptions& options) {
  const std::vector<InputData> data = input_data(inputs);
  const py::gil_scoped_release release;
  return ntp::check(Model::load(spec, data), options);
}

Comparison compare(const py::sequence& records, const std::vector<std::string>& labels) {
  std::vector<nlohmann::json> jsons;
  for (const py::handle record : records)
    jsons.push_back(record.cast<const RunRecord&>().to_json());
  if (!labels.empty() && labels.size() != jsons.size())
    throw UserError(kCommandLine, fmt::format("{} labels for {} records", labels.size(), jsons.size()),
                    "give one label per record, or none");
  return {report::compare_records(jsons, labels)};
}

// `ntp tune`: the tune record as a dict (ntp.tune/1). `options` sets every run's threads, warm-up,
// iterations, streams and seed; constraints <= 0 are off.
nlohmann::json tune(const ModelSpec& spec, const py::dict& inputs, const ProfileOptions& options,
                    const std::vector<std::string>& backends, const std::vector<std::string>& precisions,
                    const std::string& objective, double max_latency_ms, double max_error, int rounds) {
  const std::vector<InputData> data = input_data(inputs);
  TuneOptions tune_options;
  tune_options.backends = backends;
  tune_options.precisions = precisions;
  tune_options.objective = objective;
  if (max_latency_ms > 0) tune_options.max_latency_ms = max_latency_ms;
  if (max_error > 0) tune_options.max_error = max_error;
  tune_options.rounds = rounds;
  tune_options.profile = options;
  const py::gil_scoped_release release;
  return ntp::tune(spec, data, tune_options).record.to_json();
}

// A run record saved as JSON (`ntp run --format json`, Record.to_json()); errors name the file.
RunRecord load_record(const std::string& path) {
  std::ifstream file(path);
  if (!file)
    throw UserError({path, 0, 0}, "cannot read the record file",
                    "give the path of a file written by `ntp run --format json -o FILE` or Record.to_json()");
  const nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (json.is_discarded())
    throw UserError({path, 0, 0}, "the file is not JSON", "give a file written by `ntp run --format json`");
  try {
    return RunRecord::from_json(json);
  } catch (const UserError& error) {
    Diagnostic diagnostic = error.diagnostic();
    diagnostic.where = {path, 0, 0};
    throw UserError(diagnostic);
  }
}

void bind_options(py::module_& module) {
  py::class_<ModelSpec>(module, "ModelSpec", "What to load and how to shape it (include/ntp/session.h).")
      .def(py::init<>())
      .def_readwrite("file", &ModelSpec::file)
      .def_readwrite("sets", &ModelSpec::sets)
      .def_readwrite("shapes", &ModelSpec::shapes)
      .def_readwrite("batch", &ModelSpec::batch)
      .def_readwrite("precision", &ModelSpec::precision);

  py::class_<EngineOptions>(module, "EngineOptions",
                            "The onnxruntime back end's settings (include/ntp/session.h).")
      .def(py::init<>())
      .def_readwrite("optimization", &EngineOptions::optimization)
      .def_readwrite("execution", &EngineOptions::execution)
      .def_readwrite("timeout_seconds", &EngineOptions::timeout_seconds);

  py::class_<ProfileOptions>(module, "ProfileOptions", "How to run and measure (include/ntp/session.h).")
      .def(py::init<>())
      .def_readwrite("backend", &ProfileOptions::backend)
      .def_readwrite("threads", &ProfileOptions::threads)
      .def_readwrite("seed", &ProfileOptions::seed)
      .def_readwrite("warmup", &ProfileOptions::warmup)
      .def_readwrite("iterations", &ProfileOptions::iterations)
      .def_readwrite("time_seconds", &ProfileOptions::time_seconds)
      .def_readwrite("min_time_seconds", &ProfileOptions::min_time_seconds)
      .def_readwrite("max_time_seconds", &ProfileOptions::max_time_seconds)
      .def_readwrite("precision_target", &ProfileOptions::precision_target)
      .def_readwrite("mode", &ProfileOptions::mode)
      .def_readwrite("streams", &ProfileOptions::streams)
      .def_readwrite("chunk_ms", &ProfileOptions::chunk_ms)
      .def_readwrite("layer_timing", &ProfileOptions::layer_timing)
      .def_readwrite("counters", &ProfileOptions::counters)
      .def_readwrite("counter_group", &ProfileOptions::counter_group)
      .def_readwrite("classify_bounds", &ProfileOptions::classify_bounds)
      .def_readwrite("command_line", &ProfileOptions::command_line)
      .def_readwrite("label", &ProfileOptions::label)
      .def_readwrite("places", &ProfileOptions::places)
      .def_readwrite("placement_file", &ProfileOptions::placement_file)
      .def_readwrite("engine", &ProfileOptions::engine);

  py::class_<CheckOptions>(module, "CheckOptions", "How to check (include/ntp/session.h).")
      .def(py::init<>())
      .def_readwrite("backend", &CheckOptions::backend)
      .def_readwrite("threads", &CheckOptions::threads)
      .def_readwrite("seed", &CheckOptions::seed)
      .def_readwrite("tolerance", &CheckOptions::tolerance)
      .def_readwrite("places", &CheckOptions::places)
      .def_readwrite("placement_file", &CheckOptions::placement_file)
      .def_readwrite("engine", &CheckOptions::engine);
}

}  // namespace

}  // namespace ntp::python

PYBIND11_MODULE(_ntp, module) {
  using namespace ntp::python;
  module.doc() = "NTP's session API and report views; use the package `ntp` around it.";

  // ntp.Error: a ValueError whose text is the diagnostic (file:line:column: error: message, and the hint),
  // with its parts as attributes. Created once and kept for the life of the process.
  static py::exception<ntp::UserError> error(module, "Error", PyExc_ValueError);
  error.doc() = "Bad input: a missing or malformed file, an unknown back end or option, a bad --set.";
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const ntp::UserError& caught) {
      const ntp::Diagnostic& diagnostic = caught.diagnostic();
      // The class called as an object (py::exception's own operator() sets a plain error instead).
      py::object instance = py::reinterpret_borrow<py::object>(error)(diagnostic.to_string());
      instance.attr("file") = diagnostic.where.file;
      instance.attr("line") = diagnostic.where.line;
      instance.attr("column") = diagnostic.where.column;
      instance.attr("message") = diagnostic.message;
      instance.attr("hint") = diagnostic.hint;
      PyErr_SetObject(error.ptr(), instance.ptr());
    }
  });

  bind_records(module);
  bind_options(module);

  module.def("inspect", &inspect, py::arg("spec"), py::arg("inputs"),
             "the ntp.inspect/1 document: per-layer cost, segments, totals and memory");
  module.def("run", &run, py::arg("spec"), py::arg("inputs"), py::arg("options"),
             "a profiled run's Record, its graph outputs in `_outputs`");
  module.def("check", &check, py::arg("spec"), py::arg("inputs"), py::arg("options"));
  module.def("tune", &tune, py::arg("spec"), py::arg("inputs"), py::arg("options"), py::arg("backends"),
             py::arg("precisions"), py::arg("objective"), py::arg("max_latency_ms"), py::arg("max_error"),
             py::arg("rounds"), "ntp tune's record (ntp.tune/1) as a dict");
  module.def(
      "placement_file_text",
      [](const nlohmann::json& record, int candidate) {
        return ntp::placement_file_text(ntp::TuneRecord::from_json(record), candidate);
      },
      py::arg("record"), py::arg("candidate"));
  module.def("compare", &compare, py::arg("records"), py::arg("labels"));
  module.def("load_record", &load_record, py::arg("path"));
  module.def("backends", &ntp::backend_names, "this build's back ends, the default first; loads none");
  module.def("default_backend", &ntp::default_backend_name);
}
