// The shared state of one import: operands by ONNX tensor name, incremental shape inference, attributes.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "import_context.h"

#include "backends/reference/reference_backend.h"
#include "ntp/elements.h"
#include "ntp/op_schema.h"

namespace ntp::onnx_io {

ImportContext::ImportContext(const onnx::ModelProto& model, std::string file, DType precision)
    : model_(model), file_(std::move(file)), precision_(precision) {
  const std::filesystem::path parent = std::filesystem::path(file_).parent_path();
  folder_ = (parent.empty() ? std::filesystem::path(".") : parent).string();
  for (const auto& entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx") opset_ = static_cast<int>(entry.version());
  graph_.source = file_;
  for (const auto& output : model.graph().output())
    graph_outputs_.insert(output.name());
  for (const auto& node : model.graph().node())
    for (const auto& name : node.input())
      if (!name.empty()) {
        ++consumers_[name];
        consumer_nodes_[name].push_back(&node);
      }
  for (const auto& node : model.graph().node())
    for (const auto& name : node.output())
      if (!name.empty()) producers_[name] = &node;
}

bool ImportContext::has_input(const onnx::NodeProto& node, int index) const {
  return index < node.input_size() && !node.input(index).empty();
}

const Operand& ImportContext::operand(const std::string& tensor) const {
  const auto found = operands_.find(tensor);
  if (found == operands_.end())
    fail(fmt::format("tensor '{}' is used before any input, initializer or node defines it", tensor));
  return found->second;
}

const Operand& ImportContext::input(const onnx::NodeProto& node, int index) const {
  if (!has_input(node, index)) fail(node, fmt::format("input {} is missing", index));
  const auto found = operands_.find(node.input(index));
  if (found == operands_.end())
    fail(node,
         fmt::format("input '{}' is not a graph input, an initializer or an earlier node's output",
                     node.input(index)),
         "the model is malformed: every name a node reads must be defined before it");
  return found->second;
}

const ConstTensor& ImportContext::constant_input(const onnx::NodeProto& node, int index,
                                                 const std::string& role) const {
  const Operand& found = input(node, index);
  if (!found.constant)
    fail(node, fmt::format("{} ('{}') must be an initializer or a constant", role, node.input(index)),
         "NTP takes weights and shape arguments from the model; computed ones are not supported");
  return *found.constant;
}

bool ImportContext::is_constant(const onnx::NodeProto& node, int index) const {
  // A name not defined yet (a Constant node written after the node that looks ahead at it) is not known.
  return has_input(node, index) && is_defined(node.input(index)) && input(node, index).constant.has_value();
}

int ImportContext::value_input(const onnx::NodeProto& node, int index) {
  input(node, index);  // fails for undefined names, naming the node
  return value_of(node.input(index));
}

int ImportContext::value_of(const std::string& tensor) {
  const Operand& found = operand(tensor);
  if (found.value >= 0) return found.value;
  const ConstTensor constant = *found.constant;
  onnx::NodeProto origin;
  origin.add_output(tensor);
  Attributes attrs;
  attrs.set("shape", std::vector<std::int64_t>(constant.shape.begin(), constant.shape.end()));
  attrs.set("dtype", std::string(dtype_name(constant.dtype())));
  const int value = add_op(origin, tensor, "constant", attrs, {}, {{"value", constant.to_tensor()}});
  operands_[tensor].value = value;
  return value;
}

const Shape& ImportContext::input_shape(const onnx::NodeProto& node, int index) const {
  const Operand& found = input(node, index);
  if (found.value >= 0) return shape_of(found.value);
  return found.constant->shape;
}

void ImportContext::define(const std::string& tensor, int value) {
  operands_[tensor] = Operand{value, std::nullopt};
}

void ImportContext::define_constant(const std::string& tensor, ConstTensor constant) {
  operands_[tensor] = Operand{-1, std::move(constant)};
}

bool ImportContext::output_used(const onnx::NodeProto& node, int index) const {
  if (index >= node.output_size() || node.output(index).empty()) return false;
  const std::string& name = node.output(index);
  return consumers_.count(name) != 0 || graph_outputs_.count(name) != 0;
}

int ImportContext::add_input(const std::string& name, const Shape& shape, std::vector<std::string> dim_params,
                             DType dtype) {
  Value value;
  value.name = name;
  value.shape = shape;
  value.dtype = dtype;
  value.dim_params = std::move(dim_params);
  graph_.values.push_back(std::move(value));
  const int index = static_cast<int>(graph_.values.size() - 1);
  graph_.inputs.push_back(index);
  define(name, index);
  return index;
}

std::string ImportContext::unique_name(const std::string& wanted) const {
  const std::string base = wanted.empty() ? std::string("node") : wanted;
  std::string name = base;
  for (int suffix = 1; graph_.find_value(name) >= 0 || graph_.find_node(name) >= 0; ++suffix)
    name = fmt::format("{}/{}", base, suffix);
  return name;
}

int ImportContext::add_op(const onnx::NodeProto& node, const std::string& name, const std::string& op,
                          Attributes attrs, const std::vector<int>& inputs,
                          const std::map<std::string, Tensor>& node_weights) {
  const OpSchema* schema = find_op(op);
  if (schema == nullptr) fail(node, fmt::format("NTP has no op '{}'", op));
  apply_defaults(*schema, attrs);
  for (const AttrSpec& spec : schema->attrs)
    if (!attrs.has(spec.name)) fail(node, fmt::format("NTP's {} needs the attribute '{}'", op, spec.name));
  Node added;
  added.name = unique_name(name);
  added.op = op;
  added.schema = schema;
  added.attrs = std::move(attrs);
  added.inputs = inputs;
  added.where = {file_, 0, 0};
  const int count = static_cast<int>(inputs.size());
  if (count < schema->min_inputs || (schema->max_inputs >= 0 && count > schema->max_inputs))
    fail(node, fmt::format("NTP's {} cannot take {} inputs", op, count));

  OpContext op_context{added, added.attrs, {}, {}, precision_};
  for (const int input_value : inputs)
    op_context.inputs.push_back(&graph_.values.at(static_cast<std::size_t>(input_value)));
  InferResult result;
  try {
    result = schema->infer(op_context);
  } catch (const ShapeError& error) {
    std::vector<std::string> shapes;
    for (const Value* value : op_context.inputs)
      shapes.push_back(fmt::format("{} {}", value->name, shape_to_string(value->shape)));
    fail(node, fmt::format("as NTP's {}: {} (inputs: {})", op, error.what(), fmt::join(shapes, ", ")),
         error.hint());
  } catch (const UserError& error) {
    fail(node, fmt::format("as NTP's {}: {}", op, error.diagnostic().message), error.diagnostic().hint);
  }
  for (const WeightSpec& spec : result.weights) {
    const auto found = node_weights.find(spec.name);
    if (found == node_weights.end())
      fail(node, fmt::format("NTP's {} needs a weight '{}' the model does not give", op, spec.name));
    if (found->second.shape() != spec.shape)
      fail(node,
           fmt::format("its {} has shape {}, but for these inputs NTP's {} expects {}", spec.name,
                       shape_to_string(found->second.shape()), op, shape_to_string(spec.shape)),
           "the weights do not fit the input shapes; check the model");
    weights_[{added.name, spec.name}] = found->second;
  }
  added.weights = std::move(result.weights);
  const int node_index = static_cast<int>(graph_.nodes.size());
  for (std::size_t k = 0; k < result.outputs.size(); ++k) {
    Value value;
    value.name = k == 0 ? added.name : fmt::format("{}:{}", added.name, k);
    value.shape = result.outputs[k].shape;
    value.dtype = result.outputs[k].dtype;
    value.producer = node_index;
    graph_.values.push_back(std::move(value));
    added.outputs.push_back(static_cast<int>(graph_.values.size() - 1));
  }
  const int first_output = added.outputs.empty() ? -1 : added.outputs.front();
  graph_.nodes.push_back(std::move(added));
  return first_output;
}

const onnx::NodeProto* ImportContext::sole_consumer(const std::string& tensor) const {
  if (graph_outputs_.count(tensor) != 0) return nullptr;
  const auto count = consumers_.find(tensor);
  if (count == consumers_.end() || count->second != 1) return nullptr;
  const onnx::NodeProto* consumer = consumer_nodes_.at(tensor).front();
  int uses = 0;  // a node reading the tensor twice (Mul(x, x)) is not a plain single use
  for (const auto& name : consumer->input())
    uses += name == tensor ? 1 : 0;
  return uses == 1 ? consumer : nullptr;
}

std::vector<const onnx::NodeProto*> ImportContext::consumers(const std::string& tensor) const {
  const auto found = consumer_nodes_.find(tensor);
  if (found == consumer_nodes_.end()) return {};
  std::vector<const onnx::NodeProto*> nodes = found->second;
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());  // Mul(x, x) lists its node twice
  return nodes;
}

bool ImportContext::is_graph_output(const std::string& tensor) const {
  return graph_outputs_.count(tensor) != 0;
}

const onnx::NodeProto* ImportContext::producer(const std::string& tensor) const {
  const auto found = producers_.find(tensor);
  return found == producers_.end() ? nullptr : found->second;
}

const onnx::AttributeProto* ImportContext::attribute(const onnx::NodeProto& node,
                                                     const std::string& name) const {
  for (const auto& attr : node.attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

std::int64_t ImportContext::attr_int(const onnx::NodeProto& node, const std::string& name,
                                     std::int64_t fallback) const {
  const auto* attr = attribute(node, name);
  return attr != nullptr ? attr->i() : fallback;
}

float ImportContext::attr_float(const onnx::NodeProto& node, const std::string& name, float fallback) const {
  const auto* attr = attribute(node, name);
  return attr != nullptr ? attr->f() : fallback;
}

std::string ImportContext::attr_string(const onnx::NodeProto& node, const std::string& name,
                                       const std::string& fallback) const {
  const auto* attr = attribute(node, name);
  return attr != nullptr ? attr->s() : fallback;
}

std::vector<std::int64_t> ImportContext::attr_ints(const onnx::NodeProto& node, const std::string& name,
                                                   std::vector<std::int64_t> fallback) const {
  const auto* attr = attribute(node, name);
  if (attr == nullptr) return fallback;
  return {attr->ints().begin(), attr->ints().end()};
}

std::vector<float> ImportContext::attr_floats(const onnx::NodeProto& node, const std::string& name) const {
  const auto* attr = attribute(node, name);
  if (attr == nullptr) return {};
  return {attr->floats().begin(), attr->floats().end()};
}

std::vector<std::string> ImportContext::attr_strings(const onnx::NodeProto& node,
                                                     const std::string& name) const {
  const auto* attr = attribute(node, name);
  if (attr == nullptr) return {};
  return {attr->strings().begin(), attr->strings().end()};
}

std::string ImportContext::label(const onnx::NodeProto& node) const {
  if (!node.name().empty()) return fmt::format("node '{}' ({})", node.name(), node.op_type());
  // The first output it writes: an LSTM's Y may be omitted ('') when only Y_h is used.
  for (const std::string& output : node.output())
    if (!output.empty()) return fmt::format("the {} node writing '{}'", node.op_type(), output);
  return fmt::format("a {} node", node.op_type());
}

void ImportContext::fail(const onnx::NodeProto& node, const std::string& message,
                         const std::string& hint) const {
  throw UserError({file_, 0, 0}, fmt::format("{}: {}", label(node), message), hint);
}

void ImportContext::fail(const std::string& message, const std::string& hint) const {
  throw UserError({file_, 0, 0}, message, hint);
}

ConstTensor ImportContext::decode(const onnx::TensorProto& proto) const {
  return decode_tensor(proto, {file_, folder_});
}

bool ImportContext::evaluate_added(const onnx::NodeProto& node, Mark since) {
  constexpr std::int64_t kLargestEvaluated = 1 << 20;  // elements: folding is for shapes, masks, small tables
  if (graph_.nodes.size() <= since.nodes) return false;
  const std::size_t op_index = graph_.nodes.size() - 1;
  const Node& op = graph_.nodes[op_index];
  for (std::size_t n = since.nodes; n < op_index; ++n)
    if (graph_.nodes[n].op != "constant") return false;
  std::vector<Tensor> inputs;
  for (const int input : op.inputs) {
    const int producer = graph_.values[static_cast<std::size_t>(input)].producer;
    if (producer < 0 || graph_.nodes[static_cast<std::size_t>(producer)].op != "constant") return false;
    const auto weight = weights_.find({graph_.nodes[static_cast<std::size_t>(producer)].name, "value"});
    if (weight == weights_.end()) return false;
    inputs.push_back(weight->second);
  }
  if (inputs.empty()) return false;
  for (const int output : op.outputs)
    if (element_count(graph_.values[static_cast<std::size_t>(output)].shape) > kLargestEvaluated)
      return false;
  const Backend& reference = reference_backend();
  if (!reference.supports(graph_, static_cast<int>(op_index), {})) return false;
  CompileOptions options;
  options.weights = &weights_;
  const std::unique_ptr<Kernel> kernel = reference.compile_node(graph_, static_cast<int>(op_index), options);
  std::vector<const Tensor*> input_pointers;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k].dtype() != kernel->input_dtype(k)) inputs[k] = converted(inputs[k], kernel->input_dtype(k));
    input_pointers.push_back(&inputs[k]);
  }
  std::vector<Tensor> outputs;
  for (std::size_t k = 0; k < op.outputs.size(); ++k)
    outputs.emplace_back(graph_.values[static_cast<std::size_t>(op.outputs[k])].shape,
                         kernel->output_dtype(k));
  std::vector<Tensor*> output_pointers;
  for (Tensor& output : outputs)
    output_pointers.push_back(&output);
  kernel->run(input_pointers, output_pointers);

