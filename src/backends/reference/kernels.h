// Shared pieces of the reference back end: what a kernel factory sees of its node, the explicit kernel
// table (one function per op family, concatenated in reference_backend.cpp), and small math helpers.
//
// Every kernel is plain C++ on row-major f32 buffers. Clarity comes first: these kernels are the oracle
// the other back ends are checked against. Loops are ordered so that memory is streamed, nothing more.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ntp/backend.h"
#include "ntp/fused_activation.h"
#include "ntp/graph.h"
#include "ntp/tensor.h"
#include "ntp/weights.h"

namespace ntp::reference {

// What a compiled node does when it runs: reads the inputs, writes the (pre-allocated, f32) outputs.
using RunFunction =
    std::function<void(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs)>;

// The node being compiled: its attributes, the shapes of its values, and its weights.
class NodeView {
 public:
  NodeView(const Graph& graph, int node_index, const WeightStore* weights, bool streaming = false);

  const Node& node() const { return node_; }
  const Graph& graph() const { return graph_; }
  const std::string& name() const { return node_.name; }
  const Attributes& attrs() const { return node_.attrs; }

  std::size_t input_count() const { return node_.inputs.size(); }
  std::size_t output_count() const { return node_.outputs.size(); }
  const Value& input(std::size_t index) const;
  const Value& output(std::size_t index) const;
  const Shape& input_shape(std::size_t index) const { return input(index).shape; }
  const Shape& output_shape(std::size_t index) const { return output(index).shape; }

  // The node's f32 weight (sharing the store's buffer). Throws UserError naming the node when the schema
  // declares no such weight, the store lacks it, or its shape differs from the declared one.
  // With any_type, a weight of another element type (a typed constant) is given as it is.
  Tensor weight(const std::string& weight_name, bool any_type = false) const;
  bool declares_weight(const std::string& weight_name) const;

  // Streaming: a kernel with memory keeps it across runs and registers how to forget it.
  bool streaming() const { return streaming_; }
  void on_stream_reset(std::function<void()> reset) const { stream_reset_ = std::move(reset); }
  const std::function<void()>& stream_reset() const { return stream_reset_; }

  // Throws UserError at the node's location, naming the node and its op.
  [[noreturn]] void fail(const std::string& message) const;
  // Fails unless the graph's output `index` has the shape the kernel computed.
  void expect_output_shape(std::size_t index, const Shape& expected) const;
  // Fails unless the node has between min and max inputs (max < 0: any number) and `outputs` outputs.
  void expect_arity(std::size_t min_inputs, int max_inputs, std::size_t outputs) const;

 private:
  const Graph& graph_;
  const Node& node_;
  const WeightStore* weights_;
  bool streaming_;
  mutable std::function<void()> stream_reset_;  // set by the factory while it compiles the node
};

// Checks the node and returns its RunFunction. The NodeView lives only during compilation: the function
// must capture copies (shapes, attributes, weight tensors, which share the store's buffers), never the view.
using KernelFactory = RunFunction (*)(const NodeView& node);

struct KernelEntry {
  std::string_view op;
  KernelFactory make;
  // Outputs keep the graph's element type (a decoder's int32 labels); otherwise every tensor is f32.
  bool typed_outputs = false;
  // What runs, as the report's implementation column shows it.
  std::string_view implementation = "reference";
  // Inputs keep the graph's element type (ops with ONNX semantics on every type); otherwise f32.
  bool typed_inputs = false;
};

// An entry whose inputs and outputs keep the graph's element types.
inline KernelEntry typed_kernel(std::string_view op, KernelFactory make) {
  return {.op = op, .make = make, .typed_outputs = true, .typed_inputs = true};
}

// One list per op family; reference_backend.cpp concatenates them into the one table.
std::vector<KernelEntry> dense_kernels();  // fc, matmul, embedding
std::vector<KernelEntry> conv_kernels();   // conv1d, conv2d, conv_transpose1d, conv_transpose2d
std::vector<KernelEntry> pool_kernels();   // maxpool, avgpool, global_avgpool, global_maxpool
std::vector<KernelEntry> norm_kernels();   // batchnorm, layernorm
std::vector<KernelEntry>
activation_kernels();                    // relu, leaky_relu, tanh, sigmoid, gelu, hardtanh, softmax, ...
std::vector<KernelEntry> rnn_kernels();  // lstm, gru, rnn
std::vector<KernelEntry> attention_kernels();  // attention
std::vector<KernelEntry>
tensor_kernels();  // add, mul, sub, div, constant, concat, split, reshape, transpose, flatten, dropout
std::vector<KernelEntry> elementwise_kernels();  // abs ... where, cast (every element type)
std::vector<KernelEntry> reduce_kernels();       // reduce_*, argmax, argmin
std::vector<KernelEntry> indexing_kernels();     // gather*, slice, expand, tile, pad, topk, cumsum, ...
std::vector<KernelEntry> convert_kernels();      // memcpy, convert
std::vector<KernelEntry> inlay_kernels();  // mfcc, fbank, spectrogram, context_window, ctc_greedy, ctc_beam

// The whole table, in family order.
const std::vector<KernelEntry>& kernel_table();
const KernelEntry* find_kernel(std::string_view op);

// ---- Math shared by several families -------------------------------------------------------------------

float sigmoid(float x);
float gelu_erf(float x);   // x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
float gelu_tanh(float x);  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))

