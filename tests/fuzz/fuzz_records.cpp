// The JSON record readers: RunRecord::from_json, CheckRecord::from_json and TuneRecord::from_json on any JSON
// document (a tune record read is shown by the tune views), and the views that read raw run records
// (report::aggregate_run, report::compare_records) on what they accept.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "fuzz_util.h"
#include "ntp/check_record.h"
#include "ntp/run_record.h"
#include "ntp/tune_record.h"
#include "report/aggregate.h"
#include "report/compare.h"
#include "report/tune.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;  // not JSON: the readers' callers report the parse error
  ntp::fuzz::expect_clean([&] { (void)ntp::CheckRecord::from_json(json); });
  ntp::fuzz::expect_clean([&] {
    const ntp::TuneRecord tune = ntp::TuneRecord::from_json(json);
    (void)ntp::report::tune_table(tune);
    (void)ntp::report::tune_html(tune);
  });
  ntp::fuzz::expect_clean([&] {
    const ntp::RunRecord record = ntp::RunRecord::from_json(json);
    const nlohmann::json written = record.to_json();
    (void)ntp::RunRecord::from_json(written);  // what it writes, it reads back
    (void)ntp::report::aggregate_run(written);
    (void)ntp::report::compare_records({written, written});
  });
  return 0;
}
