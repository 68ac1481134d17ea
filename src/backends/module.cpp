// A back end as a module that the registry loads on demand (ntp/registry.h). src/backends/CMakeLists.txt
// compiles this file once for each module (ntp_add_backend_module), naming the back end's header and the
// function that returns it, so every module has the one entry point the registry looks up.
#include NTP_BACKEND_MODULE_HEADER

extern "C" __attribute__((visibility("default"))) const ntp::Backend* ntp_backend_module_entry() {
  return &ntp::NTP_BACKEND_MODULE_FACTORY();
}
