// Activations (eltwise), softmax / log_softmax, add / mul (binary with broadcasting), concat, transpose (a
// reorder through permuted strides).
#include <algorithm>
#include <map>

#include "common.h"

namespace ntp::onednn {

namespace {
struct Eltwise {
  dnnl::algorithm algorithm;
  float alpha = 0;
  float beta = 0;
};

// Unary ops that are one oneDNN eltwise algorithm with fixed parameters. (Not log: oneDNN 2.6's vectorised
// log gives log(1) = -1e-6, outside ONNX's absolute tolerance of 1e-7 that the node tests hold it to.)
const std::map<std::string, Eltwise>& simple_eltwise() {
  static const std::map<std::string, Eltwise> table = {
      {"abs", {dnnl::algorithm::eltwise_abs}},
      {"exp", {dnnl::algorithm::eltwise_exp}},
      {"sqrt", {dnnl::algorithm::eltwise_sqrt}},
      {"mish", {dnnl::algorithm::eltwise_mish}},
      {"hard_swish", {dnnl::algorithm::eltwise_hardswish}},
      {"softplus", {dnnl::algorithm::eltwise_soft_relu}},
      {"neg", {dnnl::algorithm::eltwise_linear, -1.0F, 0.0F}},
      {"reciprocal", {dnnl::algorithm::eltwise_pow, 1.0F, -1.0F}},
  };
  return table;
}

// reduce_* as oneDNN reductions: the algorithm and its p (for the Lp norms).
const std::map<std::string, std::pair<dnnl::algorithm, float>>& reductions() {
  static const std::map<std::string, std::pair<dnnl::algorithm, float>> table = {
      {"reduce_sum", {dnnl::algorithm::reduction_sum, 0.0F}},
      {"reduce_mean", {dnnl::algorithm::reduction_mean, 0.0F}},
      {"reduce_max", {dnnl::algorithm::reduction_max, 0.0F}},
      {"reduce_min", {dnnl::algorithm::reduction_min, 0.0F}},
      {"reduce_prod", {dnnl::algorithm::reduction_mul, 0.0F}},
      {"reduce_l1", {dnnl::algorithm::reduction_norm_lp_sum, 1.0F}},
      {"reduce_l2", {dnnl::algorithm::reduction_norm_lp_sum, 2.0F}},
      {"reduce_sum_square", {dnnl::algorithm::reduction_norm_lp_power_p_sum, 2.0F}},
  };
  return table;
}

std::unique_ptr<PrimitiveKernel> unary_kernel(const Graph& graph, int node_index, DType io) {
  const memory::desc data = plain(input_value(graph, node_index, 0).shape, data_type(io));
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, data);
  kernel->bind_output(0, plain(output_value(graph, node_index, 0).shape, data_type(io)));
  return kernel;
}
}  // namespace

std::unique_ptr<Kernel> make_eltwise(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu;
  float alpha = 0;
  float beta = 0;
  if (node.op == "relu" && node.attrs.real("clip") > 0) {
    algorithm = dnnl::algorithm::eltwise_clip;
    beta = static_cast<float>(node.attrs.real("clip"));
  } else if (node.op == "leaky_relu") {
    alpha = static_cast<float>(node.attrs.real("alpha"));
  } else if (node.op == "tanh") {
    algorithm = dnnl::algorithm::eltwise_tanh;
  } else if (node.op == "sigmoid") {
    algorithm = dnnl::algorithm::eltwise_logistic;
  } else if (node.op == "gelu") {
    algorithm = node.attrs.text("approximate") == "tanh" ? dnnl::algorithm::eltwise_gelu_tanh
                                                         : dnnl::algorithm::eltwise_gelu_erf;
  } else if (node.op == "hardtanh") {
    algorithm = dnnl::algorithm::eltwise_clip;
    alpha = static_cast<float>(node.attrs.real("min_val"));
    beta = static_cast<float>(node.attrs.real("max_val"));
  } else if (const auto found = simple_eltwise().find(node.op); found != simple_eltwise().end()) {
    algorithm = found->second.algorithm;
    alpha = found->second.alpha;
    beta = found->second.beta;
  } else if (node.op == "elu") {
    algorithm = dnnl::algorithm::eltwise_elu;
    alpha = static_cast<float>(node.attrs.real("alpha"));
  } else if (node.op == "hard_sigmoid") {  // alpha x + beta, then clipped to [0, 1] in place
    algorithm = dnnl::algorithm::eltwise_linear;
    alpha = static_cast<float>(node.attrs.real("alpha"));
    beta = static_cast<float>(node.attrs.real("beta"));
  }
  const DType io = io_type(options.precision);
  auto kernel = unary_kernel(graph, node_index, io);
  const dnnl::eltwise_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, algorithm, kernel->input(0).get_desc(), alpha, beta},
      context().engine);
  kernel->add(dnnl::eltwise_forward(pd),
              {{DNNL_ARG_SRC, kernel->input(0)}, {DNNL_ARG_DST, kernel->output(0)}}, pd.impl_info_str());
  if (node.op == "hard_sigmoid") {
    const dnnl::eltwise_forward::primitive_desc clip(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_clip, kernel->output(0).get_desc(),
         0.0F, 1.0F},
        context().engine);
    kernel->add(dnnl::eltwise_forward(clip),
                {{DNNL_ARG_SRC, kernel->output(0)}, {DNNL_ARG_DST, kernel->output(0)}}, clip.impl_info_str());
  }
  return kernel;
}

