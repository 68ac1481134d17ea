// The back ends this build has. The reference back end is linked into the program; every back end over a
// library (oneDNN, LibTorch, OpenCV) is a module, a shared library loaded the first time it is asked for, so
// that a process that never uses it (`ntp --version`, `ntp inspect`, most test programs) never loads its
// library (LibTorch alone takes about a second).
#pragma once

#include <string>
#include <vector>

#include "ntp/backend.h"

namespace ntp {

// Every back end of this build by name, in order of preference (the first is the default); loads none.
std::vector<std::string> backend_names();
// The back ends of this build that are modules, in the same order; loads none.
std::vector<std::string> backend_module_names();
// Nullptr when this build has no back end of that name or its module cannot be loaded.
const Backend* find_backend(const std::string& name);
// Why find_backend(name) gives nullptr for a back end of this build ("" when it does not, or for a name
// this build does not have).
std::string backend_load_error(const std::string& name);
// The first back end in order of preference that can be had: the onednn back end where it is built and its
// module loads (loading it, and only it, when it does), else the next, down to the built-in reference back
// end. Callers use the default to run (`ntp run` without --backend) and to measure the machine's peaks, so
// a module that cannot be loaded must not be the default: `ntp backends` lists it with its loader's reason.
std::string default_backend_name();

}  // namespace ntp
