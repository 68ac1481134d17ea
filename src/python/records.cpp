// The typed records as Python classes: every field of include/ntp/run_record.h and check_record.h as a
// read-only attribute of the same name, the JSON forms (to_dict, to_json, from_json) and the report views
// (table, CSV, HTML for Jupyter). Nothing here computes: the records and report/ do.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "bindings.h"
#include "ntp/status.h"
#include "report/compare.h"
#include "report/html_report.h"
#include "report/run_views.h"

namespace py = pybind11;

namespace ntp::python {

py::object to_python(const nlohmann::json& json) {
  using Type = nlohmann::json::value_t;
  switch (json.type()) {
    case Type::null:
    case Type::discarded:
      return py::none();
    case Type::boolean:
      return py::bool_(json.get<bool>());
    case Type::number_integer:
      return py::int_(json.get<std::int64_t>());
    case Type::number_unsigned:
      return py::int_(json.get<std::uint64_t>());
    case Type::number_float:
      return py::float_(json.get<double>());
    case Type::string:
      return py::str(json.get_ref<const std::string&>());
    case Type::binary: {
      const auto& bytes = json.get_binary();
      return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    case Type::array: {
      py::list list;
      for (const nlohmann::json& item : json)
        list.append(to_python(item));
      return list;
    }
    case Type::object: {
      py::dict dict;
      for (const auto& [key, item] : json.items())
        dict[py::str(key)] = to_python(item);
      return dict;
    }
  }
  return py::none();
}

nlohmann::json from_python(py::handle object) {
  if (object.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(object)) return object.cast<bool>();
  if (py::isinstance<py::int_>(object)) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(object.ptr(), &overflow);
    if (overflow == 0) return value;
    if (overflow > 0) {
      const unsigned long long large = PyLong_AsUnsignedLongLong(object.ptr());
      if (PyErr_Occurred() == nullptr) return large;
      PyErr_Clear();
    }
    throw py::type_error(
        fmt::format("{} is beyond 64 bits: it has no JSON form", py::repr(object).cast<std::string>()));
  }
  if (py::isinstance<py::float_>(object)) return object.cast<double>();
  if (py::isinstance<py::str>(object)) return object.cast<std::string>();
  if (py::isinstance<py::dict>(object)) {
    nlohmann::json json = nlohmann::json::object();
    for (const auto& [key, item] : object.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key))
        throw py::type_error(
            fmt::format("a JSON object's keys are strings, not {}", py::repr(key).cast<std::string>()));
      json[key.cast<std::string>()] = from_python(item);
    }
    return json;
  }
  if (py::isinstance<py::list>(object) || py::isinstance<py::tuple>(object)) {
    nlohmann::json json = nlohmann::json::array();
    for (const py::handle item : object)
      json.push_back(from_python(item));
    return json;
  }
  // numpy's scalars: integers have __index__, floating-point numbers __float__.
  if (py::hasattr(object, "__index__"))
    return from_python(py::reinterpret_steal<py::object>(PyNumber_Index(object.ptr())));
  if (py::hasattr(object, "__float__"))
    return py::float_(py::reinterpret_borrow<py::object>(object)).cast<double>();
  throw py::type_error(fmt::format("{} has no JSON form", py::repr(object).cast<std::string>()));
}

