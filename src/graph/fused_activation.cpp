#include "ntp/fused_activation.h"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace ntp {

namespace {
constexpr std::array<std::pair<FusedActivation::Kind, std::string_view>, 6> kNames{{
    {FusedActivation::Kind::none, "none"},
    {FusedActivation::Kind::relu, "relu"},
    {FusedActivation::Kind::tanh, "tanh"},
    {FusedActivation::Kind::sigmoid, "sigmoid"},
    {FusedActivation::Kind::gelu, "gelu"},
    {FusedActivation::Kind::leaky_relu, "leaky_relu"},
}};
}  // namespace

FusedActivation FusedActivation::of(const Attributes& attrs) {
  FusedActivation result;
  const std::string& text = attrs.text("activation");
  bool known = false;
  for (const auto& [kind, name] : kNames)
    if (name == text) {
      result.kind = kind;
      known = true;
    }
  if (!known) throw std::logic_error("unknown fused activation '" + text + "'");
  if (attrs.has("clip")) result.clip = attrs.real("clip");
  if (attrs.has("alpha")) result.alpha = attrs.real("alpha");
  return result;
}

std::string_view FusedActivation::name() const {
  for (const auto& [known, name] : kNames)
    if (known == kind) return name;
  return "none";
}

}  // namespace ntp
