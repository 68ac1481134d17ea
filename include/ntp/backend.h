// The back-end interface: a back end compiles one node at a time into a Kernel; the generic executable
// runs kernels in graph order, reports every node to the observer, and runs nodes a back end does not
// support on the reference back end.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/observer.h"
#include "ntp/tensor.h"
#include "ntp/weights.h"

namespace ntp {

struct CompileOptions {
  DType precision = DType::f32;
  int threads = 0;  // 0: the library's default
  const WeightStore* weights = nullptr;
  // int8 runs: the largest |value| of every graph value (by value index), from a calibration run in fp32.
  const std::vector<float>* value_ranges = nullptr;
  // Streaming (--mode stream): the graph sees one chunk of a longer input per run, and ops with memory
  // (recurrent layers, context windows) carry it from one run to the next until Kernel::reset_stream().
  bool streaming = false;
};

// How an fp32 tensor is quantised for a kernel that takes int8 or uint8: q = round(x * scale + zero_point).
struct Quantization {
  float scale = 1;
  float zero_point = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Inputs and outputs are plain row-major tensors shaped as the graph says, of the element types below;
  // the executor allocates the outputs and converts between kernels whose types differ (a timed step).
  virtual void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) = 0;
  virtual DType input_dtype(std::size_t /*index*/) const { return DType::f32; }
  virtual DType output_dtype(std::size_t /*index*/) const { return DType::f32; }
  // For an int8 / uint8 input: how the executable's explicit quantise step maps fp32 to it.
  virtual Quantization input_quantization(std::size_t /*index*/) const { return {}; }
  // What the library chose, e.g. oneDNN's "brgemm:avx512_core"; "reference" for plain C++.
  virtual std::string implementation() const = 0;
  // Streaming: forget what earlier chunks left (a recurrent layer's state), as at the start of a stream.
  virtual void reset_stream() {}
  // The library's own timing of the last run() in ms, where it keeps one (e.g. OpenCV's per-layer ticks
  // summed over the node's layers); read after each run and reported beside NTP's measured time.
  virtual std::optional<double> library_time_ms() const { return std::nullopt; }
};

// A back end that runs whole graphs in its own engine (ONNX Runtime, in a Node.js process) rather than node
// by node: what it is handed, and what it measured. The session turns the result into a run record.
struct GraphRunRequest {
  const Graph* graph = nullptr;
  const WeightStore* weights = nullptr;
  const std::map<std::string, Tensor>* inputs = nullptr;  // f32, by graph input name
  // The model file the graph was loaded from when it is an ONNX model: run as given, not re-exported.
  std::string onnx_file;
  DType precision = DType::f32;
  int threads = 0;  // intra-op threads, in all (0: the engine's default)
  int warmup = 2;
  int iterations = 10;      // measured runs per stream, unless time_seconds > 0
  double time_seconds = 0;  // > 0: measure until this much time has passed
  bool throughput = false;  // concurrent streams, each with threads / streams
  int streams = 1;
  bool layer_timing = true;          // a second, profiled pass: each engine node's time per run
  int trace_iterations = 1;          // profiled runs kept as a timeline (-1: all)
  bool want_outputs = false;         // the first run's outputs (GraphRunResult::outputs)
  bool every_layer_output = false;   // every layer's output too (a check), where the model is NTP's export
  std::string optimization = "all";  // ONNX Runtime: disable | basic | extended | all
  std::string execution = "sequential";  // ONNX Runtime: sequential | parallel
  double timeout_seconds = 600;          // the engine is stopped after this long
  const std::atomic<bool>* stop = nullptr;
};

// One node of the engine's optimised graph, with the NTP layers it computes.
struct EngineNode {
  std::string name, op, provider;
  // The layers it covers, in graph order: one for a node of a layer, several where the engine fused
  // layers (Conv + a separate Relu layer), and for a node the engine inserted (a layout reorder) the layer
  // it serves.
  std::vector<std::string> layers;
  std::string mapped_by;       // how `layers` was found: value | name | neighbour | none
  std::vector<double> run_ms;  // kernel time in each profiled run
};

struct EngineTraceEvent {
  int node = 0;  // index into GraphRunResult::nodes
  int iteration = 0;
  double begin_us = 0, end_us = 0;  // since the start of the run
};

struct GraphRunResult {
  std::string engine_version;
  double session_seconds = 0;  // creating the engine's session (loading and optimising the graph)
  nlohmann::json settings;     // what the engine ran with (optimisation, execution, threads, quantisation)
  double cold_ms = 0;
  std::vector<double> latency_ms;  // every measured run of every stream, stream 0's first
  double wall_seconds = 0;
  std::uint64_t inferences = 0;
  std::string stopped_by = "iterations";  // iterations | time | interrupted
  // The engine's process: resident bytes before its session was created, after the measured runs, and at
  // its peak.
  std::int64_t rss_before = 0, rss_after = 0, peak_rss = 0;
  // With layer timing: the profiled pass, run as many times as stream 0's measured runs (up to a limit).
  std::vector<double> profiled_latency_ms;
  std::vector<EngineNode> nodes;  // in execution order
  std::vector<EngineTraceEvent> trace;
  std::map<std::string, Tensor> outputs;  // value name -> f32 tensor, with want_outputs
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;  // the library's version
  virtual std::vector<DType> precisions() const = 0;
  // The ops it runs natively (others fall back to the reference back end).
  virtual std::vector<std::string> ops() const = 0;
  // Copies of the weights one executable of this back end holds at its peak: its own, plus any layout the
  // library reorders them into and keeps (oneDNN's blocked RNN and matmul weights, OpenCV's LSTM blobs).
  // Measured against peak RSS (docs/limits.md, "Memory"); the memory check multiplies the weights by it.
  virtual double weight_copies() const { return 1.0; }
  // Threads for the library's own parallelism (0: its default); called before compiling and running.
  virtual void set_threads(int /*threads*/) const {}
  virtual bool supports(const Graph& graph, int node_index, const CompileOptions& options) const = 0;
  // Throws UserError naming the node when the library refuses it.
  virtual std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                               const CompileOptions& options) const = 0;
  // True for a back end that runs whole graphs (run_graph) and compiles no node: it cannot take a share of a
  // placement, and `supports` is false for every node.
  virtual bool runs_whole_graphs() const { return false; }
  // Throws UserError for what the engine refuses or when it fails, and Interrupted when `stop` ended it
  // before a measured run finished.
  virtual GraphRunResult run_graph(const GraphRunRequest& /*request*/) const {
    throw std::logic_error(name() + " runs node by node");
  }
};

}  // namespace ntp