  // Forget the evaluated nodes: their weights, their values, and operands pointing at those values.
  for (std::size_t n = since.nodes; n < graph_.nodes.size(); ++n)
    for (auto it = weights_.begin(); it != weights_.end();)
      it = it->first.first == graph_.nodes[n].name ? weights_.erase(it) : std::next(it);
  std::vector<DType> types;
  for (const int output : op.outputs)
    types.push_back(graph_.values[static_cast<std::size_t>(output)].dtype);
  graph_.nodes.resize(since.nodes);
  graph_.values.resize(since.values);
  for (auto it = operands_.begin(); it != operands_.end();) {
    if (it->second.value >= static_cast<int>(since.values)) {
      if (it->second.constant) {
        it->second.value = -1;
      } else {
        it = operands_.erase(it);
        continue;
      }
    }
    ++it;
  }
  for (int k = 0; k < node.output_size() && static_cast<std::size_t>(k) < outputs.size(); ++k) {
    if (node.output(k).empty()) continue;
    const Tensor& result = outputs[static_cast<std::size_t>(k)];
    define_constant(node.output(k),
                    const_tensor_of(result.dtype() == types[static_cast<std::size_t>(k)]
                                        ? result
                                        : converted(result, types[static_cast<std::size_t>(k)])));
  }
  return true;
}

}  // namespace ntp::onnx_io
