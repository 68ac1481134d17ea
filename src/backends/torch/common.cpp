#include "common.h"

#include "ntp/fused_activation.h"

#include <c10/core/InferenceMode.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <filesystem>

namespace ntp::libtorch {

namespace {

at::Tensor wrap(const Tensor& tensor) {
  // from_blob neither copies nor frees: the executable owns the buffer for the kernel's lifetime.
  return at::from_blob(const_cast<void*>(tensor.data()), sizes_of(tensor.shape()),
                       at::TensorOptions().dtype(scalar_type(tensor.dtype())));
}

}  // namespace

void TorchKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  c10::InferenceMode inference;
  wrapped_inputs_.clear();
  for (const Tensor* input : inputs)
    wrapped_inputs_.push_back(wrap(*input));
  at::Tensor output = wrap(*outputs[0]);
  try {
    compute_(wrapped_inputs_, output);
  } catch (const c10::Error& error) {
    throw UserError(where_,
                    fmt::format("LibTorch failed running layer '{}' ({}): {}", node_name_, node_op_,
                                error.what_without_backtrace()),
                    "run it with --backend reference to compare");
  }
}

DType io_type(DType precision) {
  return precision == DType::bf16 ? DType::bf16 : DType::f32;
}

at::ScalarType scalar_type(DType type) {
  switch (type) {
    case DType::f32:
      return at::kFloat;
    case DType::bf16:
      return at::kBFloat16;
    case DType::f16:
      return at::kHalf;
    case DType::s8:
      return at::kChar;
    case DType::u8:
      return at::kByte;
    case DType::s32:
      return at::kInt;
    case DType::s64:
      return at::kLong;
    case DType::f64:
      return at::kDouble;
    case DType::boolean:
      return at::kBool;
  }
  throw std::logic_error("unknown element type");
}

std::vector<std::int64_t> sizes_of(const Shape& shape) {
  return {shape.begin(), shape.end()};
}

at::Tensor weight(const Graph& graph, int node, const CompileOptions& options, const std::string& name,
                  at::ScalarType type) {
  const Node& layer = node_at(graph, node);
  if (options.weights == nullptr)
    throw UserError(layer.where, fmt::format("layer '{}' ({}): no weights were given", layer.name, layer.op));
  const auto found = options.weights->find({layer.name, name});
  if (found == options.weights->end())
    throw UserError(layer.where, fmt::format("layer '{}' ({}): weight '{}' is missing from the weight store",
                                             layer.name, layer.op, name));
  c10::InferenceMode inference;
  // clone() detaches the tensor from the store's buffer, which may not outlive the compiled graph.
  return wrap(found->second).to(type).clone();
}

void apply_activation(const Attributes& attrs, at::Tensor& values) {
  const FusedActivation activation = FusedActivation::of(attrs);
  switch (activation.kind) {
    case FusedActivation::Kind::relu:
      if (activation.clip > 0)
        values.clamp_(0.0, activation.clip);
      else
        values.relu_();
      break;
    case FusedActivation::Kind::tanh:
      values.tanh_();
      break;
    case FusedActivation::Kind::sigmoid:
      values.sigmoid_();
      break;
    case FusedActivation::Kind::gelu:
      values.copy_(at::gelu(values));
      break;
    case FusedActivation::Kind::leaky_relu:
      at::leaky_relu_(values, activation.alpha);
      break;
    case FusedActivation::Kind::none:
      break;
  }
}

std::string gemm_library(at::ScalarType type) {
  if (type == at::kBFloat16) return "oneDNN";
  static const std::string blas = [] {
    Dl_info info{};
    void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
    if (symbol == nullptr || dladdr(symbol, &info) == 0 || info.dli_fname == nullptr)
      return std::string("BLAS");
    // Debian's libblas.so.3 is a link chosen by update-alternatives; the folder of its target names the
    // implementation (blas/ is netlib's reference BLAS, openblas-openmp/ OpenBLAS).
    std::error_code error;
    const std::filesystem::path resolved = std::filesystem::canonical(info.dli_fname, error);
    const std::filesystem::path library = error ? std::filesystem::path(info.dli_fname) : resolved;
    const std::string folder = library.parent_path().filename().string();
    const std::string name = library.filename().string();
    if (folder == "blas") return name + ", netlib reference BLAS";
    if (folder.rfind("openblas", 0) == 0) return name + ", " + folder;
    return name;
  }();
  return blas;
}

}  // namespace ntp::libtorch
