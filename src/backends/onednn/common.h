// Shared pieces of the oneDNN back end: the engine and stream, memory descriptors for NTP's plain tensors,
// and the kernel that runs one or more primitives on the executable's buffers.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::onednn {

using dnnl::memory;

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};
Context& context();

memory::data_type data_type(DType type);
memory::dims dims_of(const Shape& shape);
// Row-major ("plain") descriptor of a shape.
memory::desc plain(const Shape& shape, memory::data_type type);
// A weight of the node, from the store, converted to `type` in a plain memory of `shape` (defaults to its
// own).
memory weight_memory(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                     memory::data_type type, const Shape& shape = {});
// Reorders `source` into a new memory of `target` descriptor, once.
memory reordered(const memory& source, const memory::desc& target);

// One node's compiled work: primitives executed in order on argument maps whose placeholders for the node's
// inputs and outputs point at the executable's tensors on every run.
class PrimitiveKernel : public Kernel {
 public:
  PrimitiveKernel(DType io_type, std::size_t inputs, std::size_t outputs);
  // Placeholders: memories (with no buffer) standing for input i / output i in the argument maps.
  memory& input(std::size_t index) { return inputs_.at(index); }
  memory& output(std::size_t index) { return outputs_.at(index); }
  void bind_input(std::size_t index, const memory::desc& desc);
  // An input the kernel takes quantised (int8 / uint8): the executable's quantise step produces it.
  void quantized_input(std::size_t index, DType type, Quantization quantization);
  void bind_output(std::size_t index, const memory::desc& desc);
  void add(dnnl::primitive primitive, std::unordered_map<int, memory> arguments,
           const std::string& implementation);
  // Streaming: after every run `last` (a primitive's final state) is copied into `initial` (the state the
  // next run starts from, same layout); reset_stream() zeroes every `initial`.
  void carry_state(memory last, memory initial);
  void reset_stream() override;

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override;
  std::string implementation() const override { return implementation_; }
  DType input_dtype(std::size_t index) const override { return input_types_.at(index); }
  Quantization input_quantization(std::size_t index) const override { return input_quantizations_.at(index); }
  DType output_dtype(std::size_t) const override { return io_type_; }

 private:
  DType io_type_;
  std::vector<DType> input_types_;
  std::vector<Quantization> input_quantizations_;
  std::vector<memory> inputs_;
  std::vector<memory> outputs_;
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps_;
  std::vector<std::pair<memory, memory>> carried_states_;  // (last, initial)
  std::string implementation_;
};

// The element type kernels exchange at the given run precision (int8 runs exchange fp32).
DType io_type(DType precision);

// Node kernel factories, one per op family. Each throws dnnl::error or UserError; the back end names the
// node.
using Factory = std::function<std::unique_ptr<Kernel>(const Graph&, int node, const CompileOptions&)>;
std::unique_ptr<Kernel> make_fc(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_reduction(const Graph& graph, int node, const CompileOptions& options);
// int8 (s8 x s8 -> f32, dequantised by per-channel output scales), for --precision int8.
std::unique_ptr<Kernel> make_fc_int8(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_lstm_int8(const Graph& graph, int node, const CompileOptions& options);
// The calibrated max |x| of the node's input `index` (1 when no calibration was given).
float input_range(const Graph& graph, int node, std::size_t index, const CompileOptions& options);
std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_rnn(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_conv(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_conv_transpose(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_pool(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_batchnorm(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_layernorm(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_eltwise(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_softmax(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_binary(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_concat(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_transpose(const Graph& graph, int node, const CompileOptions& options);

// add / mul: the first input shaped as the output (-1 when every input is broadcast).
int full_size_input(const Graph& graph, int node);

// The fused activation of fc and conv layers as a post-op (empty when none).
dnnl::post_ops activation_post_ops(const Attributes& attrs);

inline const Value& input_value(const Graph& graph, int node, std::size_t index) {
  return graph.values[static_cast<std::size_t>(graph.nodes[static_cast<std::size_t>(node)].inputs.at(index))];
}
inline const Value& output_value(const Graph& graph, int node, std::size_t index) {
  return graph
      .values[static_cast<std::size_t>(graph.nodes[static_cast<std::size_t>(node)].outputs.at(index))];
}

}  // namespace ntp::onednn