// Reductions: the output as oneDNN sees it keeps every axis (size 1 where reduced), the same bytes as the
// graph's shape with or without keepdims.
std::unique_ptr<Kernel> make_reduction(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  Shape kept = in;
  const auto& axes = node.attrs.integers("axes");
  for (std::size_t d = 0; d < in.size(); ++d) {
    const bool reduced = axes.empty() || std::any_of(axes.begin(), axes.end(), [&](std::int64_t axis) {
                           return (axis < 0 ? axis + static_cast<std::int64_t>(in.size()) : axis) ==
                                  static_cast<std::int64_t>(d);
                         });
    if (reduced) kept[d] = 1;
  }
  const auto& [algorithm, p] = reductions().at(node.op);
  const DType io = io_type(options.precision);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, plain(in, data_type(io)));
  kernel->bind_output(0, plain(kept, data_type(io)));
  const dnnl::reduction::primitive_desc pd(
      {algorithm, kernel->input(0).get_desc(), kernel->output(0).get_desc(), p, 0.0F}, context().engine);
  kernel->add(dnnl::reduction(pd), {{DNNL_ARG_SRC, kernel->input(0)}, {DNNL_ARG_DST, kernel->output(0)}},
              pd.impl_info_str());
  return kernel;
}

std::unique_ptr<Kernel> make_softmax(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const auto rank = static_cast<std::int64_t>(input_value(graph, node_index, 0).shape.size());
  std::int64_t axis = node.attrs.integer("axis");
  if (axis < 0) axis += rank;
  const DType io = io_type(options.precision);
  auto kernel = unary_kernel(graph, node_index, io);
  const memory::desc data = kernel->input(0).get_desc();
  const auto prop = dnnl::prop_kind::forward_inference;
  const std::unordered_map<int, memory> arguments = {{DNNL_ARG_SRC, kernel->input(0)},
                                                     {DNNL_ARG_DST, kernel->output(0)}};
  if (node.op == "log_softmax") {
    const dnnl::logsoftmax_forward::primitive_desc pd({prop, data, static_cast<int>(axis)}, context().engine);
    kernel->add(dnnl::logsoftmax_forward(pd), arguments, pd.impl_info_str());
  } else {
    const dnnl::softmax_forward::primitive_desc pd({prop, data, static_cast<int>(axis)}, context().engine);
    kernel->add(dnnl::softmax_forward(pd), arguments, pd.impl_info_str());
  }
  return kernel;
}

int full_size_input(const Graph& graph, int node_index) {
  const Shape& out = output_value(graph, node_index, 0).shape;
  const auto inputs = graph.nodes[static_cast<std::size_t>(node_index)].inputs.size();
  for (std::size_t i = 0; i < inputs; ++i)
    if (input_value(graph, node_index, i).shape == out) return static_cast<int>(i);
  return -1;
}

