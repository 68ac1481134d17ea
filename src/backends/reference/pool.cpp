// Pooling kernels on [N, C, L] or [N, C, H, W]: maxpool, avgpool (windows with zero padding ignored or
// counted), and the global pools that reduce every spatial dimension to 1. Rank 3 is pooled as height 1.
#include <fmt/format.h>

#include <limits>

#include "kernels.h"

namespace ntp::reference {

namespace {

struct PoolGeometry {
  std::int64_t planes = 0;  // N * C
  std::int64_t in_h = 1, in_w = 1;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t out_h = 1, out_w = 1;
};

enum class PoolKind { max, average };

RunFunction make_pool(const NodeView& node, PoolKind kind) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.size() != 3 && in.size() != 4) node.fail("input must be [N, C, L] or [N, C, H, W]");
  const std::size_t spatial_dims = in.size() - 2;
  const auto kernel = per_dimension(node, "kernel", spatial_dims);
  const auto stride = per_dimension(node, "stride", spatial_dims, kernel);  // default: the kernel
  const auto padding = per_dimension(node, "padding", spatial_dims, {0});
  const bool count_include_pad = kind == PoolKind::average && node.attrs().integer("count_include_pad") != 0;

  PoolGeometry g;
  g.planes = in[0] * in[1];
  const std::size_t last = spatial_dims - 1;
  g.in_h = spatial_dims == 2 ? in[2] : 1;
  g.in_w = in.back();
  g.kernel_h = spatial_dims == 2 ? kernel[0] : 1;
  g.kernel_w = kernel[last];
  g.stride_h = spatial_dims == 2 ? stride[0] : 1;
  g.stride_w = stride[last];
  g.pad_h = spatial_dims == 2 ? padding[0] : 0;
  g.pad_w = padding[last];
  if (g.kernel_h <= 0 || g.kernel_w <= 0 || g.stride_h <= 0 || g.stride_w <= 0)
    node.fail("kernel and stride must be positive");
  g.out_h = (g.in_h + 2 * g.pad_h - g.kernel_h) / g.stride_h + 1;
  g.out_w = (g.in_w + 2 * g.pad_w - g.kernel_w) / g.stride_w + 1;
  Shape out = {in[0], in[1]};
  if (spatial_dims == 2) out.push_back(g.out_h);
  out.push_back(g.out_w);
  node.expect_output_shape(0, out);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const float* plane = x + p * g.in_h * g.in_w;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          double sum = 0;
          float maximum = -std::numeric_limits<float>::infinity();
          std::int64_t valid = 0;
          for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
            const std::int64_t ih = oh * g.stride_h - g.pad_h + kh;
            if (ih < 0 || ih >= g.in_h) continue;
            for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
              const std::int64_t iw = ow * g.stride_w - g.pad_w + kw;
              if (iw < 0 || iw >= g.in_w) continue;
              const float value = plane[ih * g.in_w + iw];
              sum += value;
              maximum = std::max(maximum, value);
              ++valid;
            }
          }
          float result = 0;  // a window entirely in the padding gives 0
          if (valid > 0) {
            if (kind == PoolKind::max) {
              result = maximum;
            } else {
              const std::int64_t divisor = count_include_pad ? g.kernel_h * g.kernel_w : valid;
              result = static_cast<float>(sum / static_cast<double>(divisor));
            }
          }
          y[(p * g.out_h + oh) * g.out_w + ow] = result;
        }
      }
    }
  };
}

RunFunction make_global_pool(const NodeView& node, PoolKind kind) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.size() < 3) node.fail("input must be [N, C, spatial...]");
  Shape out = in;
  for (std::size_t d = 2; d < out.size(); ++d)
    out[d] = 1;
  node.expect_output_shape(0, out);
  const std::int64_t planes = in[0] * in[1];
  const std::int64_t plane_size = element_count(in) / std::max<std::int64_t>(planes, 1);

  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const float* x = inputs[0]->as<float>();
    float* y = outputs[0]->as<float>();
    for (std::int64_t p = 0; p < planes; ++p) {
      const float* plane = x + p * plane_size;
      if (kind == PoolKind::max) {
        y[p] = *std::max_element(plane, plane + plane_size);
      } else {
        double sum = 0;
        for (std::int64_t i = 0; i < plane_size; ++i)
          sum += plane[i];
        y[p] = static_cast<float>(sum / static_cast<double>(plane_size));
      }
    }
  };
}

RunFunction make_maxpool(const NodeView& node) {
  return make_pool(node, PoolKind::max);
}
RunFunction make_avgpool(const NodeView& node) {
  return make_pool(node, PoolKind::average);
}
RunFunction make_global_maxpool(const NodeView& node) {
  return make_global_pool(node, PoolKind::max);
}
RunFunction make_global_avgpool(const NodeView& node) {
  return make_global_pool(node, PoolKind::average);
}

}  // namespace

std::vector<KernelEntry> pool_kernels() {
  return {{"maxpool", make_maxpool},
          {"avgpool", make_avgpool},
          {"global_maxpool", make_global_maxpool},
          {"global_avgpool", make_global_avgpool}};
}

}  // namespace ntp::reference
