#include "torch_backend.h"
#include "../library_backend.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/version.h>

#include <map>

#include "common.h"

namespace ntp {

namespace {

using libtorch::Factory;

const backends::FactoryTable& factories() {
  static const backends::FactoryTable table = [] {
    backends::FactoryTable all = {
        {"fc", libtorch::make_fc},
        {"matmul", libtorch::make_matmul},
        {"attention", libtorch::make_attention},
        {"lstm", libtorch::make_rnn},
        {"gru", libtorch::make_rnn},
        {"rnn", libtorch::make_rnn},
        {"conv1d", libtorch::make_conv},
        {"conv2d", libtorch::make_conv},
        {"conv_transpose1d", libtorch::make_conv_transpose},
        {"conv_transpose2d", libtorch::make_conv_transpose},
        {"maxpool", libtorch::make_pool},
        {"avgpool", libtorch::make_pool},
        {"global_avgpool", libtorch::make_pool},
        {"global_maxpool", libtorch::make_pool},
        {"batchnorm", libtorch::make_norm},
        {"layernorm", libtorch::make_norm},
        {"relu", libtorch::make_activation},
        {"leaky_relu", libtorch::make_activation},
        {"tanh", libtorch::make_activation},
        {"sigmoid", libtorch::make_activation},
        {"gelu", libtorch::make_activation},
        {"hardtanh", libtorch::make_activation},
        {"softmax", libtorch::make_activation},
        {"log_softmax", libtorch::make_activation},
        {"add", libtorch::make_tensor_op},
        {"mul", libtorch::make_tensor_op},
        {"concat", libtorch::make_tensor_op},
        {"transpose", libtorch::make_tensor_op},
        {"reshape", libtorch::make_tensor_op},
        {"flatten", libtorch::make_tensor_op},
    };
    for (const char* op : {"abs", "neg", "sign", "ceil", "floor", "sqrt", "reciprocal", "exp", "log", "sin",
                           "cos", "erf", "softplus", "softsign", "mish", "hard_swish", "hard_sigmoid", "elu"})
      all[op] = libtorch::make_unary;
    for (const char* op : {"sub", "div", "pow", "prelu", "max", "min", "sum", "mean"})
      all[op] = libtorch::make_binary;
    for (const char* op :
         {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_l1", "reduce_l2",
          "reduce_sum_square", "reduce_log_sum", "reduce_log_sum_exp"})
      all[op] = libtorch::make_reduction;
    return all;
  }();
  return table;
}

bool is_recurrent(const std::string& op) {
  return op == "lstm" || op == "gru" || op == "rnn";
}

class TorchBackend final : public Backend {
 public:
  std::string name() const override { return "torch"; }

  std::string version() const override { return TORCH_VERSION; }

  std::vector<DType> precisions() const override {
    static const std::vector<DType> supported = [] {
      std::vector<DType> types = {DType::f32};
      // LibTorch runs bf16 GEMMs through oneDNN, fast only with native bf16 dot products (AVX-512 BF16);
      // elsewhere it emulates them and bf16 would measure the emulation.
      if (__builtin_cpu_supports("avx512bf16")) types.push_back(DType::bf16);
      // Dynamic int8 (quantized::linear_dynamic, aten::quantized_lstm) needs a quantised engine.
      if (!libtorch::quantized_engine().empty()) types.push_back(DType::s8);
      return types;
    }();
    return supported;
  }

  std::vector<std::string> ops() const override { return backends::table_ops(factories()); }

  // Debian's LibTorch parallelises on OpenMP; at::set_num_threads sets it for ATen and its oneDNN.
  void set_threads(int threads) const override {
    if (threads > 0) at::set_num_threads(threads);
  }

  bool supports(const Graph& graph, int node_index, const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    if (factories().count(node.op) == 0) return false;
    const auto available = precisions();
    if (std::find(available.begin(), available.end(), options.precision) == available.end()) return false;
    for (const int input : node.inputs)
      if (graph.values[static_cast<std::size_t>(input)].dtype != DType::f32) return false;
    // Streaming carries h (and c) through ATen's initial and final states, which only a forward layer
    // can use: a reverse direction needs the whole sequence (the reference back end says so). The int8
    // lstm does not carry state.
    if (options.streaming && is_recurrent(node.op) &&
        (node.attrs.text("direction") != "forward" || options.precision == DType::s8))
      return false;
    if (node.op == "maxpool" || node.op == "avgpool") return libtorch::pool_padding_fits(graph, node_index);
    // ATen's bf16 mish differs from fp32 by more than bf16's own rounding (about 5% here), and ATen 1.13 has
    // no bf16 prod on the CPU: reference runs them.
    if ((node.op == "mish" || node.op == "reduce_prod") && options.precision == DType::bf16) return false;
    return true;
  }

  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    c10::InferenceMode inference;  // weights and states become inference tensors, as the run's are
    try {
      // int8 covers the layers that carry the work (fc, lstm); the others run in fp32, as on onednn.
      return backends::build_from_table(
          factories(), graph, node_index, options,
          [&node](const Graph& g, int index, const CompileOptions& o) -> std::unique_ptr<Kernel> {
            if (node.op == "fc") return libtorch::make_fc_int8(g, index, o);
            if (node.op == "lstm") return libtorch::make_lstm_int8(g, index, o);
            return nullptr;
          });
    } catch (const c10::Error& error) {
      throw backends::library_refused(node, "LibTorch", options, error.what_without_backtrace(),
                                      "try --precision fp32, or run it with --backend reference");
    }
  }
};

}  // namespace

const Backend& torch_backend() {
  static const TorchBackend backend;
  return backend;
}

}  // namespace ntp
