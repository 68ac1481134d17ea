// Each op family's schema list; registry.cpp concatenates them into the one explicit table.
#pragma once

#include <vector>

#include "ntp/op_schema.h"

namespace ntp::ops {

std::vector<OpSchema> dense_ops();  // fc, matmul, embedding
std::vector<OpSchema> conv_ops();   // conv1d, conv2d
std::vector<OpSchema> pool_ops();   // maxpool, avgpool, global pools
std::vector<OpSchema> norm_ops();   // batchnorm, layernorm
std::vector<OpSchema>
activation_ops();                 // relu, leaky_relu, tanh, sigmoid, gelu, hardtanh, softmax, log_softmax
std::vector<OpSchema> rnn_ops();  // lstm, gru, rnn
std::vector<OpSchema> attention_ops();    // attention
std::vector<OpSchema> elementwise_ops();  // abs ... where, cast: ONNX semantics on every element type
std::vector<OpSchema> reduce_ops();       // reduce_sum ... reduce_log_sum_exp, argmax, argmin
std::vector<OpSchema> indexing_ops();     // gather, gather_elements, gather_nd, slice, expand, tile, pad, ...
std::vector<OpSchema> tensor_ops();       // add, mul, concat, split, reshape, transpose, flatten, dropout
std::vector<OpSchema>
inlay_ops();  // mfcc, spectrogram, context_window, ctc_greedy, ctc_beam, memcpy, convert

}  // namespace ntp::ops
