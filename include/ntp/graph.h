// The intermediate representation: values (tensors), nodes (ops and segment markers), and the graph.
// Building a graph records structure only; no memory for tensors is allocated here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ntp/dtype.h"
#include "ntp/shape.h"
#include "ntp/status.h"

namespace ntp {

struct OpSchema;

using AttrValue =
    std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>>;

// Attributes of a node after parsing: every attribute of the op's schema is present (defaults filled in).
class Attributes {
 public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, AttrValue value) { values_[name] = std::move(value); }
  // Typed access; an attribute of the wrong type or a missing one is an internal error (std::logic_error),
  // because the parser has already checked every attribute against the schema.
  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;  // an integer attribute converts
  const std::string& text(const std::string& name) const;
  const std::vector<std::int64_t>& integers(const std::string& name) const;
  const std::vector<double>& reals(const std::string& name) const;
  const std::map<std::string, AttrValue>& all() const { return values_; }

 private:
  std::map<std::string, AttrValue> values_;
};

// "7", "0.5", "relu", "3,3"
std::string attr_to_string(const AttrValue& value);

// How a graph input or a weight is filled when no data is given.
struct Distribution {
  enum class Kind { uniform, normal } kind = Kind::uniform;
  double a = -1.0;  // uniform: low; normal: mean
  double b = 1.0;   // uniform: high; normal: standard deviation
};

struct Value {
  std::string name;  // "fc1", or "split1:1" for the second output of split1
  Shape shape;
  DType dtype = DType::f32;
  int producer = -1;          // index of the node that writes it; -1 for a graph input
  Distribution distribution;  // for graph inputs
  // Graph inputs: the parameter each dimension was written as on its own ("" otherwise), so that data of
  // another length (an audio file, an .npy) can set it.
  std::vector<std::string> dim_params;
  double samplerate = 0;  // audio inputs [batch, samples]: samples per second; 0 for other values
};

// A learned parameter of a node, e.g. fc's "weight" [units, in] and "bias" [units].
struct WeightSpec {
  std::string name;
  Shape shape;
  Distribution distribution;  // seeded initialisation; back ends fill the same numbers for the same seed
};

enum class NodeKind { op, segment_begin, segment_end };

struct Node {
  NodeKind kind = NodeKind::op;
  std::string name;  // layer name, or the marker name for segment_begin / segment_end
  std::string op;    // schema name; empty for markers
  const OpSchema* schema = nullptr;
  Attributes attrs;
  std::vector<int> inputs;          // value indices
  std::vector<int> outputs;         // value indices
  std::vector<WeightSpec> weights;  // filled by shape inference
  std::optional<DType> precision;   // per-layer override of the run's precision
  std::string device;               // per-layer device override ("" = the run's device)
  std::string backend;              // per-layer back end ("" = the run's), checked when the run compiles
  std::string tool;                 // markers: the external profiling tool for the region ("" = none)
  SourceLocation where;

  bool is_op() const { return kind == NodeKind::op; }
  // A pipeline stage outside the network (features, decoders, conversions): its schema's category.
  bool is_inlay() const;
};

// A named region between a start and an end marker. Segments may nest or overlap.
struct Segment {
  std::string name;
  std::string tool;
  int begin_node = -1;        // index of the segment_begin node
  int end_node = -1;          // index of the segment_end node
  std::vector<int> op_nodes;  // op nodes executed inside the region
};

struct Graph {
  std::string name;
  std::string source;  // file the graph came from
  std::vector<Value> values;
  std::vector<Node> nodes;                    // in execution order (a topological order, markers in place)
  std::vector<int> inputs;                    // value indices of graph inputs
  std::vector<int> outputs;                   // value indices of graph outputs
  std::map<std::string, std::string> params;  // resolved parameter values, overrides applied

  int find_value(const std::string& name) const;  // -1 when absent
  int find_node(const std::string& name) const;   // op nodes only; -1 when absent
  std::vector<Segment> segments() const;
  // The one-line canonical descriptor of an op node, e.g. "lstm:T146,N1,I4096,H2048,bidir,fp32".
  std::string descriptor(int node_index) const;
};

}  // namespace ntp
