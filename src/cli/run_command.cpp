#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "commands.h"
#include "io/npy.h"
#include "load.h"
#include "ntp/analysis.h"
#include "ntp/registry.h"
#include "output.h"
#include "profile/step_timer.h"
#include "report/run_record.h"
#include "runtime/calibration.h"

namespace ntp::cli {

namespace {

const SourceLocation kCommandLine{"<command line>", 0, 0};

const Backend& choose_backend(const std::string& name) {
  const std::string wanted = name.empty() ? default_backend_name() : name;
  if (const Backend* backend = find_backend(wanted)) return *backend;
  std::vector<std::string> names;
  for (const Backend* backend : available_backends())
    names.push_back(backend->name());
  throw UserError(kCommandLine, fmt::format("this build has no back end '{}'", wanted),
                  fmt::format("back ends: {} (`ntp backends` lists them)", fmt::join(names, ", ")));
}

void check_precision(const Backend& backend, DType precision) {
  for (const DType supported : backend.precisions())
    if (supported == precision) return;
  std::vector<std::string> names;
  for (const DType supported : backend.precisions())
    names.emplace_back(dtype_name(supported));
  throw UserError(
      kCommandLine,
      fmt::format("back end '{}' cannot run {} on this machine", backend.name(), dtype_name(precision)),
      fmt::format("it runs: {}", fmt::join(names, ", ")));
}

std::map<std::string, Tensor> make_inputs(const Graph& graph, const RunArgs& args) {
  std::map<std::string, Tensor> inputs = generate_inputs(graph, args.seed);
  for (const std::string& binding : args.inputs) {
    const auto equals = binding.find('=');
    if (equals == std::string::npos)
      throw UserError(kCommandLine, fmt::format("--input '{}' is not of the form name=file.npy", binding));
    const std::string name = binding.substr(0, equals);
    const int index = graph.find_value(name);
    const bool is_input = index >= 0 && graph.values[static_cast<std::size_t>(index)].producer < 0;
    if (!is_input) {
      std::vector<std::string> names;
      for (const int input : graph.inputs)
        names.push_back(graph.values[static_cast<std::size_t>(input)].name);
      throw UserError(kCommandLine, fmt::format("--input {}: the topology has no input '{}'", name, name),
                      fmt::format("its inputs are: {}", fmt::join(names, ", ")));
    }
    Tensor tensor = io::read_npy(binding.substr(equals + 1));
    const Shape& expected = graph.values[static_cast<std::size_t>(index)].shape;
    if (tensor.shape() != expected)
      throw UserError({binding.substr(equals + 1), 0, 0},
                      fmt::format("input '{}' has shape {} in the file, the topology expects {}", name,
                                  shape_to_string(tensor.shape()), shape_to_string(expected)),
                      "set the topology's parameters to match the data, e.g. --set frames=...");
    inputs[name] = std::move(tensor);
  }
  return inputs;
}

void save_outputs(const Executable& executable, const RunArgs& args) {
  std::error_code error;
  std::filesystem::create_directories(args.save_outputs, error);
  if (error)
    throw UserError({args.save_outputs, 0, 0},
                    fmt::format("cannot create the output folder: {}", error.message()));
  const Graph& graph = executable.graph();
  std::vector<int> values = graph.outputs;
  if (args.save_all) {
    values.clear();
    for (std::size_t v = 0; v < graph.values.size(); ++v)
      if (graph.values[v].producer >= 0) values.push_back(static_cast<int>(v));
  }
  for (const int value : values) {
    std::string file = graph.values[static_cast<std::size_t>(value)].name;
    for (char& c : file)
      if (c == '/' || c == ':') c = '_';
    io::write_npy((std::filesystem::path(args.save_outputs) / (file + ".npy")).string(),
                  executable.value_f32(value));
  }
}

}  // namespace

int run_command(const RunArgs& args) {
  const Graph graph = load_graph(args.topology);
  const DType precision = parse_precision(args.topology.precision);
  const Backend& backend = choose_backend(args.backend);
  check_precision(backend, precision);
  const bool throughput = args.mode == "throughput";
  const int streams = throughput ? args.streams : 1;
  const GraphAnalysis analysis = analyze(graph, precision);
  if (const auto available = available_memory_bytes())
    if (const auto message = check_fits(analysis, *available, streams))
      throw UserError(
          {graph.source, 0, 0}, *message,
          "use a smaller --batch or smaller parameters (--set), or fewer --streams; `ntp inspect` shows "
          "where the memory goes");

  const std::map<std::string, Tensor> inputs = make_inputs(graph, args);
  const WeightStore weights = generate_weights(graph, args.seed);
  // int8 kernels take their quantisation scales from one calibrating fp32 run on the same inputs.
  const std::vector<float> ranges =
      precision == DType::s8 ? runtime::calibrate_ranges(graph, backend, weights, inputs, args.threads)
                             : std::vector<float>{};
  CompileOptions compile_options{precision, args.threads, &weights, &ranges};
  const std::int64_t compile_start = profile::now_ns();
  std::vector<std::unique_ptr<Executable>> executables;
  for (int stream = 0; stream < streams; ++stream)
    executables.push_back(std::make_unique<Executable>(graph, backend, compile_options));
  const double compile_seconds = static_cast<double>(profile::now_ns() - compile_start) * 1e-9;

  runtime::RunOptions options;
  options.warmup = args.warmup;
  options.iterations = args.iterations;
  options.time_seconds = args.time_seconds;
  options.throughput = throughput;
  options.streams = streams;
  options.threads = args.threads;
  options.layer_timing = !args.no_layer_timing;
  options.progress = true;
  std::vector<Executable*> pointers;
  for (auto& executable : executables)
    pointers.push_back(executable.get());
  const runtime::Measurements measurements = runtime::measure(pointers, backend, inputs, options);

  report::RunSettings settings{
      args.command_line, backend.name(), backend.version(), std::string(dtype_name(precision)),
      args.threads,      args.seed,      args.mode,         options,
      compile_seconds};
  const nlohmann::json record = report::make_run_record(graph, analysis, measurements, settings);
  if (!args.save_outputs.empty()) save_outputs(*executables.front(), args);
  if (args.format == "json")
    write_output(args.output, record.dump(2) + "\n");
  else if (args.format == "csv")
    write_output(args.output, report::run_csv(record));
  else if (args.format == "trace")
    write_output(args.output, report::chrome_trace(record).dump() + "\n");
  else
    write_output(args.output, report::run_table(record));
  return 0;
}

}  // namespace ntp::cli
