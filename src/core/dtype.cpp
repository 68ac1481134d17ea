#include "ntp/dtype.h"

#include <array>
#include <utility>

namespace ntp {

namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  std::size_t size;
};
constexpr std::array<DTypeInfo, 9> kTypes{{{DType::f32, "fp32", 4},
                                           {DType::bf16, "bf16", 2},
                                           {DType::f16, "fp16", 2},
                                           {DType::s8, "int8", 1},
                                           {DType::u8, "uint8", 1},
                                           {DType::s32, "int32", 4},
                                           {DType::s64, "int64", 8},
                                           {DType::f64, "fp64", 8},
                                           {DType::boolean, "bool", 1}}};
constexpr std::array<std::pair<std::string_view, DType>, 13> kAliases{{{"f32", DType::f32},
                                                                       {"f64", DType::f64},
                                                                       {"float64", DType::f64},
                                                                       {"double", DType::f64},
                                                                       {"float32", DType::f32},
                                                                       {"float", DType::f32},
                                                                       {"f16", DType::f16},
                                                                       {"s8", DType::s8},
                                                                       {"u8", DType::u8},
                                                                       {"i32", DType::s32},
                                                                       {"s32", DType::s32},
                                                                       {"i64", DType::s64},
                                                                       {"s64", DType::s64}}};
}  // namespace

std::string_view dtype_name(DType type) {
  for (const auto& info : kTypes)
    if (info.type == type) return info.name;
  return "?";
}

std::optional<DType> parse_dtype(std::string_view text) {
  for (const auto& info : kTypes)
    if (info.name == text) return info.type;
  for (const auto& [alias, type] : kAliases)
    if (alias == text) return type;
  return std::nullopt;
}

std::size_t dtype_size(DType type) {
  for (const auto& info : kTypes)
    if (info.type == type) return info.size;
  return 0;
}

bool is_floating(DType type) {
  return type == DType::f32 || type == DType::bf16 || type == DType::f16 || type == DType::f64;
}

std::string dtype_names() {
  std::string names;
  for (const auto& info : kTypes) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace ntp
