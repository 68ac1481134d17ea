// A graph compiled for one back end: kernels in execution order, tensors allocated once, nodes the back end
// cannot run placed on the reference back end, and explicit conversion steps where element types differ.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"
#include "ntp/observer.h"
#include "ntp/tensor.h"

namespace ntp {

struct Step {
  enum class Kind { node, segment_begin, segment_end, convert } kind = Kind::node;
  int node = -1;                   // graph node index (for convert: the node whose input is converted)
  int input = -1;                  // convert: which input of `node` it feeds
  std::string name;                // node or marker name; "fc1.in0:fp32->bf16" for conversions
  std::string op;                  // op name, "marker", or "convert"
  std::string backend;             // back end that runs it
  std::string precision = "fp32";  // what it computes at (a node's own, else the run's; fp32 on fallback)
  std::string implementation;
  bool fallback = false;  // a node the chosen back end does not support, run on reference
};

class Executable {
 public:
  // Throws UserError (naming the node) when a kernel cannot be built. `placement`: per node, the back end
  // that compiles it (nullptr, or an empty list: `backend`); a node's own precision (Node::precision)
  // overrides options.precision. A node its back end cannot run falls back to the reference back end.
  Executable(const Graph& graph, const Backend& backend, const CompileOptions& options,
             const std::vector<const Backend*>& placement = {});
  ~Executable();
  Executable(Executable&&) noexcept;
  Executable& operator=(Executable&&) = delete;

  // Copies `inputs` (f32, by graph input name; each must be present and shaped as declared) into the
  // graph's input tensors and runs every step; observer may be null.
  void run(const std::map<std::string, Tensor>& inputs, Observer* observer);

  // Streaming: every kernel forgets the state earlier chunks left, as at the start of a new stream.
  void reset_stream();

  const std::vector<Step>& steps() const;
  // The library's own time for step `step` in the last run (Kernel::library_time_ms); none for steps whose
  // kernel keeps no such timer.
  std::optional<double> library_time_ms(int step) const;
  // A value's tensor after run(), converted to f32 if the kernel produced another type.
  Tensor value_f32(int value_index) const;
  // A value's tensor after run() as the kernel wrote it (the graph's type, or the run's precision).
  const Tensor& value(int value_index) const;
  const Graph& graph() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ntp
