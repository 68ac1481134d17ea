// The torch back end as a module that the registry loads on demand (ntp/registry.h).
#include "torch_backend.h"

extern "C" __attribute__((visibility("default"))) const ntp::Backend* ntp_backend_module_entry() {
  return &ntp::torch_backend();
}
