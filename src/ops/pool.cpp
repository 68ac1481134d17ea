// Pooling over [N, C, L] or [N, C, H, W]: max and average windows, and global pools.
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

OpSchema window_pool(const std::string& name, const std::string& summary) {
  OpSchema op;
  op.name = name;
  op.family = "pool";
  op.summary = summary;
  op.layout = "[N, C, L] or [N, C, H, W]";
  op.attrs = {required_integers("kernel", "window size per spatial dimension (one value for all)"),
              integers_attr("stride", {}, "stride per spatial dimension (default: the kernel)"),
              integers_attr("padding", {0}, "padding on each side per spatial dimension")};
  if (name == "avgpool")
    op.attrs.push_back(integer_attr("count_include_pad", 0, "1 to average over padding too"));
  op.infer = [name](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    expect_rank(input, 3, 4, fmt::format("{} input", name));
    const std::size_t dims = input.size() - 2;
    const auto kernel = per_dimension(ctx.attrs, "kernel", dims);
    const auto stride =
        ctx.attrs.integers("stride").empty() ? kernel : per_dimension(ctx.attrs, "stride", dims);
    const auto padding = per_dimension(ctx.attrs, "padding", dims);
    Shape out = {input[0], input[1]};
    for (std::size_t d = 0; d < dims; ++d) {
      if (padding[d] > kernel[d] / 2)
        throw ShapeError(fmt::format("padding {} is more than half the window {}", padding[d], kernel[d]),
                         "a window must not lie wholly in the padding; use padding <= kernel/2");
      out.push_back(window_output(input[2 + d], kernel[d], stride[d], padding[d], 1,
                                  "spatial dimension " + std::to_string(d)));
    }
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) {
    const std::size_t dims = ctx.in(0).size() - 2;
    double window = 1;
    for (const std::int64_t k : per_dimension(ctx.attrs, "kernel", dims))
      window *= static_cast<double>(k);
    return default_cost(ctx, elements(ctx.outputs.at(0)->shape) * window);
  };
  return op;
}

OpSchema global_pool(const std::string& name, const std::string& summary) {
  OpSchema op;
  op.name = name;
  op.family = "pool";
  op.summary = summary;
  op.layout = "[N, C, ...]";
  op.infer = [name](const OpContext& ctx) {
    expect_rank(ctx.in(0), 3, 8, fmt::format("{} input", name));
    Shape out = ctx.in(0);
    for (std::size_t d = 2; d < out.size(); ++d)
      out[d] = 1;
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) { return default_cost(ctx, elements(ctx.in(0))); };
  return op;
}

}  // namespace

std::vector<OpSchema> pool_ops() {
  return {
      window_pool("maxpool",
                  "Maximum over sliding windows of [N, C, L] or [N, C, H, W]; output size floor((in + "
                  "2*padding - kernel)/stride) + 1, stride defaulting to the kernel, one value applying to "
                  "every spatial dimension. FLOPs: one per element of every window; bytes: input and "
                  "output."),
      window_pool("avgpool",
                  "Average over sliding windows of [N, C, L] or [N, C, H, W] (over the valid elements only, "
                  "unless count_include_pad); sizes, stride and padding as maxpool. FLOPs: one per element "
                  "of every window; bytes: input and output."),
      global_pool(
          "global_avgpool",
          "Average over all spatial positions: [N, C, ...] -> [N, C, 1, ...] (rank kept). One FLOP per "
          "input element; bytes: input and output."),
      global_pool(
          "global_maxpool",
          "Maximum over all spatial positions: [N, C, ...] -> [N, C, 1, ...] (rank kept). One FLOP per "
          "input element; bytes: input and output.")};
}

}  // namespace ntp::ops
