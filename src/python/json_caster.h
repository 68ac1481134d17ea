// nlohmann::json <-> Python objects for pybind11: objects are dicts, arrays lists, numbers int or float,
// null None. The records' JSON forms (to_dict), their open sections (`sections`, a node's `extra`) and the
// inspect document cross the boundary this way.
#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <nlohmann/json.hpp>
#include <string>

namespace ntp::python {

pybind11::object to_python(const nlohmann::json& json);
// Throws pybind11::type_error for what JSON cannot hold (a set, an object with non-string keys, ...).
nlohmann::json from_python(pybind11::handle object);

}  // namespace ntp::python

namespace pybind11::detail {

template <>
struct type_caster<nlohmann::json> {
  PYBIND11_TYPE_CASTER(nlohmann::json, const_name("object"));

  bool load(handle source, bool /*convert*/) {
    try {
      value = ntp::python::from_python(source);
      return true;
    } catch (const std::exception&) {  // no JSON form: a type, or an integer beyond 64 bits
      return false;
    }
  }

  static handle cast(const nlohmann::json& json, return_value_policy /*policy*/, handle /*parent*/) {
    return ntp::python::to_python(json).release();
  }
};

}  // namespace pybind11::detail
