// The op reference, generated from the schemas: `ntp ops` and docs/ops.md.
#pragma once

#include <string>

namespace ntp::report {

std::string op_catalog_table();
std::string op_catalog_markdown();

}  // namespace ntp::report
