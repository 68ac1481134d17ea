// The activation fc and conv layers apply to their output (attributes activation, clip, alpha), read from
// the attributes once, so that every back end and the exporter switch on one type instead of the text.
#pragma once

#include <string_view>

#include "ntp/graph.h"

namespace ntp {

struct FusedActivation {
  enum class Kind { none, relu, tanh, sigmoid, gelu, leaky_relu };
  Kind kind = Kind::none;
  double clip = 0;      // relu's upper bound; 0: none
  double alpha = 0.01;  // leaky_relu's slope

  // Throws std::logic_error for a name the schema does not allow (the parser has checked it already).
  static FusedActivation of(const Attributes& attrs);
  // "none", "relu", ... as the topology format writes it.
  std::string_view name() const;
};

}  // namespace ntp
