// `ntp tune`: each configuration (a back end at a precision) run whole with layer timing, each layer's time
// on each, the conversions neighbouring layers at different element types would need, timed, the placement
// with the least predicted time (placement_search), and the best few placements run end to end, interleaved,
// against the best single configuration.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "backends/reference/reference_backend.h"
#include "check_outputs.h"
#include "ntp/registry.h"
#include "ntp/session.h"
#include "placement.h"
#include "placement_search.h"
#include "profile/statistics.h"
#include "runtime/conversion.h"

namespace ntp {

namespace {

struct Config {
  std::string backend;
  DType precision = DType::f32;
  std::string name() const { return fmt::format("{}:{}", backend, dtype_name(precision)); }
};

// What one configuration's whole run says about each layer (the graph's op nodes, in order).
struct ConfigRun {
  std::vector<std::optional<double>> layer_ms;
  std::vector<std::vector<DType>> wanted;    // per layer, per input: the element type its kernel reads
  std::vector<std::vector<DType>> produced;  // per layer, per output: the element type its kernel writes
  std::map<int, DType> graph_values;         // values no layer writes (inputs, constants): their type
  TuneMeasurement measured;
};

std::vector<int> op_nodes(const Graph& graph) {
  std::vector<int> nodes;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n)
    if (graph.nodes[n].is_op()) nodes.push_back(static_cast<int>(n));
  return nodes;
}

TuneMeasurement measurement(const std::vector<double>& samples_ms, double items_per_second,
                            const std::string& objective) {
  const profile::Summary summary = profile::summarize(samples_ms);
  TuneMeasurement measured{summary.median, summary.p99, items_per_second, 0,
                           static_cast<std::int64_t>(samples_ms.size())};
  measured.objective = objective == "throughput"    ? items_per_second
                       : objective == "latency-p99" ? summary.p99
                                                    : summary.median;
  return measured;
}

bool better(const std::string& objective, double a, double b) {
  return objective == "throughput" ? a > b : a < b;
}

ConfigRun read_config_run(const ProfiledRun& run, const std::vector<int>& layers,
                          const std::string& objective) {
  const Executable& executable = *run.executable;
  const Graph& graph = executable.graph();
  ConfigRun result;
  std::map<std::string, double> medians;
  for (const NodeRecord& node : run.record.nodes)
    if (node.kind != "convert" && node.time) medians[node.name] = node.time->ms.median;
  // Where a conversion step feeds a layer's input, the kernel reads the converted type.
  std::map<std::pair<int, std::size_t>, DType> converted;
  for (const Step& step : executable.steps())
    if (step.kind == Step::Kind::convert)
      if (const auto type = parse_dtype(step.precision))
        converted[{step.node, static_cast<std::size_t>(step.input)}] = *type;
  std::set<int> written;
  for (const int n : layers) {
    const Node& node = graph.nodes[static_cast<std::size_t>(n)];
    const auto found = medians.find(node.name);
    result.layer_ms.push_back(found == medians.end() ? std::nullopt : std::optional<double>(found->second));
    std::vector<DType> wanted, produced;
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const auto conversion = converted.find({n, k});
      wanted.push_back(conversion != converted.end() ? conversion->second
                                                     : executable.value(node.inputs[k]).dtype());
    }
    for (const int output : node.outputs) {
      produced.push_back(executable.value(output).dtype());
      written.insert(output);
    }
    result.wanted.push_back(std::move(wanted));
    result.produced.push_back(std::move(produced));
  }
  for (const int n : layers)
    for (const int input : graph.nodes[static_cast<std::size_t>(n)].inputs)
      if (!written.count(input)) result.graph_values[input] = executable.value(input).dtype();
  result.measured =
      measurement(run.record.latency_samples_ms, run.record.throughput.items_per_second, objective);
  return result;
}

