#include "aggregate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

namespace ntp::report {

namespace {

std::vector<std::string> split(const std::string& name, char separator) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t end = std::min(name.find(separator, begin), name.size());
    if (end > begin) parts.push_back(name.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

// Where "LAYER.inK:FROM->TO" (runtime/executable.cpp names conversion steps so) starts its ".inK:" suffix;
// npos when the name is not of that form.
std::size_t conversion_suffix(const std::string& name) {
  const std::size_t colon = name.find(':');
  if (colon == std::string::npos) return std::string::npos;
  const std::size_t in = name.rfind(".in", colon);
  if (in == std::string::npos || in == 0 || in + 3 == colon) return std::string::npos;
  for (std::size_t i = in + 3; i < colon; ++i)
    if (std::isdigit(static_cast<unsigned char>(name[i])) == 0) return std::string::npos;
  return in;
}

void add_node(Totals& totals, const nlohmann::json& node) {
  ++totals.nodes;
  if (node.contains("time_ms") && node["time_ms"].contains("median")) {
    totals.timed = true;
    totals.time_ms += node["time_ms"]["median"].get<double>();
  }
  if (node.contains("flops") && node.contains("bytes")) {
    totals.costed = true;
    totals.flops += node["flops"].get<double>();
    totals.bytes += node["bytes"].get<double>();
  }
}

void set_share(Totals& totals, double end_to_end_ms) {
  totals.share = end_to_end_ms > 0 ? totals.time_ms / end_to_end_ms : 0;
}

// Most time first; equal times (every one, without layer timing) keep execution order.
template <typename T, typename Key>
void sort_by_time(std::vector<T>& items, Key totals_of) {
  std::stable_sort(items.begin(), items.end(),
                   [&](const T& a, const T& b) { return totals_of(a).time_ms > totals_of(b).time_ms; });
}

void finish(ModuleTotals& module, double end_to_end_ms, int& deepest) {
  set_share(module.totals, end_to_end_ms);
  deepest = std::max(deepest, module.depth);
  for (ModuleTotals& child : module.children)
    finish(child, end_to_end_ms, deepest);
  sort_by_time(module.children, [](const ModuleTotals& child) -> const Totals& { return child.totals; });
}

nlohmann::json totals_json(const Totals& totals) {
  nlohmann::json json = {{"nodes", totals.nodes}};
  if (totals.timed) {
    json["time_ms"] = totals.time_ms;
    json["share"] = totals.share;
  }
  if (totals.costed) {
    json["flops"] = totals.flops;
    json["bytes"] = totals.bytes;
  }
  return json;
}

nlohmann::json module_json(const ModuleTotals& module) {
  nlohmann::json json = {{"name", module.name}, {"path", module.path}, {"depth", module.depth}};
  json.update(totals_json(module.totals));
  json["layer"] = module.layer;
  nlohmann::json children = nlohmann::json::array();
  for (const ModuleTotals& child : module.children)
    children.push_back(module_json(child));
  json["children"] = std::move(children);
  return json;
}

void collect(const ModuleTotals& module, int depth, std::vector<const ModuleTotals*>& out) {
  for (const ModuleTotals& child : module.children) {
    if (child.depth > depth) continue;
    out.push_back(&child);
    collect(child, depth, out);
  }
}

}  // namespace

char module_separator(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(),
                     [](const std::string& name) { return name.find('/') != std::string::npos; })
             ? '/'
             : '.';
}

std::vector<std::string> module_path(const std::string& name, const std::string& kind, char separator) {
  if (kind == "convert") {
    const std::size_t suffix = conversion_suffix(name);
    if (suffix != std::string::npos) {
      std::vector<std::string> parts = split(name.substr(0, suffix), separator);
      if (!parts.empty()) {
        parts.back() += name.substr(suffix);
        return parts;
      }
    }
  }
  std::vector<std::string> parts = split(name, separator);
  if (parts.empty()) parts.push_back(name);  // "/" or "": the name is its own (top-level) part
  return parts;
}

Aggregates aggregate_run(const nlohmann::json& record) {
  Aggregates aggregates;
  static const nlohmann::json none = nlohmann::json::array();
  const nlohmann::json& nodes = record.contains("nodes") ? record["nodes"] : none;
  std::vector<std::string> names;
  for (const nlohmann::json& node : nodes)
    names.push_back(node.value("name", ""));
  aggregates.separator = module_separator(names);

  std::map<std::string, std::size_t> op_index;
  std::map<std::vector<std::string>, std::size_t> child_index;  // a module's parts -> its place in its parent
  double sum_ms = 0;
  for (const nlohmann::json& node : nodes) {
    const std::string kind = node.value("kind", "layer");
    const std::string op = kind == "convert" ? "convert" : node.value("op", "");
    const auto [found, added] = op_index.emplace(op, aggregates.op_types.size());
    if (added) aggregates.op_types.push_back({op, {}});
    add_node(aggregates.op_types[found->second].totals, node);
    if (node.contains("time_ms") && node["time_ms"].contains("median"))
      sum_ms += node["time_ms"]["median"].get<double>();

    ModuleTotals* module = &aggregates.modules;
    add_node(module->totals, node);
    std::vector<std::string> prefix;
    for (const std::string& part : module_path(node.value("name", ""), kind, aggregates.separator)) {
      prefix.push_back(part);
      const auto [found_child, created] = child_index.emplace(prefix, module->children.size());
      if (created) {
        ModuleTotals child;
        child.name = part;
        child.path = module->path.empty() ? part : module->path + aggregates.separator + part;
        child.depth = module->depth + 1;
        module->children.push_back(std::move(child));
      }
      // Only deeper vectors grow during one node's walk from the root, so this pointer stays valid.
      module = &module->children[found_child->second];
      add_node(module->totals, node);
    }
    module->layer = true;
  }

  const double latency_ms = record.contains("latency") ? record["latency"].value("median", 0.0) : 0.0;
  aggregates.end_to_end_ms = latency_ms > 0 ? latency_ms : sum_ms;
  for (OpTypeTotals& op : aggregates.op_types)
    set_share(op.totals, aggregates.end_to_end_ms);
  sort_by_time(aggregates.op_types, [](const OpTypeTotals& op) -> const Totals& { return op.totals; });
  finish(aggregates.modules, aggregates.end_to_end_ms, aggregates.depth);
  return aggregates;
}

std::string aggregates_how(char separator) {
  return fmt::format(
      "time_ms: the sum of the nodes' median times; share: time_ms over the end-to-end median (as a layer's "
      "share, so the shares leave out the residual); flops and bytes: the cost model's, summed over the "
      "nodes "
      "that have them. Op types: inlays count as their op, conversion steps as convert. Modules: node names "
      "split on '{}' ('/' when any name has one, else '.'), a leading separator is the root; each node is a "
      "leaf at its whole name and every prefix a module; a conversion step sits beside its layer; most time "
      "first within each parent",
      separator);
}

nlohmann::json aggregates_json(const Aggregates& aggregates) {
  nlohmann::json op_types = nlohmann::json::array();
  for (const OpTypeTotals& op : aggregates.op_types) {
    nlohmann::json json = {{"op", op.op}};
    json.update(totals_json(op.totals));
    op_types.push_back(std::move(json));
  }
  return {{"op_types", std::move(op_types)},
          {"modules", module_json(aggregates.modules)},
          {"separator", std::string(1, aggregates.separator)},
          {"depth", aggregates.depth},
          {"end_to_end_ms", aggregates.end_to_end_ms},
          {"how", aggregates_how(aggregates.separator)}};
}

std::vector<const ModuleTotals*> modules_to_depth(const ModuleTotals& root, int depth) {
  std::vector<const ModuleTotals*> modules;
  collect(root, depth, modules);
  return modules;
}

}  // namespace ntp::report
