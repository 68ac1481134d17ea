// int8 through LibTorch's dynamic quantisation, as torch.ao.quantization.quantize_dynamic does it: weights
// quantised once (symmetric int8, one scale per output row) and packed by quantized::linear_prepack; each
// run quantises the activations from their own range inside the op. Debian's LibTorch has no FBGEMM: the
// engine is ONEDNN (its default) or QNNPACK. fc runs quantized::linear_dynamic's kernel
// (LinearPackedParamsBase::apply_dynamic); lstm runs aten::quantized_lstm on cells made by
// quantized::make_quantized_cell_params_dynamic. Both are called through the dispatcher: the cell type has
// no public header.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include "common.h"

namespace ntp::libtorch {

namespace {

using PackedLinear = c10::intrusive_ptr<LinearPackedParamsBase>;

// Symmetric per-row int8 of a [rows, columns] f32 weight, packed with its f32 bias for the engine.
PackedLinear packed_linear(const at::Tensor& weight_f32, const c10::optional<at::Tensor>& bias) {
  const at::Tensor scales = weight_f32.abs().amax(1).clamp_min(1e-12).div(127.0).to(at::kDouble);
  const at::Tensor zero_points = at::zeros({weight_f32.size(0)}, at::kLong);
  const at::Tensor quantized = at::quantize_per_channel(weight_f32, scales, zero_points, 0, at::kQInt8);
  static const auto prepack = c10::Dispatcher::singleton()
                                  .findSchemaOrThrow("quantized::linear_prepack", "")
                                  .typed<PackedLinear(at::Tensor, c10::optional<at::Tensor>)>();
  return prepack.call(quantized, bias);
}

}  // namespace

std::string quantized_engine() {
  const at::QEngine engine = at::globalContext().qEngine();
  return engine == at::QEngine::NoQEngine ? "" : c10::toString(engine);
}

std::unique_ptr<Kernel> make_fc_int8(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const std::int64_t units = node.attrs.integer("units");
  const std::int64_t features = input_value(graph, node_index, 0).shape.back();
  const bool has_bias = node.attrs.integer("bias") != 0;
  const PackedLinear packed = packed_linear(
      weight(graph, node_index, options, "weight", at::kFloat),
      has_bias ? c10::optional<at::Tensor>(weight(graph, node_index, options, "bias", at::kFloat))
               : c10::nullopt);
  const Attributes attrs = node.attrs;
  return std::make_unique<TorchKernel>(
      node, DType::f32,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        at::Tensor y = output.view({-1, units});
        y.copy_(packed->apply_dynamic(inputs[0].reshape({-1, features}), false));
        apply_activation(attrs, y);
      },
      fmt::format("quantized::linear_dynamic ({} engine)", quantized_engine()));
}

std::unique_ptr<Kernel> make_lstm_int8(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  CompileOptions fp32 = options;
  fp32.precision = DType::f32;
  const Recurrence shape = recurrence_of(graph, node_index, fp32);
  static const auto make_cell =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::make_quantized_cell_params_dynamic", "");
  // One cell per layer and direction; its biases live in the packed weights (they are added there).
  std::vector<c10::IValue> cells;
  for (std::int64_t layer = 0; layer < shape.layers; ++layer) {
    for (const std::string& suffix : direction_suffixes(node.attrs)) {
      const std::string tag = fmt::format("_l{}{}", layer, suffix);
      at::Tensor b_ih = weight(graph, node_index, options, "b" + tag, at::kFloat);
      b_ih.narrow(0, shape.hidden, shape.hidden).add_(node.attrs.real("forget_bias"));
      const at::Tensor b_hh = at::zeros_like(b_ih);
      std::vector<c10::IValue> stack{
          packed_linear(weight(graph, node_index, options, "w_ih" + tag, at::kFloat), b_ih),
          packed_linear(weight(graph, node_index, options, "w_hh" + tag, at::kFloat), b_hh), b_ih, b_hh,
          false};
      make_cell.callBoxed(&stack);
      cells.push_back(stack.at(0));
    }
  }
  const std::int64_t directions = shape.directions;
  StackCall call = [cells, directions](const at::Tensor& x, const std::vector<at::Tensor>& hx,
                                       std::int64_t first_layer, std::int64_t layer_count,
                                       bool bidirectional) -> std::vector<at::Tensor> {
    static const auto quantized_lstm =
        c10::Dispatcher::singleton().findSchemaOrThrow("aten::quantized_lstm", "input");
    c10::impl::GenericList params(cells.front().type());
    for (std::int64_t i = first_layer * directions; i < (first_layer + layer_count) * directions; ++i)
      params.push_back(cells[static_cast<std::size_t>(i)]);
    // (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first, dtype,
    //  use_dynamic)
    std::vector<c10::IValue> stack{x,           c10::List<at::Tensor>(hx),
                                   params,      true,
                                   layer_count, 0.0,
                                   false,       bidirectional,
                                   false,       c10::IValue(),
                                   true};
    quantized_lstm.callBoxed(&stack);
    return {stack.at(0).toTensor(), stack.at(1).toTensor(), stack.at(2).toTensor()};
  };
  return make_recurrent_kernel(graph, node_index, DType::f32, shape, std::move(call),
                               fmt::format("aten::quantized_lstm (dynamic, {} engine)", quantized_engine()));
}

}  // namespace ntp::libtorch
