// Checked reads of a record's integer fields. nlohmann's get<int>() converts a JSON float by a plain cast,
// which is undefined for a value out of range (`"threads": 1e300`) and silently wraps a negative value into
// an unsigned field; these refuse both, naming the key.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace ntp::record_detail {

// Thrown by the reads below; each from_json turns it into its UserError as it does nlohmann's exceptions.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
T integer(const nlohmann::json& value, const char* key) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (std::in_range<T>(number)) return static_cast<T>(number);
  } else if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (std::in_range<T>(number)) return static_cast<T>(number);
  }
  throw FieldError(fmt::format("'{}' must be an integer from {} to {}, not {}", key,
                               std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                               value.dump().substr(0, 40)));
}

// object[key], which must be there.
template <class T>
T integer_at(const nlohmann::json& object, const char* key) {
  return integer<T>(object.at(key), key);
}

// object[key], or `fallback` where the object has no such key.
template <class T>
T integer_or(const nlohmann::json& object, const char* key, T fallback) {
  if (!object.is_object()) return integer_at<T>(object, key);  // nlohmann's type error
  const auto found = object.find(key);
  return found == object.end() ? fallback : integer<T>(*found, key);
}

// object[key] as a number, or nothing where the key is absent or null.
inline std::optional<double> optional_number(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::nullopt;
  return found->get<double>();
}

// The record's "schema" where it is a string, else "" (a document of another kind).
inline std::string schema_of(const nlohmann::json& document) {
  if (!document.is_object()) return {};
  const auto found = document.find("schema");
  return found != document.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace ntp::record_detail
