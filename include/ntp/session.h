// NTP as a library: load a model (a topology file or an ONNX model), analyse it, profile it on a back end
// and get its typed run record, or check a back end's outputs against the reference back end. The `ntp`
// command and the Python module are written on these functions; so is examples/api/.
//
//   ntp::ModelSpec spec;
//   spec.file = "examples/deepspeech-v0.1.xml";
//   const ntp::Model model = ntp::Model::load(spec);
//   ntp::ProfileOptions options;
//   options.backend = "onednn";
//   const ntp::RunRecord record = ntp::run(model, options).record;
//
// Errors a user can act on (a bad file, an unknown back end, a model that does not fit in memory) are
// thrown as ntp::UserError, whose diagnostic() says where, what and what to do.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ntp/analysis.h"
#include "ntp/backend.h"
#include "ntp/check_record.h"
#include "ntp/executable.h"
#include "ntp/graph.h"
#include "ntp/run_control.h"
#include "ntp/run_record.h"
#include "ntp/status.h"
#include "ntp/tensor.h"
#include "ntp/tune_record.h"
#include "ntp/weights.h"

namespace ntp {

// libntp's version ("0.1.0"), for a program to print with its results.
const char* library_version();

// What to load and how to shape it: the topology arguments of `ntp run`.
struct ModelSpec {
  std::string file;                 // a topology (.xml) or an ONNX model (.onnx)
  std::vector<std::string> sets;    // parameter overrides, "name=value"
  std::vector<std::string> shapes;  // ONNX input shapes, "input=d0,d1,..."
  std::optional<long long> batch;
  std::string precision = "fp32";  // fp32 | bf16 | f16 | int8
};

// Data for one graph input: a file (.npy, or audio: WAV, FLAC, ...) or an array. Data of another size than
// the model declares sets the parameter its dimension was written as (`shape="batch,samples"` with a 3 s
// file sets samples); an explicit override of that parameter must agree.
struct InputData {
  std::string name;
  std::string file;  // a path, or "" when `array` holds the data
  std::optional<Tensor> array;
};

// A loaded model with the data bound to its inputs.
class Model {
 public:
  static Model load(const ModelSpec& spec, const std::vector<InputData>& inputs = {});

  const Graph& graph() const { return graph_; }
  // The spec that loads graph(): the caller's, with the parameters and shapes the input data set.
  const ModelSpec& spec() const { return spec_; }
  DType precision() const;
  const std::map<std::string, Tensor>& data() const { return data_; }
  // Input name -> where its data came from (a file, with any resampling); absent: seeded random data.
  const std::map<std::string, std::string>& sources() const { return sources_; }

  GraphAnalysis analysis() const;
  // Throws UserError, before anything is allocated, when the model would not fit in this machine's
  // available memory held by `holders` (streams, or the reference and the checked back end).
  void require_memory_for(MemoryHolders holders) const;
  // The ntp.inspect/1 document: per-layer cost, segments, totals and memory (docs/report-schema.md).
  nlohmann::json inspect() const;
  // An ONNX model's own weights, or seeded random ones.
  WeightStore weights(std::uint64_t seed) const;
  // Every graph input: the bound data, and seeded random data for the others.
  std::map<std::string, Tensor> inputs(std::uint64_t seed) const;

