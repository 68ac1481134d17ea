// Every fixed limit on what NTP reads, in one place: each bounds the stack, the memory or the time a hostile
// or careless input could take, and each is enforced with an error naming it. docs/limits.md lists them with
// their messages; tests/topology/limits_test.cpp keeps that list and this file in step.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ntp::limits {

// The largest file read whole (topology, ONNX model, .npy and audio inputs, records, language models):
// larger models keep their weights in ONNX external data files, each also under this bound.
inline constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{4} << 30;

// Parentheses and signs nested in one expression: the evaluator recurses once per level.
inline constexpr int kMaxExpressionDepth = 64;

// Parameters defined through one another in a row (a = b + 1, b = c + 1, ...): each link recurses.
inline constexpr std::size_t kMaxParameterChain = 32;

// The text a parameter expands to: a parameter doubling another 35 times would otherwise take gigabytes.
inline constexpr std::size_t kMaxParameterText = std::size_t{1} << 20;

// Parameters in one topology, counting --set overrides.
inline constexpr std::size_t kMaxParameters = 100'000;

// Layers in one topology, and nodes in one ONNX graph: inspect is linear in them (100k take about 3 s).
inline constexpr std::size_t kMaxLayers = 1'000'000;

// Threads a run may ask for: far above any machine's cores; libgomp crashes on 100000.
inline constexpr int kMaxThreads = 1024;

// Points in one sweep (grid or list) and in a sweep file that `ntp merge` reads.
inline constexpr std::int64_t kMaxSweepPoints = 100'000;

// Steps kept in one run's timeline for the Chrome trace (--trace-iterations all on a fast model): about
// 150 bytes each in the JSON; past it the later iterations are left out, and the record says so.
inline constexpr std::int64_t kMaxTraceEvents = 1'000'000;

// Entries of one n-gram order in an ARPA language model.
inline constexpr std::int64_t kMaxArpaEntries = INT32_MAX;

}  // namespace ntp::limits
