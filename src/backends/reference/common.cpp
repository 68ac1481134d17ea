// NodeView and the math helpers shared by the reference kernels.
#include <fmt/format.h>
#include <algorithm>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "kernels.h"

namespace ntp::reference {

NodeView::NodeView(const Graph& graph, int node_index, const WeightStore* weights, bool streaming)
    : graph_(graph), node_(graph.nodes.at(to_size(node_index))), weights_(weights), streaming_(streaming) {}

const Value& NodeView::input(std::size_t index) const {
  return graph_.values.at(to_size(node_.inputs.at(index)));
}

const Value& NodeView::output(std::size_t index) const {
  return graph_.values.at(to_size(node_.outputs.at(index)));
}

bool NodeView::declares_weight(const std::string& weight_name) const {
  for (const WeightSpec& spec : node_.weights)
    if (spec.name == weight_name) return true;
  return false;
}

Tensor NodeView::weight(const std::string& weight_name, bool any_type) const {
  const WeightSpec* spec = nullptr;
  for (const WeightSpec& candidate : node_.weights)
    if (candidate.name == weight_name) spec = &candidate;
  if (spec == nullptr)
    fail(fmt::format("the kernel needs weight '{}', which the op's schema does not declare", weight_name));
  if (weights_ == nullptr) fail(fmt::format("no weights were given (weight '{}' is needed)", weight_name));
  const auto found = weights_->find({node_.name, weight_name});
  if (found == weights_->end())
    fail(fmt::format("weight '{}' is missing from the weight store", weight_name));
  const Tensor& tensor = found->second;
  if (tensor.shape() != spec->shape)
    fail(fmt::format("weight '{}' has shape {}, expected {}", weight_name, shape_to_string(tensor.shape()),
                     shape_to_string(spec->shape)));
  if (tensor.dtype() != DType::f32 && !any_type)
    fail(fmt::format("weight '{}' is {}, the reference back end takes fp32", weight_name,
                     dtype_name(tensor.dtype())));
  return tensor;
}

void NodeView::fail(const std::string& message) const {
  throw UserError(node_.where,
                  fmt::format("reference kernel for {} '{}': {}", node_.op, node_.name, message));
}

void NodeView::expect_output_shape(std::size_t index, const Shape& expected) const {
  if (output_shape(index) != expected)
    fail(fmt::format("output {} has shape {} in the graph, but the kernel computes {}", index,
                     shape_to_string(output_shape(index)), shape_to_string(expected)));
}

void NodeView::expect_arity(std::size_t min_inputs, int max_inputs, std::size_t outputs) const {
  const bool too_many = max_inputs >= 0 && input_count() > static_cast<std::size_t>(max_inputs);
  if (input_count() < min_inputs || too_many)
    fail(fmt::format("takes {} to {} inputs, got {}", min_inputs,
                     max_inputs < 0 ? std::string("any") : std::to_string(max_inputs), input_count()));
  if (output_count() != outputs) fail(fmt::format("has {} outputs, expected {}", output_count(), outputs));
}

float sigmoid(float x) {
  return 1.0F / (1.0F + std::exp(-x));
}

float gelu_erf(float x) {
  return 0.5F * x * (1.0F + std::erf(x / std::numbers::sqrt2_v<float>));
}

float gelu_tanh(float x) {
  const float k = std::sqrt(2.0F / std::numbers::pi_v<float>);
  return 0.5F * x * (1.0F + std::tanh(k * (x + 0.044715F * x * x * x)));
}

FusedActivation FusedActivation::from(const NodeView& node) {
  const ntp::FusedActivation parsed = ntp::FusedActivation::of(node.attrs());
  return {parsed.kind, static_cast<float>(parsed.clip), static_cast<float>(parsed.alpha)};
}

float FusedActivation::operator()(float x) const {
  switch (kind) {
    case Kind::none:
      return x;
    case Kind::relu: {
      const float positive = std::max(x, 0.0F);
      return clip > 0 ? std::min(positive, clip) : positive;
    }
    case Kind::tanh:
      return std::tanh(x);
    case Kind::sigmoid:
      return sigmoid(x);
    case Kind::gelu:
      return gelu_erf(x);
    case Kind::leaky_relu:
      return x > 0 ? x : alpha * x;
  }
  return x;
}

void FusedActivation::apply(float* data, std::int64_t count) const {
  if (kind == Kind::none) return;
  for (std::int64_t i = 0; i < count; ++i)
    data[i] = (*this)(data[i]);
}

void matmul_accumulate(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, const float* b,
                       float* c) {
  // i-k-j order: the inner loop streams a row of b into a row of c.
  for (std::int64_t i = 0; i < m; ++i) {
    float* c_row = c + i * n;
    for (std::int64_t p = 0; p < k; ++p) {
      const float a_ip = a[i * k + p];
      const float* b_row = b + p * n;
      for (std::int64_t j = 0; j < n; ++j)
        c_row[j] += a_ip * b_row[j];
    }
  }
}

std::vector<float> transposed(const float* data, std::int64_t rows, std::int64_t cols) {
  // In 32 x 32 tiles: row by row, every write of a large matrix lands on another cache line and page, which
  // made transposing DeepSpeech's weights take as long as running it once.
  constexpr std::int64_t kTile = 32;
  std::vector<float> result(to_size(rows * cols));
  for (std::int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (std::int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (std::int64_t r = r0; r < std::min(r0 + kTile, rows); ++r)
        for (std::int64_t c = c0; c < std::min(c0 + kTile, cols); ++c)
          result[to_size(c * rows + r)] = data[r * cols + c];
  return result;
}

std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::size_t normalise_axis(const NodeView& node, std::int64_t axis, std::size_t rank) {
  const auto signed_rank = static_cast<std::int64_t>(rank);
  if (axis < -signed_rank || axis >= signed_rank)
    node.fail(fmt::format("axis {} is out of range for rank {}", axis, rank));
  return to_size(axis < 0 ? axis + signed_rank : axis);
}

std::vector<std::int64_t> per_dimension(const NodeView& node, const std::string& attr_name, std::size_t count,
                                        const std::vector<std::int64_t>& fallback) {
  std::vector<std::int64_t> given;
  const auto& all = node.attrs().all();
  const auto found = all.find(attr_name);
  if (found != all.end()) {
    if (const auto* one = std::get_if<std::int64_t>(&found->second)) {
      given = {*one};
    } else if (const auto* list = std::get_if<std::vector<std::int64_t>>(&found->second)) {
      given = *list;
    } else {
      node.fail(
          fmt::format("attribute '{}' must be integers, got '{}'", attr_name, attr_to_string(found->second)));
    }
  }
  if (given.empty()) given = fallback;
  if (given.size() == 1) given.assign(count, given[0]);
  if (given.size() != count)
    node.fail(fmt::format("attribute '{}' needs 1 or {} values, got {}", attr_name, count, given.size()));
  return given;
}

Broadcast::Broadcast(const Shape& out, const std::vector<Shape>& inputs)
    : out_(out), count_(element_count(out)) {
  for (const Shape& in : inputs) {
    if (in.size() > out.size())
      throw std::logic_error(
          fmt::format("{} does not broadcast to {}", shape_to_string(in), shape_to_string(out)));
    const std::vector<std::int64_t> in_strides = strides_of(in);
    std::vector<std::int64_t> strides(out.size(), 0);
    const std::size_t offset = out.size() - in.size();
    for (std::size_t d = 0; d < in.size(); ++d) {
      if (in[d] != 1 && in[d] != out[offset + d])
        throw std::logic_error(
            fmt::format("{} does not broadcast to {}", shape_to_string(in), shape_to_string(out)));
      strides[offset + d] = in[d] == 1 ? 0 : in_strides[d];
    }
    strides_.push_back(std::move(strides));
  }
}

}  // namespace ntp::reference