dnnl::algorithm binary_algorithm(const std::string& op) {
  if (op == "mul") return dnnl::algorithm::binary_mul;
  if (op == "sub") return dnnl::algorithm::binary_sub;
  if (op == "div") return dnnl::algorithm::binary_div;
  if (op == "max") return dnnl::algorithm::binary_max;
  if (op == "min") return dnnl::algorithm::binary_min;
  return dnnl::algorithm::binary_add;  // add, sum
}

// add, mul, sum, max, min of two or more inputs, sub and div of two: a chain of binary primitives, the first
// on the full-size input and the next one, the others in place on the output. oneDNN broadcasts the second
// operand only, so the full-size input goes first: any of them for the commutative ops, the first for sub
// and div (the back end's supports() checks).
std::unique_ptr<Kernel> make_binary(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& out = output_value(graph, node_index, 0).shape;
  const int full = full_size_input(graph, node_index);
  if (full < 0) throw std::logic_error("make_binary: no input is shaped as the output");
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  const memory::desc dst = plain(out, type);
  auto kernel = std::make_unique<PrimitiveKernel>(io, node.inputs.size(), 1);
  kernel->bind_output(0, dst);
  kernel->bind_input(static_cast<std::size_t>(full), dst);
  memory accumulated = kernel->input(static_cast<std::size_t>(full));
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    if (static_cast<int>(i) == full) continue;
    Shape operand = input_value(graph, node_index, i).shape;
    while (operand.size() < out.size())
      operand.insert(operand.begin(), 1);  // numpy aligns from the last axis
    kernel->bind_input(i, plain(operand, type));
    const dnnl::binary::primitive_desc pd({binary_algorithm(node.op), dst, kernel->input(i).get_desc(), dst},
                                          context().engine);
    kernel->add(dnnl::binary(pd),
                {{DNNL_ARG_SRC_0, accumulated},
                 {DNNL_ARG_SRC_1, kernel->input(i)},
                 {DNNL_ARG_DST, kernel->output(0)}},
                pd.impl_info_str());
    accumulated = kernel->output(0);
  }
  return kernel;
}

std::unique_ptr<Kernel> make_concat(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& out = output_value(graph, node_index, 0).shape;
  std::int64_t axis = node.attrs.integer("axis");
  if (axis < 0) axis += static_cast<std::int64_t>(out.size());
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  auto kernel = std::make_unique<PrimitiveKernel>(io, node.inputs.size(), 1);
  std::vector<memory::desc> sources;
  std::unordered_map<int, memory> arguments;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    sources.push_back(plain(input_value(graph, node_index, i).shape, type));
    kernel->bind_input(i, sources.back());
    arguments[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = kernel->input(i);
  }
  const memory::desc dst = plain(out, type);
  kernel->bind_output(0, dst);
  arguments[DNNL_ARG_DST] = kernel->output(0);
  const dnnl::concat::primitive_desc pd(dst, static_cast<int>(axis), sources, context().engine);
  kernel->add(dnnl::concat(pd), std::move(arguments), pd.impl_info_str());
  return kernel;
}

std::unique_ptr<Kernel> make_transpose(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Shape& in = input_value(graph, node_index, 0).shape;
  const Shape& out = output_value(graph, node_index, 0).shape;
  const std::vector<std::int64_t>& perm = node.attrs.integers("perm");
  memory::dims input_strides(in.size(), 1);
  for (std::size_t i = in.size(); i-- > 1;)
    input_strides[i - 1] = input_strides[i] * in[i];
  // The input seen in output order: output axis i walks the input's axis perm[i].
  memory::dims strides;
  for (const std::int64_t axis : perm)
    strides.push_back(input_strides[static_cast<std::size_t>(axis)]);
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  const memory::desc src(dims_of(out), type, strides);
  const memory::desc dst = plain(out, type);
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);
  kernel->bind_input(0, src);
  kernel->bind_output(0, dst);
  const dnnl::reorder::primitive_desc pd(context().engine, src, context().engine, dst);
  kernel->add(dnnl::reorder(pd), {{DNNL_ARG_FROM, kernel->input(0)}, {DNNL_ARG_TO, kernel->output(0)}},
              pd.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
