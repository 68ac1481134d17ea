#include "net_kernel.h"

#include <fmt/format.h>

#include <cstring>
#include <numeric>
#include <opencv2/dnn/shape_utils.hpp>

#include "backends/reference/kernels.h"

namespace ntp::opencv {

std::vector<int> to_cv_shape(const Shape& shape) {
  return {shape.begin(), shape.end()};
}

cv::Mat weight_mat(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                   const std::vector<int>& shape) {
  // The reference back end's view checks that the store has the weight and that its shape is the declared
  // one.
  const Tensor weight = reference::NodeView(graph, node, options.weights).weight(name);
  const std::vector<int> mat_shape = shape.empty() ? to_cv_shape(weight.shape()) : shape;
  if (std::accumulate(mat_shape.begin(), mat_shape.end(), std::int64_t{1}, std::multiplies<>()) !=
      weight.elements())
    throw std::logic_error(fmt::format("weight '{}' viewed with another element count", name));
  cv::Mat mat(static_cast<int>(mat_shape.size()), mat_shape.data(), CV_32F);
  std::memcpy(mat.data, weight.data(), weight.bytes());
  return mat;
}

NetKernel::NetKernel(const Graph& graph, int node_index) {
  const Node& node = graph.nodes.at(static_cast<std::size_t>(node_index));
  node_name_ = node.name;
  where_ = node.where;
  for (std::size_t k = 0; k < node.inputs.size(); ++k) {
    input_shapes_.push_back(to_cv_shape(graph.values[static_cast<std::size_t>(node.inputs[k])].shape));
    input_names_.push_back(fmt::format("in{}", k));
  }
  output_elements_ = static_cast<std::size_t>(
      element_count(graph.values[static_cast<std::size_t>(node.outputs.at(0))].shape));
  net_.setInputsNames(input_names_);
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

void NetKernel::view_input_as(std::size_t index, const std::vector<int>& shape) {
  input_shapes_.at(index) = shape;
}

Pin NetKernel::add(const std::string& type, cv::dnn::LayerParams params, const std::vector<Pin>& sources) {
  // Layer names are local to this node's net; dots would read as "layer.output" pins.
  const std::string name = fmt::format("l{}_{}", layer_types_.size(), type);
  params.name = name;
  params.type = type;
  const int id = net_.addLayer(name, type, params);
  for (std::size_t k = 0; k < sources.size(); ++k)
    net_.connect(sources[k].layer, sources[k].output, id, static_cast<int>(k));
  layer_types_.push_back(type);
  layer_names_[id] = name;
  return {id, 0};
}

void NetKernel::set_output(Pin pin) {
  if (pin.output != 0 || pin.layer == 0)
    throw std::logic_error("a node's output must be a layer's first output");
  output_layer_id_ = pin.layer;
  output_layer_ = layer_names_.at(pin.layer);
}

void NetKernel::finish() {
  std::vector<cv::dnn::MatShape> shapes(input_shapes_.begin(), input_shapes_.end());
  std::vector<int> ids;
  std::vector<std::vector<cv::dnn::MatShape>> in_shapes;
  std::vector<std::vector<cv::dnn::MatShape>> out_shapes;
  net_.getLayersShapes(shapes, ids, in_shapes, out_shapes);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != output_layer_id_) continue;
    const auto& produced = out_shapes[i].at(0);
    const auto elements = static_cast<std::size_t>(cv::dnn::total(produced));
    if (elements != output_elements_)
      throw UserError(where_,
                      fmt::format("OpenCV's layers for '{}' produce {} elements, the graph expects {}",
                                  node_name_, elements, output_elements_),
                      "run it with --backend reference");
    return;
  }
  throw std::logic_error("the output layer is not in the net");
}

void NetKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  try {
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const std::vector<int>& shape = input_shapes_[k];
      // setInput copies the blob into the net, so the header may point at the executable's const tensor.
      const cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F,
                         const_cast<void*>(inputs[k]->data()));
      net_.setInput(blob, input_names_[k]);
    }
    std::vector<cv::Mat> results;
    net_.forward(results, std::vector<cv::String>{output_layer_});
    const cv::Mat& result = results.at(0);
    if (result.total() != output_elements_ || !result.isContinuous() || result.type() != CV_32F)
      throw UserError(where_, fmt::format("OpenCV's output for '{}' has {} elements, the graph expects {}",
                                          node_name_, result.total(), output_elements_));
    std::memcpy(outputs[0]->data(), result.data, output_elements_ * sizeof(float));
    std::vector<double> ticks;
    net_.getPerfProfile(ticks);  // per layer of this net, excluding its input layer; fused layers report 0
    library_ms_ = std::accumulate(ticks.begin(), ticks.end(), 0.0) * 1e3 / cv::getTickFrequency();
  } catch (const cv::Exception& error) {
    throw UserError(where_, fmt::format("OpenCV DNN failed to run layer '{}': {}", node_name_, error.what()),
                    "run it with --backend reference");
  }
}

std::string NetKernel::implementation() const {
  std::string layers;
  for (const std::string& type : layer_types_)
    layers += (layers.empty() ? "" : "+") + type;
  return "opencv:" + layers;
}

}  // namespace ntp::opencv