namespace {

// One record's JSON, or a run record read from JSON text or a dict of its JSON form.
nlohmann::json json_of(const py::object& text_or_dict) {
  if (!py::isinstance<py::str>(text_or_dict)) return from_python(text_or_dict);
  nlohmann::json json = nlohmann::json::parse(text_or_dict.cast<std::string>(), nullptr, false);
  if (json.is_discarded())
    throw UserError({"<json>", 0, 0}, "the text is not JSON",
                    "give the text of a record saved with to_json() or `ntp ... --format json`");
  return json;
}

std::string milliseconds(double value) {
  return fmt::format("{:.4g} ms", value);
}

// Each statistic of a TimeStatistics member as an attribute of its owner too: `latency.median` for
// `latency.ms.median`, as the record's JSON form writes it.
template <class Owner>
void add_statistics(py::class_<Owner>& owner, TimeStatistics Owner::*member) {
  const std::pair<const char*, double TimeStatistics::*> statistics[] = {
      {"min", &TimeStatistics::min},       {"median", &TimeStatistics::median},
      {"mean", &TimeStatistics::mean},     {"p90", &TimeStatistics::p90},
      {"p99", &TimeStatistics::p99},       {"max", &TimeStatistics::max},
      {"stddev", &TimeStatistics::stddev}, {"cv", &TimeStatistics::cv}};
  for (const auto& [name, statistic] : statistics)
    owner.def_property_readonly(
        name, [member, statistic = statistic](const Owner& self) { return (self.*member).*statistic; },
        fmt::format("ms.{} (milliseconds)", name).c_str());
  owner.def_property_readonly("count", [member](const Owner& self) { return (self.*member).count; });
}

void bind_parts(py::module_& module) {
  py::class_<TimeStatistics>(module, "TimeStatistics", "Statistics of a set of times, in milliseconds.")
      .def_readonly("count", &TimeStatistics::count)
      .def_readonly("min", &TimeStatistics::min)
      .def_readonly("median", &TimeStatistics::median)
      .def_readonly("mean", &TimeStatistics::mean)
      .def_readonly("p90", &TimeStatistics::p90)
      .def_readonly("p99", &TimeStatistics::p99)
      .def_readonly("max", &TimeStatistics::max)
      .def_readonly("stddev", &TimeStatistics::stddev)
      .def_readonly("cv", &TimeStatistics::cv)
      .def("__repr__", [](const TimeStatistics& self) {
        return fmt::format("TimeStatistics(median={}, min={}, max={}, count={})", milliseconds(self.median),
                           milliseconds(self.min), milliseconds(self.max), self.count);
      });

  py::class_<MemoryState>(module, "MemoryState")
      .def_readonly("heap_bytes", &MemoryState::heap_bytes)
      .def_readonly("rss_bytes", &MemoryState::rss_bytes)
      .def_readonly("peak_rss_bytes", &MemoryState::peak_rss_bytes);

  py::class_<RunContext>(module, "RunContext", "Where and how the run was made.")
      .def_readonly("host", &RunContext::host)
      .def_readonly("cpu_model", &RunContext::cpu_model)
      .def_readonly("isa", &RunContext::isa)
      .def_readonly("cores", &RunContext::cores)
      .def_readonly("memory_bytes", &RunContext::memory_bytes)
      .def_readonly("ntp_version", &RunContext::ntp_version)
      .def_readonly("git_commit", &RunContext::git_commit)
      .def_readonly("date", &RunContext::date)
      .def_readonly("command_line", &RunContext::command_line)
      .def_readonly("label", &RunContext::label)
      .def_readonly("libraries", &RunContext::libraries);

  py::class_<RunTopology>(module, "RunTopology")
      .def_readonly("name", &RunTopology::name)
      .def_readonly("source", &RunTopology::source)
      .def_readonly("params", &RunTopology::params);

  py::class_<RunSettingsRecord>(module, "RunSettings", "The options the run was made with.")
      .def_readonly("backend", &RunSettingsRecord::backend)
      .def_readonly("precision", &RunSettingsRecord::precision)
      .def_readonly("batch", &RunSettingsRecord::batch)
      .def_readonly("threads", &RunSettingsRecord::threads)
      .def_readonly("seed", &RunSettingsRecord::seed)
      .def_readonly("mode", &RunSettingsRecord::mode)
      .def_readonly("streams", &RunSettingsRecord::streams)
      .def_readonly("warmup", &RunSettingsRecord::warmup)
      .def_readonly("iterations", &RunSettingsRecord::iterations)
      .def_readonly("time_seconds", &RunSettingsRecord::time_seconds)
      .def_readonly("min_time_seconds", &RunSettingsRecord::min_time_seconds)
      .def_readonly("max_time_seconds", &RunSettingsRecord::max_time_seconds)
      .def_readonly("precision_target", &RunSettingsRecord::precision_target)
      .def_readonly("layer_timing", &RunSettingsRecord::layer_timing);

  py::class_<MedianIntervalRecord>(module, "MedianInterval",
                                   "A distribution-free 95% confidence interval for the median latency.")
      .def_readonly("low_ms", &MedianIntervalRecord::low_ms)
      .def_readonly("high_ms", &MedianIntervalRecord::high_ms)
      .def_readonly("coverage", &MedianIntervalRecord::coverage)
      .def_readonly("relative_half_width", &MedianIntervalRecord::relative_half_width);

  py::class_<LatencyRecord> latency(module, "Latency", "End-to-end latency: ms, and each statistic of it.");
  latency.def_readonly("ms", &LatencyRecord::ms)
      .def_readonly("cold_ms", &LatencyRecord::cold_ms)
      .def_readonly("median_interval", &LatencyRecord::median_interval)
      .def_readonly("stopped_by", &LatencyRecord::stopped_by)
      .def_property_readonly("partial", &LatencyRecord::partial)
      .def_readonly("how", &LatencyRecord::how)
      .def("__repr__", [](const LatencyRecord& self) {
        return fmt::format("Latency(median={}, p90={}, cold={}, count={})", milliseconds(self.ms.median),
                           milliseconds(self.ms.p90), milliseconds(self.cold_ms), self.ms.count);
      });
  add_statistics(latency, &LatencyRecord::ms);

  py::class_<ThroughputRecord>(module, "Throughput")
      .def_readonly("inferences_per_second", &ThroughputRecord::inferences_per_second)
      .def_readonly("items_per_second", &ThroughputRecord::items_per_second)
      .def_readonly("streams", &ThroughputRecord::streams)
      .def_readonly("inferences", &ThroughputRecord::inferences)
      .def_readonly("wall_seconds", &ThroughputRecord::wall_seconds)
      .def_readonly("how", &ThroughputRecord::how);

  py::class_<NodeCostRecord>(module, "NodeCost", "The cost model's figures for a layer.")
      .def_readonly("descriptor", &NodeCostRecord::descriptor)
      .def_readonly("flops", &NodeCostRecord::flops)
      .def_readonly("bytes", &NodeCostRecord::bytes)
      .def_readonly("params", &NodeCostRecord::params);

  py::class_<NodeTiming> timing(module, "NodeTiming",
                                "A node's measured time: ms, and each statistic of it.");
  timing.def_readonly("ms", &NodeTiming::ms)
      .def_readonly("samples_ms", &NodeTiming::samples_ms)
      .def_readonly("share", &NodeTiming::share)
      .def_readonly("gflops_per_second", &NodeTiming::gflops_per_second)
      .def_readonly("gbytes_per_second", &NodeTiming::gbytes_per_second)
      .def("__repr__", [](const NodeTiming& self) {
        return fmt::format("NodeTiming(median={}, share={:.3f}, count={})", milliseconds(self.ms.median),
                           self.share, self.ms.count);
      });
  add_statistics(timing, &NodeTiming::ms);

  py::class_<LibraryTime>(module, "LibraryTime", "The library's own timer for a node.")
      .def_readonly("median", &LibraryTime::median)
      .def_readonly("count", &LibraryTime::count)
      .def_readonly("statistic", &LibraryTime::statistic)
      .def_readonly("how", &LibraryTime::how);

  py::class_<NodeRecord>(module, "Node", "One step of the run: a layer, an inlay or a conversion.")
      .def_readonly("step", &NodeRecord::step)
      .def_readonly("name", &NodeRecord::name)
      .def_readonly("op", &NodeRecord::op)
      .def_readonly("kind", &NodeRecord::kind)
      .def_readonly("backend", &NodeRecord::backend)
      .def_readonly("implementation", &NodeRecord::implementation)
      .def_readonly("precision", &NodeRecord::precision)
      .def_readonly("fallback", &NodeRecord::fallback)
      .def_readonly("cost", &NodeRecord::cost)
      .def_readonly("time", &NodeRecord::time)
      .def_readonly("cold_memory", &NodeRecord::cold_memory)
      .def_readonly("warm_memory", &NodeRecord::warm_memory)
      .def_readonly("library_time", &NodeRecord::library_time)
      .def_readonly("counters", &NodeRecord::counters)
      .def_readonly("derived", &NodeRecord::derived)
      .def_readonly("extra", &NodeRecord::extra)
      .def_property_readonly(
          "share",
          [](const NodeRecord& self) { return self.time ? std::optional(self.time->share) : std::nullopt; },
          "time.share, or None without layer timing")
      .def("__repr__", [](const NodeRecord& self) {
        return fmt::format("Node({}, op={}, backend={}{}{})", self.name, self.op, self.backend,
                           self.fallback ? " (fallback)" : "",
                           self.time ? ", median=" + milliseconds(self.time->ms.median) : "");
      });

  py::class_<SegmentRecord>(module, "Segment", "A marked segment of layers.")
      .def_readonly("name", &SegmentRecord::name)
      .def_readonly("tool", &SegmentRecord::tool)
      .def_readonly("layers", &SegmentRecord::layers)
      .def_readonly("time_ms", &SegmentRecord::time_ms)
      .def_readonly("share", &SegmentRecord::share)
      .def_readonly("extra", &SegmentRecord::extra);

  py::class_<InstrumentationRecord>(module, "Instrumentation")
      .def_readonly("layer_timing", &InstrumentationRecord::layer_timing)
      .def_readonly("timer_overhead_ns_per_step", &InstrumentationRecord::timer_overhead_ns_per_step)
      .def_readonly("steps", &InstrumentationRecord::steps)
      .def_readonly("overhead_ms_per_inference", &InstrumentationRecord::overhead_ms_per_inference)
      .def_readonly("residual_ms", &InstrumentationRecord::residual_ms)
      .def_readonly("residual_share", &InstrumentationRecord::residual_share)
      .def_readonly("how", &InstrumentationRecord::how);

  py::class_<CounterUnavailable>(module, "CounterUnavailable")
      .def_readonly("event", &CounterUnavailable::event)
      .def_readonly("reason", &CounterUnavailable::reason);

  py::class_<CountersRecord>(module, "Counters")
      .def_readonly("events", &CountersRecord::events)
      .def_readonly("unavailable", &CountersRecord::unavailable)
      .def_readonly("threads", &CountersRecord::threads)
      .def_readonly("running_fraction", &CountersRecord::running_fraction)
      .def_readonly("source", &CountersRecord::source)
      .def_readonly("groups", &CountersRecord::groups)
      .def_readonly("scheduling", &CountersRecord::scheduling)
      .def_readonly("how", &CountersRecord::how);

  py::class_<MemoryRecord>(module, "Memory")
      .def_readonly("before", &MemoryRecord::before)
      .def_readonly("after", &MemoryRecord::after)
      .def_readonly("how", &MemoryRecord::how);

  py::class_<TimelineEvent>(module, "TimelineEvent")
      .def_readonly("name", &TimelineEvent::name)
      .def_readonly("kind", &TimelineEvent::kind)
      .def_readonly("iteration", &TimelineEvent::iteration)
      .def_readonly("stream", &TimelineEvent::stream)
      .def_readonly("begin_us", &TimelineEvent::begin_us)
      .def_readonly("end_us", &TimelineEvent::end_us);

  py::class_<LayerCheck>(module, "LayerCheck", "One layer's output on the back end against the reference's.")
      .def_readonly("name", &LayerCheck::name)
      .def_readonly("op", &LayerCheck::op)
      .def_readonly("backend", &LayerCheck::backend)
      .def_readonly("fallback", &LayerCheck::fallback)
      .def_readonly("max_abs_error", &LayerCheck::max_abs_error)
      .def_readonly("max_rel_error", &LayerCheck::max_rel_error)
      .def_readonly("normalised_error", &LayerCheck::normalised_error)
      .def_readonly("labels_differing", &LayerCheck::labels_differing)
      .def_readonly("passed", &LayerCheck::pass)
      .def("__repr__", [](const LayerCheck& self) {
        return fmt::format("LayerCheck({}, op={}, normalised_error={:.3g}, {})", self.name, self.op,
                           self.normalised_error, self.pass ? "ok" : "FAIL");
      });

  // Without operator==, bind_vector gives indexing, len, iteration and slicing; the record owns the items.
  py::bind_vector<std::vector<NodeRecord>>(module, "NodeList");
  py::bind_vector<std::vector<SegmentRecord>>(module, "SegmentList");
  py::bind_vector<std::vector<TimelineEvent>>(module, "Timeline");
  py::bind_vector<std::vector<LayerCheck>>(module, "LayerCheckList");
}

}  // namespace

