// One node as one cv::dnn::Net: the node's inputs are the net's inputs, its library layers are added and
// connected by the node's factory, and run() feeds the executable's tensors in and copies the results out.
#pragma once

#include <map>
#include <opencv2/dnn.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::opencv {

// One output of a library layer (layer id, output index); the net's input k is {0, k}.
struct Pin {
  int layer = 0;
  int output = 0;
};

class NetKernel final : public Kernel {
 public:
  NetKernel(const Graph& graph, int node_index);

  // The node's input `index` as the net sees it: by default the graph's shape; a factory may view the same
  // row-major elements in another shape (conv1d's [N, C, L] as [N, C, 1, L]).
  Pin input(std::size_t index) const { return {0, static_cast<int>(index)}; }
  void view_input_as(std::size_t index, const std::vector<int>& shape);
  // Adds a library layer of `type` fed by `sources` (in order) and returns its first output.
  Pin add(const std::string& type, cv::dnn::LayerParams params, const std::vector<Pin>& sources);
  // The node's output: the layer whose first output holds its elements in row-major order.
  void set_output(Pin pin);
  // Checks the net's shapes against the graph's before any run (OpenCV checks them lazily otherwise).
  void finish();

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override;
  std::string implementation() const override;
  std::optional<double> library_time_ms() const override { return library_ms_; }

 private:
  cv::dnn::Net net_;
  std::string node_name_;
  SourceLocation where_;
  std::vector<std::vector<int>> input_shapes_;  // as the net sees them
  std::vector<std::string> input_names_;
  std::vector<std::string> layer_types_;
  std::map<int, std::string> layer_names_;  // by layer id
  std::string output_layer_;
  int output_layer_id_ = -1;
  std::size_t output_elements_ = 0;
  std::optional<double> library_ms_;
};

// Shapes as OpenCV takes them.
std::vector<int> to_cv_shape(const Shape& shape);
// A weight of the node, from the store, checked against its declared shape, copied into a Mat of `shape`
// (its own when empty).
cv::Mat weight_mat(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                   const std::vector<int>& shape = {});

}  // namespace ntp::opencv
