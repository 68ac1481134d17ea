// What the two halves of the extension ntp._ntp share: the record classes (records.cpp) and the session
// functions (module.cpp).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl_bind.h>

#include <vector>

#include "json_caster.h"
#include "ntp/check_record.h"
#include "ntp/run_record.h"

// A record's lists of nodes, segments, timeline events and checked layers are bound as list-like classes
// over the record's own vectors, so that `record.nodes[3].name` reads one node in place instead of
// converting every node to a new Python list on each access.
PYBIND11_MAKE_OPAQUE(std::vector<ntp::NodeRecord>)
PYBIND11_MAKE_OPAQUE(std::vector<ntp::SegmentRecord>)
PYBIND11_MAKE_OPAQUE(std::vector<ntp::TimelineEvent>)
PYBIND11_MAKE_OPAQUE(std::vector<ntp::LayerCheck>)

namespace ntp::python {

// Record (ntp.run/1), CheckRecord (ntp.check/1), Comparison and the classes of their parts.
void bind_records(pybind11::module_& module);

// A comparison of run records (report::compare_records): its JSON and the views of it.
struct Comparison {
  nlohmann::json json;
};

}  // namespace ntp::python