void bind_records(py::module_& module) {
  bind_parts(module);

  // Instances take attributes (py::dynamic_attr): a run made in this process carries its outputs.
  py::class_<RunRecord>(module, "Record", py::dynamic_attr(),
                        "A profiled run (ntp.run/1): the typed fields of include/ntp/run_record.h.")
      .def_readonly("context", &RunRecord::context)
      .def_readonly("topology", &RunRecord::topology)
      .def_readonly("options", &RunRecord::options)
      .def_readonly("compile_seconds", &RunRecord::compile_seconds)
      .def_readonly("latency", &RunRecord::latency)
      .def_readonly("throughput", &RunRecord::throughput)
      .def_readonly("latency_samples_ms", &RunRecord::latency_samples_ms)
      .def_readonly("nodes", &RunRecord::nodes)
      .def_readonly("segments", &RunRecord::segments)
      .def_readonly("instrumentation", &RunRecord::instrumentation)
      .def_readonly("counters", &RunRecord::counters)
      .def_readonly("memory", &RunRecord::memory)
      .def_readonly("timeline", &RunRecord::timeline)
      .def_readonly("sections", &RunRecord::sections,
                    "what tools and later stages add (machine, transcripts, audio, ...), by key, as dicts")
      .def(
          "find_node", [](const RunRecord& self, const std::string& name) { return self.find_node(name); },
          py::arg("name"), py::return_value_policy::reference_internal, "the node of that name, or None")
      .def(
          "to_dict", [](const RunRecord& self) { return self.to_json(); },
          "the ntp.run/1 JSON form as dicts and lists (docs/report-schema.md)")
      .def(
          "to_json", [](const RunRecord& self, int indent) { return self.to_json().dump(indent); },
          py::arg("indent") = 2, "the ntp.run/1 JSON text, as `ntp run --format json` writes it")
      .def_static(
          "from_json", [](const py::object& json) { return RunRecord::from_json(json_of(json)); },
          py::arg("json"), "a record from its JSON text or its to_dict() form; ntp.Error if it is not one")
      .def(
          "table", [](const RunRecord& self, int depth) { return report::run_table(self.to_json(), depth); },
          py::arg("depth") = report::kDefaultModuleDepth, "the console table of `ntp run`")
      .def(
          "csv", [](const RunRecord& self, int depth) { return report::run_csv(self.to_json(), depth); },
          py::arg("depth") = report::kDefaultModuleDepth, "the CSV of `ntp run --format csv`")
      .def(
          "trace", [](const RunRecord& self) { return report::chrome_trace(self.to_json()); },
          "the Chrome trace (chrome://tracing, Perfetto) as dicts")
      .def(
          "html", [](const RunRecord& self, int depth) { return report::run_html(self.to_json(), depth); },
          py::arg("depth") = report::kDefaultModuleDepth, "the self-contained HTML report")
      .def("_repr_html_", [](const RunRecord& self) { return report::run_html(self.to_json()); })
      .def("__str__", [](const RunRecord& self) { return report::run_table(self.to_json()); })
      .def("__repr__", [](const RunRecord& self) {
        return fmt::format("<ntp.Record {} on {}, {}, batch {}: median {} over {} iterations, {} nodes>",
                           self.topology.name, self.options.backend, self.options.precision,
                           self.options.batch, milliseconds(self.latency.ms.median), self.latency.ms.count,
                           self.nodes.size());
      });

  py::class_<CheckRecord>(module, "CheckRecord",
                          "A back end's layer outputs against the reference back end's (ntp.check/1).")
      .def_readonly("topology", &CheckRecord::topology)
      .def_readonly("backend", &CheckRecord::backend)
      .def_readonly("precision", &CheckRecord::precision)
      .def_readonly("tolerance", &CheckRecord::tolerance)
      .def_readonly("seed", &CheckRecord::seed)
      .def_readonly("layers", &CheckRecord::layers)
      .def_property_readonly("passed", &CheckRecord::pass, "every layer within the tolerance")
      .def_property_readonly("failures", &CheckRecord::failures)
      .def("__bool__", &CheckRecord::pass)
      .def(
          "to_dict", [](const CheckRecord& self) { return self.to_json(); }, "the ntp.check/1 JSON form")
      .def(
          "to_json", [](const CheckRecord& self, int indent) { return self.to_json().dump(indent); },
          py::arg("indent") = 2)
      .def_static(
          "from_json", [](const py::object& json) { return CheckRecord::from_json(json_of(json)); },
          py::arg("json"))
      .def("__repr__", [](const CheckRecord& self) {
        return fmt::format(
            "<ntp.CheckRecord {} on {}, {}: {}>", self.topology, self.backend, self.precision,
            self.pass() ? fmt::format("all {} layers within {:.3g}", self.layers.size(), self.tolerance)
                        : fmt::format("{} of {} layers differ by more than {:.3g}", self.failures(),
                                      self.layers.size(), self.tolerance));
      });

  py::class_<Comparison>(module, "Comparison",
                         "Runs side by side per layer, with ratios to the first and their significance.")
      .def(
          "to_dict", [](const Comparison& self) { return self.json; }, "the ntp.compare/1 JSON form")
      .def(
          "to_json", [](const Comparison& self, int indent) { return self.json.dump(indent); },
          py::arg("indent") = 2)
      .def(
          "table", [](const Comparison& self) { return report::comparison_table(self.json); },
          "the console table of `ntp compare`")
      .def("csv", [](const Comparison& self) { return report::comparison_csv(self.json); })
      .def("html", [](const Comparison& self) { return report::comparison_html(self.json); })
      .def("_repr_html_", [](const Comparison& self) { return report::comparison_html(self.json); })
      .def("__str__", [](const Comparison& self) { return report::comparison_table(self.json); })
      .def("__repr__", [](const Comparison& self) {
        std::vector<std::string> labels;
        for (const nlohmann::json& run : self.json.at("runs"))
          labels.push_back(run.value("label", ""));
        return fmt::format("<ntp.Comparison of {} runs: {}>", labels.size(), fmt::join(labels, ", "));
      });
}

}  // namespace ntp::python
