#include "opencv_backend.h"
#include "../library_backend.h"

#include <fmt/format.h>

#include <map>
#include <opencv2/core/utility.hpp>

#include "layers.h"

namespace ntp {

namespace {

using opencv::Factory;

const backends::FactoryTable& factories() {
  static const backends::FactoryTable table = {
      {"fc", opencv::make_fc},
      {"matmul", opencv::make_matmul},
      {"lstm", opencv::make_lstm},
      {"conv1d", opencv::make_conv},
      {"conv2d", opencv::make_conv},
      {"maxpool", opencv::make_pool},
      {"avgpool", opencv::make_pool},
      {"global_avgpool", opencv::make_pool},
      {"global_maxpool", opencv::make_pool},
      {"batchnorm", opencv::make_batchnorm},
      {"relu", opencv::make_activation},
      {"leaky_relu", opencv::make_activation},
      {"tanh", opencv::make_activation},
      {"sigmoid", opencv::make_activation},
      {"hardtanh", opencv::make_activation},
      {"softmax", opencv::make_softmax},
      {"log_softmax", opencv::make_softmax},
      {"add", opencv::make_eltwise},
      {"mul", opencv::make_eltwise},
      {"concat", opencv::make_concat},
      {"transpose", opencv::make_transpose},
      {"reshape", opencv::make_reshape},
      {"flatten", opencv::make_reshape},
  };
  return table;
}

const Shape& shape_of(const Graph& graph, int value) {
  return graph.values[static_cast<std::size_t>(value)].shape;
}

// What OpenCV 4.6's layers cannot express, checked before a node is given to it.
bool layer_fits(const Graph& graph, const Node& node) {
  const Shape& out = shape_of(graph, node.outputs.at(0));
  const Shape& first = shape_of(graph, node.inputs.at(0));
  if (node.op == "fc" || node.op == "conv1d" || node.op == "conv2d")
    return opencv::has_fused_activation(node.attrs);
  // Eltwise adds and multiplies blobs of one shape; it does not broadcast, and its invoker asserts on
  // blobs of more than 5 dimensions.
  if (node.op == "add" || node.op == "mul") {
    if (out.size() > 5) return false;
    for (const int input : node.inputs)
      if (shape_of(graph, input) != out) return false;
    return true;
  }
  // The two-input InnerProduct multiplies matrix by matrix over equal batch dimensions (or a 2-D right side).
  if (node.op == "matmul") {
    const Shape& right = shape_of(graph, node.inputs.at(1));
    if (right.size() == 2) return true;
    return first.size() == right.size() && std::equal(first.begin(), first.end() - 2, right.begin());
  }
  if (node.op == "maxpool" || node.op == "avgpool") return first.size() == 3 || first.size() == 4;
  return true;
}

class OpencvBackend final : public Backend {
 public:
  std::string name() const override { return "opencv"; }
  // Its LSTM layer copies the weights into blobs of its own: 512 MiB of LSTM weights peaked at 1562 MiB.
  double weight_copies() const override { return 2.0; }
  std::string version() const override { return CV_VERSION; }
  std::vector<DType> precisions() const override { return {DType::f32}; }

  std::vector<std::string> ops() const override { return backends::table_ops(factories()); }

  // OpenCV parallelises its layers with its own framework (TBB in Debian's build); its LSTM layer is
  // sequential whatever this says.
  void set_threads(int threads) const override {
    if (threads > 0) cv::setNumThreads(threads);
  }

  bool supports(const Graph& graph, int node_index, const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    if (factories().count(node.op) == 0 || options.precision != DType::f32) return false;
    // Streaming recurrent layers carry their state between runs; OpenCV's LSTM starts from its h0/c0 blobs.
    if (options.streaming && node.op == "lstm") return false;
    // OpenCV has no 1-D blobs (it makes them [n, 1]), so every tensor must have rank 2 or more.
    for (const int input : node.inputs) {
      const Value& value = graph.values[static_cast<std::size_t>(input)];
      if (value.dtype != DType::f32 || value.shape.size() < 2) return false;
    }
    if (node.outputs.size() != 1 || shape_of(graph, node.outputs[0]).size() < 2) return false;
    return layer_fits(graph, node);
  }

  std::unique_ptr<Kernel> compile_node(const Graph& graph, int node_index,
                                       const CompileOptions& options) const override {
    const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
    try {
      return backends::build_from_table(factories(), graph, node_index, options);
    } catch (const cv::Exception& error) {
      throw backends::library_refused(node, "OpenCV DNN", options, error.what(),
                                      "run it with --backend reference");
    }
  }
};

}  // namespace

const Backend& opencv_backend() {
  static const OpencvBackend backend;
  return backend;
}

}  // namespace ntp
