#include "ntp/graph.h"

#include <fmt/format.h>

#include <stdexcept>

#include "ntp/op_schema.h"

namespace ntp {

namespace {
template <class T>
const T& get_attr(const std::map<std::string, AttrValue>& values, const std::string& name) {
  const auto found = values.find(name);
  if (found == values.end()) throw std::logic_error("attribute '" + name + "' is not set");
  const T* value = std::get_if<T>(&found->second);
  if (value == nullptr) throw std::logic_error("attribute '" + name + "' has another type");
  return *value;
}
}  // namespace

std::int64_t Attributes::integer(const std::string& name) const {
  return get_attr<std::int64_t>(values_, name);
}

double Attributes::real(const std::string& name) const {
  const auto found = values_.find(name);
  if (found != values_.end())
    if (const auto* integer_value = std::get_if<std::int64_t>(&found->second))
      return static_cast<double>(*integer_value);
  return get_attr<double>(values_, name);
}

const std::string& Attributes::text(const std::string& name) const {
  return get_attr<std::string>(values_, name);
}

const std::vector<std::int64_t>& Attributes::integers(const std::string& name) const {
  return get_attr<std::vector<std::int64_t>>(values_, name);
}

const std::vector<double>& Attributes::reals(const std::string& name) const {
  return get_attr<std::vector<double>>(values_, name);
}

std::string attr_to_string(const AttrValue& value) {
  struct Printer {
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{:g}", v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::int64_t>& v) const {
      return fmt::format("{}", fmt::join(v, ","));
    }
    std::string operator()(const std::vector<double>& v) const {
      return fmt::format("{:g}", fmt::join(v, ","));
    }
  };
  return std::visit(Printer{}, value);
}

bool Node::is_inlay() const {
  return schema != nullptr && schema->category == OpCategory::inlay;
}

int Graph::find_value(const std::string& value_name) const {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i].name == value_name) return static_cast<int>(i);
  return -1;
}

int Graph::find_node(const std::string& node_name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].is_op() && nodes[i].name == node_name) return static_cast<int>(i);
  return -1;
}

std::vector<Segment> Graph::segments() const {
  std::vector<Segment> result;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind != NodeKind::segment_begin) continue;
    Segment segment{nodes[i].name, nodes[i].tool, static_cast<int>(i), -1, {}};
    for (std::size_t j = i + 1; j < nodes.size(); ++j) {
      if (nodes[j].kind == NodeKind::segment_end && nodes[j].name == segment.name) {
        segment.end_node = static_cast<int>(j);
        break;
      }
      if (nodes[j].is_op()) segment.op_nodes.push_back(static_cast<int>(j));
    }
    result.push_back(std::move(segment));
  }
  return result;
}

std::string Graph::descriptor(int node_index) const {
  const Node& node = nodes.at(static_cast<std::size_t>(node_index));
  if (!node.is_op()) return node.name;
  std::vector<std::string> parts;
  for (const int input : node.inputs)
    parts.push_back(fmt::format("{}", fmt::join(values[input].shape, "x")));
  for (const auto& [attr_name, value] : node.attrs.all()) {
    const AttrSpec* spec = node.schema != nullptr ? node.schema->find_attr(attr_name) : nullptr;
    if (spec != nullptr && spec->default_value && *spec->default_value == value) continue;
    parts.push_back(attr_name + "=" + attr_to_string(value));
  }
  const DType type = node.outputs.empty() ? DType::f32 : values[node.outputs.front()].dtype;
  parts.emplace_back(dtype_name(node.precision.value_or(type)));
  return fmt::format("{}:{}", node.op, fmt::join(parts, ","));
}

}  // namespace ntp
