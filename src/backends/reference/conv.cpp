// Convolution kernels: conv1d [N, C, L] and conv2d [N, C, H, W], grouped, strided, dilated, zero-padded,
// and their transposes. 1-D is computed as 2-D with a height of 1.
#include <fmt/format.h>

#include "kernels.h"

namespace ntp::reference {

namespace {

struct ConvGeometry {
  std::int64_t batch = 0, channels = 0, in_h = 0, in_w = 0;
  std::int64_t filters = 0, groups = 1;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t out_h = 0, out_w = 0;
};

std::int64_t output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                         std::int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

// out[n][f][oh][ow] = act(bias[f] + sum over c in f's group, kh, kw of
//                         w[f][c][kh][kw] * x[n][g*C/groups + c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw])
// with x = 0 outside the input.
void convolve(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const std::int64_t group_channels = g.channels / g.groups;
  const std::int64_t group_filters = g.filters / g.groups;
  const std::int64_t out_plane = g.out_h * g.out_w;
  const std::int64_t in_plane = g.in_h * g.in_w;
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t f = 0; f < g.filters; ++f) {
      const std::int64_t group = f / group_filters;
      float* out = y + (n * g.filters + f) * out_plane;
      std::fill(out, out + out_plane, bias != nullptr ? bias[f] : 0.0F);
      for (std::int64_t c = 0; c < group_channels; ++c) {
        const float* in = x + (n * g.channels + group * group_channels + c) * in_plane;
        for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
          for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const float weight = w[((f * group_channels + c) * g.kernel_h + kh) * g.kernel_w + kw];
            for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
              const std::int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
              if (ih < 0 || ih >= g.in_h) continue;
              for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
                const std::int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
                if (iw < 0 || iw >= g.in_w) continue;
                out[oh * g.out_w + ow] += weight * in[ih * g.in_w + iw];
              }
            }
          }
        }
      }
    }
  }
}

// Both directions' set-up: arity, rank, the per-dimension attributes and groups; conv1d runs as 2-D with a
// height of 1. The output size is left to the caller.
ConvGeometry read_geometry(const NodeView& node, std::size_t spatial_dims) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.size() != 2 + spatial_dims) node.fail(fmt::format("input must have rank {}", 2 + spatial_dims));
  const auto kernel = per_dimension(node, "kernel", spatial_dims);
  const auto stride = per_dimension(node, "stride", spatial_dims, {1});
  const auto padding = per_dimension(node, "padding", spatial_dims, {0});
  const auto dilation = per_dimension(node, "dilation", spatial_dims, {1});
  ConvGeometry g;
  g.batch = in[0];
  g.channels = in[1];
  g.filters = node.attrs().integer("filters");
  g.groups = node.attrs().integer("groups");
  if (g.groups <= 0 || g.channels % g.groups != 0 || g.filters % g.groups != 0)
    node.fail(fmt::format("channels {} and filters {} must be divisible by groups {}", g.channels, g.filters,
                          g.groups));
  const std::size_t last = spatial_dims - 1;  // conv1d: only the width
  const bool planar = spatial_dims == 2;
  g.in_h = planar ? in[2] : 1;
  g.in_w = in.back();
  g.kernel_h = planar ? kernel[0] : 1;
  g.kernel_w = kernel[last];
  g.stride_h = planar ? stride[0] : 1;
  g.stride_w = stride[last];
  g.pad_h = planar ? padding[0] : 0;
  g.pad_w = padding[last];
  g.dilation_h = planar ? dilation[0] : 1;
  g.dilation_w = dilation[last];
  if (g.stride_h <= 0 || g.stride_w <= 0 || g.dilation_h <= 0 || g.dilation_w <= 0)
    node.fail("stride and dilation must be positive");
  return g;
}

using ConvolveFunction = void (*)(const ConvGeometry&, const float*, const float*, const float*, float*);

// Checks the output shape against the geometry and runs `convolve` with the bias and fused activation.
RunFunction convolution_run(const NodeView& node, const ConvGeometry& g, std::size_t spatial_dims,
                            ConvolveFunction convolve) {
  Shape out = {g.batch, g.filters};
  if (spatial_dims == 2) out.push_back(g.out_h);
  out.push_back(g.out_w);
  node.expect_output_shape(0, out);
  const Tensor weight = node.weight("weight");
  Tensor bias;
  if (node.attrs().integer("bias") != 0) bias = node.weight("bias");
  const FusedActivation activation = FusedActivation::from(node);
  const std::int64_t out_count = element_count(out);
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    float* y = outputs[0]->as<float>();
    convolve(g, inputs[0]->as<float>(), weight.as<float>(), bias.empty() ? nullptr : bias.as<float>(), y);
    activation.apply(y, out_count);
  };
}

