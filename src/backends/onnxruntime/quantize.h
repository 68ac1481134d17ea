// int8 on ONNX Runtime: the model rewritten the way ONNX Runtime's own quantize_dynamic writes it (its
// Python tool, which this machine has no ONNX Runtime Python package for), so that ONNX Runtime's graph
// optimiser fuses each MatMul into its dynamically quantised kernel (DynamicQuantizeMatMul).
#pragma once

#include <string>
#include <vector>

namespace ntp::onnxruntime {

struct DynamicQuantization {
  std::vector<std::string> quantized;  // MatMul nodes now int8: weights per tensor, inputs per run
  std::vector<std::string> kept_fp32;  // nodes with weights left in fp32 (Gemm, Conv, LSTM, ...)
};

// Reads the ONNX model `from`, rewrites every MatMul whose second input is a 2-D fp32 initializer as
// DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_int8) -> Cast -> Mul(x_scale * W_scale), with W quantised
// symmetrically per tensor (scale = max|W| / 127), and writes the result to `to`. Throws UserError when the
// model cannot be read or has no MatMul to quantise.
DynamicQuantization quantize_dynamic(const std::string& from, const std::string& to);

}  // namespace ntp::onnxruntime