// The activation fused into fc and conv layers, computed in f32.
struct FusedActivation {
  using Kind = ntp::FusedActivation::Kind;
  Kind kind = Kind::none;
  float clip = 0;       // relu upper bound; 0 = none
  float alpha = 0.01F;  // leaky_relu slope

  static FusedActivation from(const NodeView& node);
  float operator()(float x) const;
  void apply(float* data, std::int64_t count) const;
};

// c[M, N] += a[M, K] * b[K, N]; all row-major and contiguous. Each c element accumulates over k in order.
void matmul_accumulate(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, const float* b,
                       float* c);

// The transpose of a row-major [rows, cols] matrix, as a row-major [cols, rows] one.
std::vector<float> transposed(const float* data, std::int64_t rows, std::int64_t cols);

// Row-major strides (in elements) of a shape.
std::vector<std::int64_t> strides_of(const Shape& shape);

// An axis attribute (negative counts from the end) as an index in 0..rank-1; fails on the node otherwise.
std::size_t normalise_axis(const NodeView& node, std::int64_t axis, std::size_t rank);

// Integer-list attributes that may be written as one value for every dimension ("3") or one per dimension
// ("3,5"): the value for each of `count` dimensions. An absent attribute or an empty list gives `fallback`.
std::vector<std::int64_t> per_dimension(const NodeView& node, const std::string& attr_name, std::size_t count,
                                        const std::vector<std::int64_t>& fallback = {});

// A shape seen as [outer, length, inner] around `axis`; at(o, k, i) is the flat index of that element.
struct AxisLoop {
  std::int64_t outer = 1, length = 1, inner = 1;
  AxisLoop(const Shape& shape, std::size_t axis) {
    for (std::size_t d = 0; d < axis; ++d)
      outer *= shape[d];
    length = shape[axis];
    for (std::size_t d = axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
  }
  std::int64_t at(std::int64_t o, std::int64_t k, std::int64_t i) const {
    return (o * length + k) * inner + i;
  }
};

// numpy broadcasting: walks an output shape in row-major order and keeps the element offset of each input
// (shapes aligned from the last axis; a size-1 or missing dimension repeats).
class Broadcast {
 public:
  Broadcast(const Shape& out, const std::vector<Shape>& inputs);
  std::int64_t count() const { return count_; }
  // f(flat output index, offsets of the inputs), for every output element in order.
  template <class F>
  void for_each(F&& f) const {
    const std::size_t rank = out_.size();
    const std::size_t n = strides_.size();
    std::vector<std::int64_t> index(rank, 0);
    std::vector<std::int64_t> offsets(n, 0);
    for (std::int64_t flat = 0; flat < count_; ++flat) {
      f(flat, offsets.data());
      for (std::size_t d = rank; d-- > 0;) {
        for (std::size_t i = 0; i < n; ++i)
          offsets[i] += strides_[i][d];
        if (++index[d] < out_[d]) break;
        for (std::size_t i = 0; i < n; ++i)
          offsets[i] -= strides_[i][d] * out_[d];
        index[d] = 0;
      }
    }
  }

 private:
  Shape out_;
  std::vector<std::vector<std::int64_t>> strides_;  // per input, per output dimension; 0 where repeated
  std::int64_t count_ = 0;
};

inline std::size_t to_size(std::int64_t value) {
  return static_cast<std::size_t>(value);
}

}  // namespace ntp::reference
