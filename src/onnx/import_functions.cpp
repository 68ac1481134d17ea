// ONNX operators defined by a function body (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, Range,
// MeanVarianceNormalization, ...): a node NTP has no converter for is replaced by the body ONNX's schema
// gives it, in place, before conversion, so that it runs as the ops it is made of. Bodies that depend on
// the inputs' types are built from the types ONNX's shape inference gives.
#include <onnx/defs/function.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <map>
#include <set>

#include "import_context.h"

namespace ntp::onnx_io {

namespace {

constexpr int kMaxExpansionRounds = 4;  // bodies may use function ops themselves

int default_opset(const onnx::ModelProto& model) {
  int opset = 1;
  for (const auto& entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx") opset = static_cast<int>(entry.version());
  return opset;
}

// Every tensor's type the model states or ONNX's shape inference finds.
std::map<std::string, onnx::TypeProto> known_types(const onnx::ModelProto& model) {
  onnx::ModelProto inferred = model;
  try {
    onnx::shape_inference::InferShapes(inferred);
  } catch (const std::exception&) {
    // Without inferred types only type-independent bodies expand; the node is then refused as unsupported.
  }
  std::map<std::string, onnx::TypeProto> types;
  const onnx::GraphProto& graph = inferred.graph();
  for (const auto& list : {graph.input(), graph.value_info(), graph.output()})
    for (const auto& info : list)
      if (info.has_type()) types[info.name()] = info.type();
  for (const auto& initializer : graph.initializer()) {
    onnx::TypeProto type;
    type.mutable_tensor_type()->set_elem_type(initializer.data_type());
    for (const std::int64_t dim : initializer.dims())
      type.mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(dim);
    types[initializer.name()] = type;
  }
  return types;
}

// The function body of `node` at `opset`, when ONNX defines one.
std::optional<onnx::FunctionProto> function_body(const onnx::NodeProto& node, int opset,
                                                 const std::map<std::string, onnx::TypeProto>& types) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, node.domain());
  if (schema == nullptr) return std::nullopt;
  if (schema->HasFunction() && schema->GetFunction() != nullptr) return *schema->GetFunction();
  if (!schema->HasContextDependentFunction()) return std::nullopt;
  std::vector<onnx::TypeProto> input_types;
  for (const std::string& input : node.input()) {
    const auto found = types.find(input);
    input_types.push_back(found == types.end() ? onnx::TypeProto() : found->second);
  }
  onnx::FunctionProto body;
  try {
    const onnx::FunctionBodyBuildContextImpl context(node, input_types);
    if (!schema->BuildContextDependentFunction(context, body)) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return body;
}

// Only nodes NTP has no converter for. (LayerNormalization's body in ONNX 1.12 crashes the library when it
// is built, so its Mean and InvStdDev outputs stay refused.)
bool needs_expansion(const onnx::NodeProto& node) {
  return !is_importable(node) && node.op_type() != "LayerNormalization";
}

}  // namespace

void expand_functions(onnx::ModelProto& model) {
  const int opset = default_opset(model);
  for (int round = 0; round < kMaxExpansionRounds; ++round) {
    // Most models need nothing: no copy of the model and no shape inference for them.
    if (std::none_of(model.graph().node().begin(), model.graph().node().end(), needs_expansion)) return;
    const std::map<std::string, onnx::TypeProto> types = known_types(model);
    onnx::GraphProto expanded;
    bool changed = false;
    int counter = 0;
    for (const onnx::NodeProto& node : model.graph().node()) {
      std::optional<onnx::FunctionProto> body;
      if (needs_expansion(node)) body = function_body(node, opset, types);
      if (!body) {
        *expanded.add_node() = node;
        continue;
      }
      const std::string prefix =
          (node.name().empty() ? node.output(0) : node.name()) + "/" + std::to_string(counter++) + "_";
      const int first = expanded.node_size();
      onnx::FunctionExpandHelper(node, *body, expanded, prefix);
      // A body attribute that refers to one the node does not set takes the op's default, or is absent when
      // there is none (ONNX's rule); ONNX 1.12's helper leaves it with a zero value, so an NLL inside
      // SoftmaxCrossEntropyLoss would ignore class 0 and MeanVarianceNormalization would reduce every axis.
      const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, node.domain());
      std::set<std::string> set_by_node;
      for (const auto& attr : node.attribute())
        set_by_node.insert(attr.name());
      for (int n = 0; n < body->node_size() && first + n < expanded.node_size(); ++n) {
        auto* attributes = expanded.mutable_node(first + n)->mutable_attribute();
        for (const auto& attr : body->node(n).attribute()) {
          if (attr.ref_attr_name().empty() || set_by_node.count(attr.ref_attr_name()) != 0) continue;
          for (int a = attributes->size(); a-- > 0;)
            if (attributes->Get(a).name() == attr.name()) attributes->DeleteSubrange(a, 1);
          const auto declared = schema->attributes().find(attr.ref_attr_name());
          if (declared != schema->attributes().end() && declared->second.default_value.type() != 0) {
            onnx::AttributeProto* value = attributes->Add();
            *value = declared->second.default_value;
            value->set_name(attr.name());
          }
        }
      }
      changed = true;
    }
    if (!changed) return;
    model.mutable_graph()->mutable_node()->Swap(expanded.mutable_node());
  }
}

}  // namespace ntp::onnx_io