 private:
  Graph graph_;
  ModelSpec spec_;
  std::map<std::string, Tensor> data_;
  std::map<std::string, std::string> sources_;
  std::shared_ptr<const WeightStore> own_weights_;  // an ONNX model's
};

// For back ends that run whole graphs in their own engine (onnxruntime): its session settings, and how long
// the engine may take before it is stopped.
struct EngineOptions {
  std::string optimization = "all";  // ONNX Runtime's graph optimisation: disable | basic | extended | all
  std::string execution = "sequential";  // ONNX Runtime's execution mode: sequential | parallel
  double timeout_seconds = 600;
};

struct ProfileOptions {
  std::string backend;  // "" = the default back end
  int threads = 0;      // 0 = the library's default
  std::uint64_t seed = 1;
  int warmup = 2;
  // When the measured iterations stop (StoppingRule in ntp/run_control.h says how these combine).
  int iterations = 10;
  double time_seconds = 0;  // > 0: iterate until this much time has passed
  double min_time_seconds = 0;
  double max_time_seconds = 0;
  double precision_target = 0;   // e.g. 0.02: until the median's 95% interval is within +-2% of it
  std::string mode = "latency";  // latency | throughput | stream
  int streams = 1;               // throughput mode: concurrent streams
  double chunk_ms = 320;         // stream mode: audio per chunk
  bool layer_timing = true;
  int trace_iterations = 1;   // measured iterations in the record's timeline (-1: all)
  bool trace_warmup = false;  // the cold run and the warm-up iterations in it too
  std::string counters;       // "software", "cycles,instructions", ... ("" = none)
  int counter_group = 4;      // hardware events per counter group; groups take turns
  RunControl control;         // a stop flag (Ctrl-C) and a progress callback
  // This machine's roofline ceilings (measured once per host and cached) and each layer's bound.
  bool classify_bounds = true;
  bool recalibrate = false;  // measure the ceilings again rather than read this host's cache
  std::string command_line;  // for the record's context
  std::string label;         // the user's name for the run, kept in the record's context
  // "NAME=BACKEND[:PRECISION]": the layer or every layer of the segment of that name runs there (--place).
  std::vector<std::string> places;
  // A placement file (--placement, what `ntp tune` writes): one NAME=BACKEND[:PRECISION] a line, applied
  // before `places`, which override it ("" = none).
  std::string placement_file;
  // Set by the `ntp` command in the process an external tool (--tool) runs: the tool and what it sees.
  std::string tool;
  std::vector<std::string> tool_regions;
  std::string tool_control;
  EngineOptions engine;  // onnxruntime
};

struct ProfiledRun {
  RunRecord record;
  // What the executable was compiled from (the graph, in stream mode one chunk's, its weights and int8
  // ranges): it refers to them, so they live as long as the run. Declared before it, destroyed after it.
  std::shared_ptr<const void> compiled_from;
  // The first stream's executable after the run: its graph(), outputs (value_f32) and every intermediate
  // value.
  std::unique_ptr<Executable> executable;
};

// Throws UserError for options no run can take (a negative count, a --time beside a precision target, ...);
// run() calls it, and a sweep before it starts any point.
void check_profile_options(const ProfileOptions& options);

// Compiles the model on the back end and measures it. Refuses (UserError) a back end that cannot run the
// precision and a run that cannot fit in this machine's memory, before allocating.
ProfiledRun run(const Model& model, const ProfileOptions& options);

// The back end of that name ("" for the default), or a UserError naming this build's back ends, or saying
// why a back-end module could not be loaded.
const Backend& require_backend(const std::string& name);

// Several back ends, each checked for the precision before any runs ("onednn,torch").
std::vector<std::string> parse_backend_list(const std::string& list, DType precision);

// This machine's roofline ceilings for the record's precision and threads, and each layer's bound (what
// `classify_bounds` adds); for records whose counts an external tool filled in after the run. `recalibrate`
// measures the ceilings again instead of reading this host's cache.
void add_bounds(RunRecord& record, bool recalibrate = false);

struct CheckOptions {
  std::string backend;  // "" = the default back end
  int threads = 0;
  std::uint64_t seed = 1;
  double tolerance = 0;             // 0: the precision's default
  std::vector<std::string> places;  // as ProfileOptions::places
  std::string placement_file;       // as ProfileOptions::placement_file
  EngineOptions engine;             // onnxruntime
};

// Runs the reference back end and `options.backend` on the same seeded weights and inputs and compares
// every layer's output.
CheckRecord check(const Model& model, const CheckOptions& options);

// `ntp tune`: the placement of layers on back ends and precisions with the best measured objective.
struct TuneOptions {
  std::vector<std::string> backends;                // empty: every back end of this build but the reference
  std::vector<std::string> precisions = {"fp32"};   // searched: fp32, bf16, int8
  std::string objective = "latency";                // latency (the median) | latency-p99 | throughput
  std::optional<double> max_latency_ms, max_error;  // constraints on the candidates (max_error: outputs')
  int rounds = 3;                                   // interleaved rounds of end-to-end runs
  // Of every run: threads, warm-up, iterations (or a stopping rule), streams (the throughput objective),
  // seed, interruption and progress. Its backend, mode, places and label are tune's to set.
  ProfileOptions profile;
};

struct TuneResult {
  TuneRecord record;
  std::vector<RunRecord> runs;  // per candidate (in record.candidates' order), its last round's run
};

// Runs every configuration (back end x precision) whole with layer timing, searches the placement with the
// least predicted time (exact for a chain of layers, a heuristic for other graphs: docs/placement.md), and
// runs the best placements end to end, interleaved, against the best single configuration.
TuneResult tune(const ModelSpec& spec, const std::vector<InputData>& inputs, const TuneOptions& options);

// A candidate's placement as a file `--placement` reads: a comment saying where it came from, then
// NAME=BACKEND:PRECISION for each layer.
std::string placement_file_text(const TuneRecord& record, int candidate);

}  // namespace ntp
