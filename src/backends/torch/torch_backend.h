// The torch back end: LibTorch (PyTorch's C++ library) running each node as ATen ops under inference mode,
// weights converted once at compile time.
#pragma once

#include "ntp/backend.h"

namespace ntp {

const Backend& torch_backend();

}  // namespace ntp
