// Shared pieces of the torch back end: the kernel that runs one node's ATen ops on the executable's buffers
// (wrapped, not copied), weights taken from the store once, and the names of what LibTorch dispatches to.
#pragma once

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::libtorch {

// One node's work: reads the inputs (views of the executable's tensors) and writes `output`, a view of the
// executable's output buffer shaped as the graph says. Runs under c10::InferenceMode.
using Compute = std::function<void(const std::vector<at::Tensor>& inputs, at::Tensor& output)>;

class TorchKernel final : public Kernel {
 public:
  TorchKernel(const Node& node, DType io_type, Compute compute, std::string implementation)
      : node_name_(node.name),
        node_op_(node.op),
        where_(node.where),
        io_type_(io_type),
        compute_(std::move(compute)),
        implementation_(std::move(implementation)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override;
  DType input_dtype(std::size_t /*index*/) const override { return io_type_; }
  DType output_dtype(std::size_t /*index*/) const override { return io_type_; }
  std::string implementation() const override { return implementation_; }
  void reset_stream() override {
    if (on_reset_) on_reset_();
  }
  // Streaming: how the kernel forgets the state earlier chunks left.
  void on_stream_reset(std::function<void()> reset) { on_reset_ = std::move(reset); }

 private:
  std::string node_name_, node_op_;  // for errors LibTorch raises while running
  SourceLocation where_;
  DType io_type_;
  Compute compute_;
  std::string implementation_;
  std::function<void()> on_reset_;
  std::vector<at::Tensor> wrapped_inputs_;  // reused between runs
};

// The element type kernels exchange at a run precision (int8 runs exchange fp32: LibTorch's dynamic
// quantisation quantises activations inside the op).
DType io_type(DType precision);
at::ScalarType scalar_type(DType type);
std::vector<std::int64_t> sizes_of(const Shape& shape);

// A node's weight from the store as an owned tensor of `type` (converted once, at compile time). Throws
// UserError naming the node when no weights were given or the store lacks it.
at::Tensor weight(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                  at::ScalarType type);

// The fused activation of fc and conv layers (activation, clip, alpha), applied in place.
void apply_activation(const Attributes& attrs, at::Tensor& values);

// What a float GEMM runs on: "oneDNN" for bf16; for fp32 the shared library providing sgemm_ (Debian's
// LibTorch calls the system BLAS, whichever libblas.so.3 the alternatives point to).
std::string gemm_library(at::ScalarType type);

inline const Node& node_at(const Graph& graph, int node) {
  return graph.nodes.at(static_cast<std::size_t>(node));
}
inline const Value& input_value(const Graph& graph, int node, std::size_t index) {
  return graph.values.at(static_cast<std::size_t>(node_at(graph, node).inputs.at(index)));
}
inline const Value& output_value(const Graph& graph, int node, std::size_t index) {
  return graph.values.at(static_cast<std::size_t>(node_at(graph, node).outputs.at(index)));
}

// Node kernel factories, one per op family. They throw c10::Error or UserError; the back end names the node.
using Factory = std::function<std::unique_ptr<Kernel>(const Graph&, int node, const CompileOptions&)>;
std::unique_ptr<Kernel> make_fc(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_attention(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_conv(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_conv_transpose(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_pool(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_norm(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_activation(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_tensor_op(const Graph& graph, int node, const CompileOptions& options);
// Elementwise ops and reductions with ONNX semantics (fp32 graphs; other types run on reference).
std::unique_ptr<Kernel> make_unary(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_binary(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_reduction(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_rnn(const Graph& graph, int node, const CompileOptions& options);
// int8: LibTorch's dynamic quantisation (weights int8 once, activations quantised per run inside the op).
std::unique_ptr<Kernel> make_fc_int8(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_lstm_int8(const Graph& graph, int node, const CompileOptions& options);
// The quantised engine LibTorch runs int8 on ("ONEDNN", "QNNPACK"; "" when it has none).
std::string quantized_engine();

// Recurrent layers (lstm, gru, rnn; fp32, bf16 and int8 share this): what the node asks for, and one call
// into ATen over `layer_count` stacked layers from `first_layer`, from initial states `hx` ([D, N, H] per
// layer; h, and c for lstm), returning the output sequence and the final states.
struct Recurrence {
  std::string op;
  std::int64_t hidden = 0, layers = 1, directions = 1;
  bool reverse = false;    // a reverse-only layer: ATen has no such mode, the sequence is flipped
  bool sum = false;        // bidirectional, directions summed (stacked layers then take H inputs)
  bool streaming = false;  // forward only: the final states start the next run
  at::ScalarType type = at::kFloat;
};
using StackCall = std::function<std::vector<at::Tensor>(
    const at::Tensor& x, const std::vector<at::Tensor>& hx, std::int64_t first_layer,
    std::int64_t layer_count, bool bidirectional)>;
Recurrence recurrence_of(const Graph& graph, int node, const CompileOptions& options);
// The weight-name suffixes of a layer's directions: "", "_reverse" or both.
std::vector<std::string> direction_suffixes(const Attributes& attrs);
std::unique_ptr<Kernel> make_recurrent_kernel(const Graph& graph, int node, DType io, const Recurrence& shape,
                                              StackCall call, const std::string& implementation);

// pooling: torch refuses padding larger than half the window.
bool pool_padding_fits(const Graph& graph, int node);

}  // namespace ntp::libtorch
