#include "ntp/session.h"

namespace ntp {

const char* library_version() {
  return NTP_VERSION;
}

}  // namespace ntp
