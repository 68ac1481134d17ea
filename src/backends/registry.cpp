#include "ntp/registry.h"

#include "backends/reference/reference_backend.h"
#ifdef NTP_HAVE_ONEDNN
#include "backends/onednn/onednn_backend.h"
#endif
#ifdef NTP_HAVE_TORCH
#include "backends/torch/torch_backend.h"
#endif
#ifdef NTP_HAVE_OPENCV
#include "backends/opencv/opencv_backend.h"
#endif

namespace ntp {

std::vector<const Backend*> available_backends() {
  std::vector<const Backend*> backends;
#ifdef NTP_HAVE_ONEDNN
  backends.push_back(&onednn_backend());
#endif
#ifdef NTP_HAVE_TORCH
  backends.push_back(&torch_backend());
#endif
#ifdef NTP_HAVE_OPENCV
  backends.push_back(&opencv_backend());
#endif
  backends.push_back(&reference_backend());
  return backends;
}

const Backend* find_backend(const std::string& name) {
  for (const Backend* backend : available_backends())
    if (backend->name() == name) return backend;
  return nullptr;
}

std::string default_backend_name() {
  return available_backends().front()->name();
}

}  // namespace ntp
