#include <algorithm>

#include "families.h"

namespace ntp {

namespace {
std::vector<OpSchema> build_table() {
  std::vector<OpSchema> table;
  for (auto family : {ops::dense_ops, ops::conv_ops, ops::pool_ops, ops::norm_ops, ops::activation_ops,
                      ops::rnn_ops, ops::attention_ops, ops::tensor_ops, ops::inlay_ops}) {
    for (auto& schema : family())
      table.push_back(std::move(schema));
  }
  return table;
}
}  // namespace

const std::vector<OpSchema>& all_ops() {
  static const std::vector<OpSchema> table = build_table();
  return table;
}

const OpSchema* find_op(const std::string& name) {
  const auto& table = all_ops();
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const OpSchema& op) { return op.name == name; });
  return found == table.end() ? nullptr : &*found;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const auto& op : all_ops())
    names.push_back(op.name);
  return names;
}

const AttrSpec* OpSchema::find_attr(const std::string& attr_name) const {
  const auto found =
      std::find_if(attrs.begin(), attrs.end(), [&](const AttrSpec& a) { return a.name == attr_name; });
  return found == attrs.end() ? nullptr : &*found;
}

void apply_defaults(const OpSchema& schema, Attributes& attrs) {
  for (const auto& spec : schema.attrs)
    if (!attrs.has(spec.name) && spec.default_value) attrs.set(spec.name, *spec.default_value);
}

double tensor_bytes(const Value& value) {
  return static_cast<double>(element_count(value.shape)) * static_cast<double>(dtype_size(value.dtype));
}

double weight_bytes(const OpContext& ctx) {
  double bytes = 0;
  for (const auto& weight : ctx.node.weights)
    bytes +=
        static_cast<double>(element_count(weight.shape)) * static_cast<double>(dtype_size(ctx.weight_dtype));
  return bytes;
}

Cost default_cost(const OpContext& ctx, double flops) {
  Cost cost;
  cost.flops = flops;
  for (const Value* input : ctx.inputs)
    cost.bytes_read += tensor_bytes(*input);
  cost.bytes_read += weight_bytes(ctx);
  for (const Value* output : ctx.outputs)
    cost.bytes_written += tensor_bytes(*output);
  return cost;
}

}  // namespace ntp