// Weight [filters, C/groups, kernel...].
RunFunction make_conv(const NodeView& node, std::size_t spatial_dims) {
  ConvGeometry g = read_geometry(node, spatial_dims);
  g.out_h = output_size(g.in_h, g.kernel_h, g.stride_h, g.pad_h, g.dilation_h);
  g.out_w = output_size(g.in_w, g.kernel_w, g.stride_w, g.pad_w, g.dilation_w);
  return convolution_run(node, g, spatial_dims, convolve);
}

// Transposed: every input position scatters its kernel into the output,
// y[n][g*F/groups + f][ih*sh - ph + kh*dh][iw*sw - pw + kw*dw] += w[c][f][kh][kw] * x[n][c][ih][iw]
// for c in group g; positions outside the (cropped) output are dropped. `g.in_*` is x, `g.out_*` is y.
void convolve_transposed(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const std::int64_t group_channels = g.channels / g.groups;
  const std::int64_t group_filters = g.filters / g.groups;
  const std::int64_t out_plane = g.out_h * g.out_w;
  const std::int64_t in_plane = g.in_h * g.in_w;
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t f = 0; f < g.filters; ++f)
      std::fill(y + (n * g.filters + f) * out_plane, y + (n * g.filters + f + 1) * out_plane,
                bias != nullptr ? bias[f] : 0.0F);
    for (std::int64_t c = 0; c < g.channels; ++c) {
      const std::int64_t group = c / group_channels;
      const float* in = x + (n * g.channels + c) * in_plane;
      for (std::int64_t f = 0; f < group_filters; ++f) {
        float* out = y + (n * g.filters + group * group_filters + f) * out_plane;
        for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
          for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const float weight = w[((c * group_filters + f) * g.kernel_h + kh) * g.kernel_w + kw];
            for (std::int64_t ih = 0; ih < g.in_h; ++ih) {
              const std::int64_t oh = ih * g.stride_h - g.pad_h + kh * g.dilation_h;
              if (oh < 0 || oh >= g.out_h) continue;
              for (std::int64_t iw = 0; iw < g.in_w; ++iw) {
                const std::int64_t ow = iw * g.stride_w - g.pad_w + kw * g.dilation_w;
                if (ow < 0 || ow >= g.out_w) continue;
                out[oh * g.out_w + ow] += weight * in[ih * g.in_w + iw];
              }
            }
          }
        }
      }
    }
  }
}

// Weight [C, filters/groups, kernel...]; output_padding extends the end of each output dimension.
RunFunction make_conv_transpose(const NodeView& node, std::size_t spatial_dims) {
  ConvGeometry g = read_geometry(node, spatial_dims);
  const auto output_padding = per_dimension(node, "output_padding", spatial_dims, {0});
  auto output_size = [](std::int64_t in_size, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d,
                        std::int64_t extra) { return (in_size - 1) * s - 2 * p + d * (k - 1) + extra + 1; };
  g.out_h = output_size(g.in_h, g.kernel_h, g.stride_h, g.pad_h, g.dilation_h,
                        spatial_dims == 2 ? output_padding[0] : 0);
  g.out_w =
      output_size(g.in_w, g.kernel_w, g.stride_w, g.pad_w, g.dilation_w, output_padding[spatial_dims - 1]);
  return convolution_run(node, g, spatial_dims, convolve_transposed);
}

RunFunction make_conv1d(const NodeView& node) {
  return make_conv(node, 1);
}
RunFunction make_conv2d(const NodeView& node) {
  return make_conv(node, 2);
}

}  // namespace

std::vector<KernelEntry> conv_kernels() {
  return {{"conv1d", make_conv1d},
          {"conv2d", make_conv2d},
          {"conv_transpose1d", [](const NodeView& node) { return make_conv_transpose(node, 1); }},
          {"conv_transpose2d", [](const NodeView& node) { return make_conv_transpose(node, 2); }}};
}

}  // namespace ntp::reference
