// Aggregated views of a run: its timed steps summed per op type and per module of the node-name hierarchy,
// so that a graph of hundreds of nodes reads as a few lines. Pure functions over a run record's `nodes[]`
// (and its end-to-end median); the record carries the result as `aggregates` (docs/report-schema.md), and
// the table, CSV and HTML views print it.
//
// The module of a node comes from its name. When any node's name has a '/', names are split on '/' (ONNX
// exporters write /encoder/layer.0/attn/MatMul; a leading '/' is the root, empty parts are dropped);
// otherwise on '.' (encoder.layer.0.attn.q_proj, PyTorch's module names). The last part is the node itself,
// so a node is a leaf of the tree at its whole path and every prefix is a module holding it; a name without
// a separator is a leaf at depth 1. A conversion step (`LAYER.inK:FROM->TO`) is a leaf beside its layer.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ntp::report {

// Module levels the table, CSV and HTML table show unless --depth says otherwise.
constexpr int kDefaultModuleDepth = 2;

// Sums over a group of nodes. Times are the sum of the nodes' median times (ms); share is that sum over the
// end-to-end median, as a layer's share is; flops and bytes sum the cost model's figures of the nodes that
// have them (conversions and inlays have none).
struct Totals {
  int nodes = 0;
  bool timed = false;  // at least one node had a time
  double time_ms = 0;
  double share = 0;
  bool costed = false;  // at least one node had flops and bytes
  double flops = 0;
  double bytes = 0;
};

struct OpTypeTotals {
  std::string op;  // the node's op; inlays count as their op, conversion steps as "convert"
  Totals totals;
};

struct ModuleTotals {
  std::string name;    // the last part of the path ("attn"); "" at the root
  std::string path;    // the parts joined by the separator ("encoder/layer.0/attn"); "" at the root
  int depth = 0;       // 0 at the root (the whole graph), 1 for a top-level module
  bool layer = false;  // a node's whole name ends here (a leaf, or a module that is also a node)
  Totals totals;
  std::vector<ModuleTotals> children;  // most time first; ties (and untimed runs) in execution order
};

struct Aggregates {
  double end_to_end_ms = 0;            // the denominator of every share
  char separator = '/';                // how names were split: '/' or '.'
  int depth = 0;                       // the deepest level of the tree
  std::vector<OpTypeTotals> op_types;  // most time first; ties in execution order
  ModuleTotals modules;                // the root: every node
};

// The separator the rule above chooses for these names.
char module_separator(const std::vector<std::string>& names);
// A node's path in the module tree: the parts of its name (its kind decides whether it is a conversion).
std::vector<std::string> module_path(const std::string& name, const std::string& kind, char separator);

// The aggregates of a run record (`nodes[]`, `latency.median`). Shares are over the end-to-end median; a
// record without one (or with 0) takes the sum of the node times instead.
Aggregates aggregate_run(const nlohmann::json& record);

// The record's `aggregates`: the op types and the whole module tree.
nlohmann::json aggregates_json(const Aggregates& aggregates);

// The modules down to `depth` levels in table order: each followed by its children, most time first; the
// root is left out.
std::vector<const ModuleTotals*> modules_to_depth(const ModuleTotals& root, int depth);

// How the aggregates were obtained, for the record and the views' notes.
std::string aggregates_how(char separator);

}  // namespace ntp::report
