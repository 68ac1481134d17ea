// Views of a tune record (ntp.tune/1): the console table and the HTML page that shows the search.
#pragma once

#include <string>

#include "ntp/tune_record.h"

namespace ntp::report {

// The verdict, the candidates ranked with predicted and measured times, the configurations run whole, and
// each layer's time per configuration with the winner's choice marked.
std::string tune_table(const TuneRecord& record);
// The same as a self-contained page, with charts: predicted against measured per candidate, and each layer's
// time on each configuration.
std::string tune_html(const TuneRecord& record);

}  // namespace ntp::report
