// The schema machinery every op shares (attribute look-up and defaults, the default cost), as opposed to the
// op table itself, which lives in ops/.
#include "ntp/op_schema.h"

#include <fmt/format.h>

#include <algorithm>

namespace ntp {

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

std::vector<std::int64_t> per_dimension(const Attributes& attrs, const std::string& name, std::size_t count,
                                        std::vector<std::int64_t> fallback) {
  std::vector<std::int64_t> values = attrs.integers(name);
  if (values.empty()) values = std::move(fallback);
  if (values.size() == 1) values.assign(count, values.front());
  if (values.size() != count)
    throw ShapeError(fmt::format("{} has {} values for {} dimensions", name, values.size(), count),
                     fmt::format("give one value, or {}", count));
  return values;
}

}  // namespace ntp
