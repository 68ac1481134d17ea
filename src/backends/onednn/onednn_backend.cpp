#include "onednn_backend.h"
#include "../library_backend.h"

#include <omp.h>

#include <map>

#include "common.h"

namespace ntp {

namespace {

using onednn::Factory;

const backends::FactoryTable& factories() {
  static const backends::FactoryTable table = {
      {"fc", onednn::make_fc},
      {"matmul", onednn::make_matmul},
      {"lstm", onednn::make_rnn},
      {"gru", onednn::make_rnn},
      {"rnn", onednn::make_rnn},
      {"conv1d", onednn::make_conv},
      {"conv2d", onednn::make_conv},
      {"conv_transpose1d", onednn::make_conv_transpose},
      {"conv_transpose2d", onednn::make_conv_transpose},
      {"maxpool", onednn::make_pool},
      {"avgpool", onednn::make_pool},
      {"global_avgpool", onednn::make_pool},
      {"global_maxpool", onednn::make_pool},
      {"batchnorm", onednn::make_batchnorm},
      {"layernorm", onednn::make_layernorm},
      {"relu", onednn::make_eltwise},
      {"leaky_relu", onednn::make_eltwise},
      {"tanh", onednn::make_eltwise},
      {"sigmoid", onednn::make_eltwise},
      {"gelu", onednn::make_eltwise},
      {"hardtanh", onednn::make_eltwise},
      {"softmax", onednn::make_softmax},
      {"log_softmax", onednn::make_softmax},
      {"add", onednn::make_binary},
      {"mul", onednn::make_binary},
      {"sub", onednn::make_binary},
      {"div", onednn::make_binary},
      {"sum", onednn::make_binary},
      {"max", onednn::make_binary},
      {"min", onednn::make_binary},
      {"abs", onednn::make_eltwise},
      {"exp", onednn::make_eltwise},
      {"sqrt", onednn::make_eltwise},
      {"mish", onednn::make_eltwise},
      {"hard_swish", onednn::make_eltwise},
      {"hard_sigmoid", onednn::make_eltwise},
      {"softplus", onednn::make_eltwise},
      {"neg", onednn::make_eltwise},
      {"reciprocal", onednn::make_eltwise},
      {"elu", onednn::make_eltwise},
      {"reduce_sum", onednn::make_reduction},
      {"reduce_mean", onednn::make_reduction},
      {"reduce_max", onednn::make_reduction},
      {"reduce_min", onednn::make_reduction},
      {"reduce_prod", onednn::make_reduction},
      {"reduce_l1", onednn::make_reduction},
      {"reduce_l2", onednn::make_reduction},
      {"reduce_sum_square", onednn::make_reduction},
      {"concat", onednn::make_concat},
      {"transpose", onednn::make_transpose},
  };
  return table;
}

// bf16 runs only where oneDNN has a native bf16 inner product on this CPU (AVX-512 BF16 or AMX), not its
// emulated reference path.
bool cpu_runs_bf16() {
  try {
    using dnnl::memory;
    const auto bf16 = memory::data_type::bf16;
    const dnnl::inner_product_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, memory::desc({16, 64}, bf16, memory::format_tag::nc),
         memory::desc({64, 64}, bf16, memory::format_tag::any),
         memory::desc({16, 64}, bf16, memory::format_tag::nc)},
        onednn::context().engine);
    return std::string(pd.impl_info_str()).find("ref") == std::string::npos;
  } catch (const dnnl::error&) {
    return false;
  }
}

// int8 where oneDNN has a VNNI (or AMX) int8 inner product, not only its reference one.
bool cpu_runs_int8() {
  try {
    using dnnl::memory;
    const dnnl::inner_product_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference,
         memory::desc({16, 64}, memory::data_type::s8, memory::format_tag::nc),
         memory::desc({64, 64}, memory::data_type::s8, memory::format_tag::any),
         memory::desc({16, 64}, memory::data_type::f32, memory::format_tag::nc)},
        onednn::context().engine);
    return std::string(pd.impl_info_str()).find("ref") == std::string::npos;
  } catch (const dnnl::error&) {
    return false;
  }
}

class OnednnBackend final : public Backend {
 public:
  std::string name() const override { return "onednn"; }
  // Its reordered (blocked) weights beside the plain ones: an LSTM of 512 MiB of weights peaked at 1556 MiB.
  double weight_copies() const override { return 2.0; }

  std::string version() const override {
    const dnnl_version_t* v = dnnl_version();
    return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
  }

  std::vector<DType> precisions() const override {
    static const std::vector<DType> supported = [] {
      std::vector<DType> types = {DType::f32};
      if (cpu_runs_bf16()) types.push_back(DType::bf16);
      if (cpu_runs_int8()) types.push_back(DType::s8);
      return types;
    }();
    return supported;
  }

  std::vector<std::string> ops() const override { return backends::table_ops(factories()); }

  void set_threads(int threads) const override {
    if (threads > 0) omp_set_num_threads(threads);  // Debian's oneDNN runs on GNU OpenMP
  }

  bool supports(const Graph& graph, int node_index, const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    if (factories().count(node.op) == 0) return false;
    // Streaming recurrent layers carry their state across runs through oneDNN's iteration states; the
    // int8 lstm does not yet, and a layer that needs the whole sequence cannot stream (reference says why).
    if (options.streaming && (node.op == "lstm" || node.op == "gru" || node.op == "rnn") &&
        (options.precision == DType::s8 || node.attrs.text("direction") != "forward"))
      return false;
    if (options.precision != DType::f32 && options.precision != DType::bf16 && options.precision != DType::s8)
      return false;
    for (const int input : node.inputs)
      if (graph.values[static_cast<std::size_t>(input)].dtype != DType::f32) return false;
    // oneDNN's memory has at least one dimension: scalars (a loss, a count) are left to reference.
    for (const int value : node.outputs)
      if (graph.values[static_cast<std::size_t>(value)].shape.empty()) return false;
    // oneDNN's binary broadcasts its second operand only: the commutative ops need one full-size input, sub
    // and div their first.
    if (node.op == "add" || node.op == "mul" || node.op == "sum" || node.op == "max" || node.op == "min")
      return node.inputs.size() >= 2 && onednn::full_size_input(graph, node_index) >= 0;
    if (node.op == "sub" || node.op == "div") return onednn::full_size_input(graph, node_index) == 0;
    // A reduction that reduces nothing (axes of size 1 only) is a copy oneDNN's reduction refuses.
    if (node.op.rfind("reduce_", 0) == 0)
      return element_count(graph.values[static_cast<std::size_t>(node.inputs.at(0))].shape) !=
             element_count(graph.values[static_cast<std::size_t>(node.outputs.at(0))].shape);
    return true;
  }

  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    try {
      // int8 covers the layers that carry the work (fc, single-layer lstm); the others run in fp32.
      return backends::build_from_table(
          factories(), graph, node_index, options,
          [&node](const Graph& g, int index, const CompileOptions& o) -> std::unique_ptr<Kernel> {
            if (node.op == "fc") return onednn::make_fc_int8(g, index, o);
            if (node.op == "lstm" && node.attrs.integer("layers") == 1)
              return onednn::make_lstm_int8(g, index, o);
            return nullptr;
          });
    } catch (const dnnl::error& error) {
      throw backends::library_refused(node, "oneDNN", options, error.what(),
                                      "try --precision fp32, or run it with --backend reference");
    }
  }
};

}  // namespace

const Backend& onednn_backend() {
  static const OnednnBackend backend;
  return backend;
}

}  // namespace ntp
