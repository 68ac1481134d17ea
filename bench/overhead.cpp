// Instrumentation overhead: what one layer's begin/end through the timing observer costs, next to the
// bare clock it is built on. Google Benchmark; run build/bench/ntp_overhead.
#include <benchmark/benchmark.h>

#include "profile/step_timer.h"

namespace {

void BM_ClockRead(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(ntp::profile::now_ns());
}
BENCHMARK(BM_ClockRead);

void BM_StepTimerBeginEnd(benchmark::State& state) {
  ntp::profile::StepTimer timer(64);
  ntp::Observer& observer = timer;  // through the virtual interface, as the executable calls it
  int step = 0;
  for (auto _ : state) {
    observer.begin(step);
    observer.end(step);
    step = (step + 1) & 63;
  }
}
BENCHMARK(BM_StepTimerBeginEnd);

}  // namespace

BENCHMARK_MAIN();
