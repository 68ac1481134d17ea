// The back-end interface: a back end compiles one node at a time into a Kernel; the generic executable
// runs kernels in graph order, reports every node to the observer, and runs nodes a back end does not
// support on the reference back end.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
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
};

}  // namespace ntp