// The search's tables: each layer's time per configuration, and each value's conversion cost between the
// configurations of its producer and its consumer (timed once per element types and size).
session::PlacementProblem make_problem(const Graph& graph, const std::vector<int>& layers,
                                       const std::vector<ConfigRun>& runs,
                                       std::vector<TuneConversion>& conversions) {
  session::PlacementProblem problem;
  problem.configs = static_cast<int>(runs.size());
  std::map<int, std::pair<int, std::size_t>> producer;  // value -> (layer, output)
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Node& node = graph.nodes[static_cast<std::size_t>(layers[i])];
    for (std::size_t j = 0; j < node.outputs.size(); ++j)
      producer[node.outputs[j]] = {static_cast<int>(i), j};
    std::vector<double> times;
    for (const ConfigRun& run : runs)
      times.push_back(run.layer_ms[i] ? *run.layer_ms[i] : session::kCannotRun);
    problem.time_ms.push_back(std::move(times));
  }
  std::map<std::tuple<DType, DType, std::int64_t>, double> timed;
  const auto conversion_ms = [&](DType from, DType to, std::int64_t elements) {
    if (from == to) return 0.0;
    const auto key = std::make_tuple(from, to, elements);
    if (const auto found = timed.find(key); found != timed.end()) return found->second;
    const double ms = runtime::conversion_ms(elements, from, to);
    timed[key] = ms;
    conversions.push_back({std::string(dtype_name(from)), std::string(dtype_name(to)), elements, ms});
    return ms;
  };
  const std::size_t configs = runs.size();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Node& node = graph.nodes[static_cast<std::size_t>(layers[i])];
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const int value = node.inputs[k];
      const std::int64_t elements = element_count(graph.values[static_cast<std::size_t>(value)].shape);
      session::PlacementProblem::Edge edge;
      edge.to = static_cast<int>(i);
      const auto from = producer.find(value);
      if (from == producer.end()) {
        edge.cost_ms.assign(1, std::vector<double>(configs, 0));
        for (std::size_t c = 0; c < configs; ++c)
          edge.cost_ms[0][c] = conversion_ms(runs[c].graph_values.at(value), runs[c].wanted[i][k], elements);
      } else {
        const auto [layer, output] = from->second;
        edge.from = layer;
        edge.cost_ms.assign(configs, std::vector<double>(configs, 0));
        for (std::size_t a = 0; a < configs; ++a)
          for (std::size_t b = 0; b < configs; ++b)
            edge.cost_ms[a][b] = conversion_ms(runs[a].produced[static_cast<std::size_t>(layer)][output],
                                               runs[b].wanted[i][k], elements);
      }
      problem.edges.push_back(std::move(edge));
    }
  }
  return problem;
}

// A candidate: the configuration each layer runs on.
struct Plan {
  std::string name;
  std::vector<int> assignment;
  double predicted_ms = 0;
  int single = -1;  // a single configuration: its index, run as --backend/--precision without places
};

void check_tune_options(const TuneOptions& options) {
  if (options.objective != "latency" && options.objective != "latency-p99" &&
      options.objective != "throughput")
    throw UserError(kCommandLine, fmt::format("--objective {}: no such objective", options.objective),
                    "objectives: latency (the median), latency-p99, throughput");
  if (options.rounds < 1 || options.rounds > 100)
    throw UserError(kCommandLine, fmt::format("--rounds {} is out of range", options.rounds),
                    "give 1 to 100 rounds of end-to-end runs");
  if (options.max_latency_ms && !(*options.max_latency_ms > 0))
    throw UserError(kCommandLine, fmt::format("--max-latency-ms {} is not positive", *options.max_latency_ms),
                    "give milliseconds > 0");
  if (options.max_error && !(*options.max_error > 0))
    throw UserError(kCommandLine, fmt::format("--max-error {} is not positive", *options.max_error),
                    "give the largest error of the outputs / their largest magnitude, e.g. 0.01");
  if (options.profile.mode != "latency")
    throw UserError(kCommandLine, "tune chooses the mode of its runs from the objective",
                    "give --objective throughput (with --streams) instead of --mode");
  if (!options.profile.places.empty())
    throw UserError(kCommandLine, "tune searches the placement: it takes no --place",
                    "leave --place out; the winning placement is written by --write-placement");
  check_profile_options(options.profile);
}

}  // namespace

TuneResult tune(const ModelSpec& spec, const std::vector<InputData>& inputs, const TuneOptions& options) {
  check_tune_options(options);
  std::vector<DType> precisions;
  for (const std::string& text :
       options.precisions.empty() ? std::vector<std::string>{"fp32"} : options.precisions) {
    const auto type = parse_dtype(text);
    if (!type || (*type != DType::f32 && *type != DType::bf16 && *type != DType::s8))
      throw UserError(kCommandLine, fmt::format("--precision {}: tune searches fp32, bf16 and int8", text),
                      "give a list of them: --precision fp32,bf16,int8");
    if (std::find(precisions.begin(), precisions.end(), *type) != precisions.end())
      throw UserError(kCommandLine, fmt::format("--precision names {} twice", text), "name each once");
    precisions.push_back(*type);
  }
  std::vector<std::string> backend_list = options.backends;
  if (backend_list.empty())
    for (const std::string& name : backend_names())
      if (const Backend* backend = find_backend(name);
          name != "reference" && backend != nullptr && !backend->runs_whole_graphs())
        backend_list.push_back(name);
  TuneResult result;
  TuneRecord& record = result.record;
  std::vector<Config> configs;
  std::vector<std::string> skipped;
  std::set<std::string> seen;  // resolved names
  for (const std::string& name : backend_list) {
    // An empty name would be require_backend's default back end, a second time unnoticed.
    if (name.empty())
      throw UserError(kCommandLine, "--backend has an empty name",
                      "separate back ends with single commas: --backend onednn,torch");
    const Backend& backend = require_backend(name);
    if (backend.runs_whole_graphs())
      throw UserError(
          kCommandLine,
          fmt::format("tune places layers on back ends one by one; {} runs the whole graph in its "
                      "own engine",
                      backend.name()),
          fmt::format("compare it whole: ntp run --backend {},onednn,...", backend.name()));
    if (!seen.insert(backend.name()).second)
      throw UserError(kCommandLine, fmt::format("--backend names '{}' twice", backend.name()),
                      "name each back end once");
    for (const DType precision : precisions) {
      if (session::runs_precision(backend, precision))
        configs.push_back({backend.name(), precision});
      else
        skipped.push_back(
            fmt::format("{} does not run {} on this machine", backend.name(), dtype_name(precision)));
    }
  }
  if (configs.empty())
    throw UserError(kCommandLine, "no back end of the list runs any precision of the list on this machine",
                    fmt::format("{}; `ntp backends` lists what each runs", fmt::join(skipped, "; ")));

  ModelSpec fp32_spec = spec;
  fp32_spec.precision = "fp32";
  const Model model = Model::load(fp32_spec, inputs);
  const Graph& graph = model.graph();
  const std::vector<int> layers = op_nodes(graph);
  record.topology = graph.name;
  record.file = spec.file;
  record.settings = {backend_list,
                     {},
                     options.objective,
                     options.max_latency_ms,
                     options.max_error,
                     options.rounds,
                     options.profile.iterations,
                     options.profile.warmup,
                     options.profile.threads,
                     options.profile.streams,
                     options.objective == "throughput" ? "throughput" : "latency",
                     options.profile.seed};
  for (const DType precision : precisions)
    record.settings.precisions.emplace_back(dtype_name(precision));

  // Progress: each run's phases, named for what tune is doing.
  const auto with_phase = [&](const std::string& what) {
    ProfileOptions profile = options.profile;
    profile.classify_bounds = false;
    if (options.profile.control.progress) {
      const auto forward = options.profile.control.progress;
      profile.control.progress = [forward, what](const RunProgress& progress) {
        RunProgress named = progress;
        named.phase = what + ": " + progress.phase;
        forward(named);
      };
    }
    return profile;
  };

  // 1. Every configuration whole, with layer timing: the layers' times and the element types they use.
  std::vector<ConfigRun> runs;
  std::map<DType, Model> models;
  const auto model_at = [&](DType precision) -> const Model& {
    if (precision == DType::f32) return model;
    if (!models.count(precision)) {
      ModelSpec at = spec;
      at.precision = std::string(dtype_name(precision));
      models.emplace(precision, Model::load(at, inputs));
    }
    return models.at(precision);
  };
  for (std::size_t c = 0; c < configs.size(); ++c) {
    ProfileOptions profile =
        with_phase(fmt::format("configuration {}/{} {}", c + 1, configs.size(), configs[c].name()));
    profile.backend = configs[c].backend;
    const ProfiledRun run = ntp::run(model_at(configs[c].precision), profile);
    if (record.host.empty()) record.host = run.record.context.host;
    runs.push_back(read_config_run(run, layers, options.objective));
  }

  // 2. The search.
  session::PlacementProblem problem = make_problem(graph, layers, runs, record.conversions);
  for (std::size_t c = 0; c < configs.size(); ++c) {
    TuneConfig config{configs[c].name(), configs[c].backend, std::string(dtype_name(configs[c].precision)),
                      runs[c].measured,
                      session::predicted_ms(problem, std::vector<int>(layers.size(), static_cast<int>(c)))};
    record.configs.push_back(std::move(config));
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Node& node = graph.nodes[static_cast<std::size_t>(layers[i])];
    TuneLayer layer{node.name, node.op, {}};
    for (const ConfigRun& run : runs)
      layer.time_ms.push_back(run.layer_ms[i]);
    record.layers.push_back(std::move(layer));
  }
  record.search =
      problem.is_chain()
          ? "exact: every layer takes its values from the one before it (or from the graph's inputs), "
            "so the shortest path through the layers' configurations is the least predicted time"
          : "heuristic: layers also take values from earlier layers than the one before them; the "
            "shortest path costs those conversions at the configurations its best path gave them, "
            "then each layer is moved alone to its best configuration until none improves";
  if (!skipped.empty()) record.search += fmt::format(" (left out: {})", fmt::join(skipped, "; "));

  // The baseline: the best single configuration as its whole run measured it.
  int baseline = 0;
  for (std::size_t c = 1; c < configs.size(); ++c)
    if (better(options.objective, runs[c].measured.objective,
               runs[static_cast<std::size_t>(baseline)].measured.objective))
      baseline = static_cast<int>(c);
  std::vector<Plan> plans = {
      {fmt::format("{} (best single)", configs[static_cast<std::size_t>(baseline)].name()),
       std::vector<int>(layers.size(), baseline),
       record.configs[static_cast<std::size_t>(baseline)].predicted_ms, baseline}};
  const auto add_plan = [&](const std::string& name, const std::vector<bool>& allowed) {
    const session::PlacementSolution solution = session::solve_placement(problem, allowed);
    if (solution.assignment.empty()) return;
    for (const Plan& plan : plans)
      if (plan.assignment == solution.assignment) return;  // the same placement under another name
    const std::set<int> used(solution.assignment.begin(), solution.assignment.end());
    const int single = used.size() == 1 ? *used.begin() : -1;
    plans.push_back(
        {single >= 0 ? fmt::format("{} ({})", configs[static_cast<std::size_t>(single)].name(), name) : name,
         solution.assignment, solution.predicted_ms, single});
  };
  add_plan("mixed", {});
  const auto allow = [&](const std::set<DType>& types) {
    std::vector<bool> allowed;
    for (const Config& config : configs)
      allowed.push_back(types.count(config.precision) != 0);
    return allowed;
  };
  const std::set<DType> searched(precisions.begin(), precisions.end());
  if (searched.count(DType::s8) && searched.count(DType::bf16))
    add_plan("mixed, fp32 and bf16", allow({DType::f32, DType::bf16}));
  if (searched.size() > 1 && searched.count(DType::f32)) add_plan("mixed, fp32", allow({DType::f32}));

  // 3. The plans end to end, interleaved round by round, and their outputs against the reference.
  const auto places_of = [&](const Plan& plan) {
    std::vector<std::string> places;
    if (plan.single >= 0) return places;
    for (std::size_t i = 0; i < layers.size(); ++i)
      places.push_back(fmt::format("{}={}", graph.nodes[static_cast<std::size_t>(layers[i])].name,
                                   configs[static_cast<std::size_t>(plan.assignment[i])].name()));
    return places;
  };
  // What a plan runs as: a single configuration's back end and precision; a placed run, fp32 on the back end
  // most of its layers use (every layer is placed on its own).
  const auto run_as = [&](const Plan& plan) {
    if (plan.single >= 0) return configs[static_cast<std::size_t>(plan.single)];
    std::map<std::string, int> uses;
    for (const int c : plan.assignment)
      ++uses[configs[static_cast<std::size_t>(c)].backend];
    return Config{std::max_element(uses.begin(), uses.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; })
                      ->first,
                  DType::f32};
  };
  std::vector<std::vector<double>> samples(plans.size());
  std::vector<double> items(plans.size(), 0);
  result.runs.resize(plans.size());
  for (int round = 0; round < options.rounds; ++round) {
    for (std::size_t p = 0; p < plans.size(); ++p) {
      const Plan& plan = plans[p];
      ProfileOptions profile =
          with_phase(fmt::format("round {}/{}, {}", round + 1, options.rounds, plan.name));
      profile.mode = record.settings.mode;
      profile.label = fmt::format("tune: {}", plan.name);
      const Config as = run_as(plan);
      profile.backend = as.backend;
      profile.places = places_of(plan);
      std::optional<ProfiledRun> measured;
      try {
        measured.emplace(ntp::run(model_at(as.precision), profile));
      } catch (const Interrupted&) {
        break;  // the candidates not yet measured say so
      }
      ProfiledRun& run = *measured;
      samples[p].insert(samples[p].end(), run.record.latency_samples_ms.begin(),
                        run.record.latency_samples_ms.end());
      items[p] += run.record.throughput.items_per_second / options.rounds;
      result.runs[p] = std::move(run.record);
      if (result.runs[p].latency.partial()) break;
    }
    if (options.profile.control.stop != nullptr && options.profile.control.stop->load()) break;
  }

  // Outputs against the reference back end's, when asked for or when a precision below fp32 is searched: its
  // weights and inputs are every run's (the same seed), and it holds them beside one candidate's executable,
  // whose layers may be on any configuration's back end.
  const bool stopped = options.profile.control.stop != nullptr && options.profile.control.stop->load();
  const bool check_outputs =
      (options.max_error || searched.size() > 1 || !searched.count(DType::f32)) && !stopped;
  if (check_outputs) {
    double copies = 0;
    for (const Config& config : configs)
      copies = std::max(copies, require_backend(config.backend).weight_copies());
    model.require_memory_for({2, 1 + copies});
  }
  const WeightStore check_weights = check_outputs ? model.weights(options.profile.seed) : WeightStore{};
  const std::map<std::string, Tensor> check_inputs = model.inputs(options.profile.seed);
  std::unique_ptr<Executable> reference;
  for (std::size_t p = 0; p < plans.size(); ++p) {
    const Plan& plan = plans[p];
    TuneCandidate candidate;
    candidate.name = plan.name;
    for (std::size_t i = 0; i < layers.size(); ++i)
      candidate.placement.emplace_back(graph.nodes[static_cast<std::size_t>(layers[i])].name,
                                       configs[static_cast<std::size_t>(plan.assignment[i])].name());
    candidate.predicted_ms = plan.predicted_ms;
    candidate.baseline = p == 0;
    if (!samples[p].empty()) {
      candidate.measured = measurement(samples[p], items[p], options.objective);
      candidate.prediction_error =
          (candidate.measured->median_ms - plan.predicted_ms) / candidate.measured->median_ms;
      if (p != 0) {
        const profile::RankTest test = profile::mann_whitney_u(samples[0], samples[p]);
        if (test.enough) candidate.p_value = test.p_value;
      }
    }
    if (check_outputs) {
      // The reference back end's outputs once, then each candidate compiled where it places its layers.
      if (!reference) {
        reference = std::make_unique<Executable>(
            graph, reference_backend(), CompileOptions{DType::f32, options.profile.threads, &check_weights});
        reference->run(check_inputs, nullptr);
      }
      Graph placed_graph = graph;
      session::apply_places(placed_graph, places_of(plan));
      const Config as = run_as(plan);
      const auto placed = session::compile_placed(placed_graph, require_backend(as.backend), as.precision,
                                                  check_weights, check_inputs, options.profile.threads);
      placed->executable->run(check_inputs, nullptr);
      candidate.output_error = session::outputs_error(*reference, *placed->executable);
    }
    if (!candidate.measured) {
      candidate.rejected = "not measured: tuning was interrupted";
    } else if (options.max_error && candidate.output_error && *candidate.output_error > *options.max_error) {
      candidate.rejected = fmt::format("its outputs are {:.3g} off the reference's, over --max-error {:.3g}",
                                       *candidate.output_error, *options.max_error);
    } else if (options.max_latency_ms) {
      const double latency =
          options.objective == "latency-p99" ? candidate.measured->p99_ms : candidate.measured->median_ms;
      if (latency > *options.max_latency_ms)
        candidate.rejected = fmt::format("its latency {:.3f} ms is over --max-latency-ms {:.3f}", latency,
                                         *options.max_latency_ms);
    }
    record.candidates.push_back(std::move(candidate));
  }

  // Best measured first, those a constraint rules out last.
  std::vector<std::size_t> order(record.candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TuneCandidate& x = record.candidates[a];
    const TuneCandidate& y = record.candidates[b];
    if (x.rejected.empty() != y.rejected.empty()) return x.rejected.empty();
    if (!x.measured || !y.measured) return x.measured.has_value() && !y.measured.has_value();
    return better(options.objective, x.measured->objective, y.measured->objective);
  });
  std::vector<TuneCandidate> sorted;
  std::vector<RunRecord> sorted_runs;
  for (const std::size_t i : order) {
    sorted.push_back(std::move(record.candidates[i]));
    sorted_runs.push_back(std::move(result.runs[i]));
  }
  record.candidates = std::move(sorted);
  result.runs = std::move(sorted_runs);

  const auto baseline_at = static_cast<int>(std::find_if(record.candidates.begin(), record.candidates.end(),
                                                         [](const TuneCandidate& c) { return c.baseline; }) -
                                            record.candidates.begin());
  const TuneCandidate& base = record.candidates[static_cast<std::size_t>(baseline_at)];
  const TuneCandidate& best = record.candidates.front();
  // The objective's value in its unit: the median, the p99, or items/s.
  const auto value_text = [&](const TuneCandidate& candidate) {
    const TuneMeasurement& measured = *candidate.measured;
    if (options.objective == "throughput") return fmt::format("{:.1f} items/s", measured.items_per_second);
    if (options.objective == "latency-p99") return fmt::format("{:.3f} ms (p99)", measured.p99_ms);
    return fmt::format("{:.3f} ms", measured.median_ms);
  };
  const std::string baseline_name = configs[static_cast<std::size_t>(baseline)].name();
  if (!best.rejected.empty()) {
    record.winner = -1;
    record.verdict = "no placement meets the constraints: " + best.rejected;
  } else if (best.baseline) {
    record.winner = 0;
    record.verdict =
        fmt::format("the single configuration {} is best ({}): no placement the search found beats it",
                    baseline_name, value_text(best));
  } else if (!base.rejected.empty()) {
    record.winner = 0;
    record.verdict = fmt::format("run '{}' ({}): the best single configuration, {}, is ruled out ({})",
                                 best.name, value_text(best), baseline_name, base.rejected);
  } else if (!best.p_value || *best.p_value >= 0.05) {
    record.winner = baseline_at;
    record.verdict = fmt::format(
        "keep {}: '{}' measured {} against {}, a difference the samples cannot tell from noise ({})",
        baseline_name, best.name, value_text(best), value_text(base),
        best.p_value ? fmt::format("p = {:.2g}", *best.p_value) : "too few samples: raise --iterations");
  } else {
    record.winner = 0;
    const double ratio = best.measured->objective / base.measured->objective;
    const double gain = options.objective == "throughput" ? ratio - 1 : 1 - ratio;
    record.verdict =
        fmt::format("run '{}': {} against {} for {} ({:.1f}% better, p = {:.2g})", best.name,
                    value_text(best), value_text(base), baseline_name, 100 * gain, *best.p_value);
  }
  return result;
}

std::string placement_file_text(const TuneRecord& record, int candidate) {
  const TuneCandidate& chosen = record.candidates.at(static_cast<std::size_t>(candidate));
  std::string text = fmt::format(
      "# ntp tune: {} ({}), candidate '{}'\n# predicted {:.3f} ms{}\n# ntp run {} --placement THIS_FILE\n",
      record.topology, record.file, chosen.name, chosen.predicted_ms,
      chosen.measured ? fmt::format(", measured {:.3f} ms (median)", chosen.measured->median_ms) : "",
      record.file);
  for (const auto& [layer, config] : chosen.placement)
    text += fmt::format("{}={}\n", layer, config);
  return text;
}

}  // namespace ntp
