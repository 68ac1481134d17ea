// The `ntp` command as a user meets it: exit codes, messages, output files and formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "io/npy.h"
#include "ntp/registry.h"
#include "process.h"

namespace {

using ntp::test::example;
using ntp::test::run_ntp;
using ntp::test::temporary;

const std::vector<std::string> kSmallDeepSpeech = {"--set", "hidden=64", "--set", "frames=16"};

std::vector<std::string> with(std::vector<std::string> arguments, const std::vector<std::string>& more) {
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

TEST(Inspect, DeepSpeechTableShowsEveryLayerAndTheTotals) {
  const auto result = run_ntp({"inspect", example("deepspeech-v0.1.xml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* layer : {"fc1", "fc2", "fc3", "bilstm", "fc5", "fc6", "probs"})
    EXPECT_NE(result.out.find(layer), std::string::npos) << layer;
  EXPECT_NE(result.out.find("122.73M"), std::string::npos);  // parameters; exact count in the JSON test
  EXPECT_NE(result.out.find("multiply-add as 2"), std::string::npos);
  EXPECT_NE(result.out.find("peak memory estimate"), std::string::npos);
}

TEST(Inspect, JsonAndCsvCarryTheSameFigures) {
  const auto json = run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto document = nlohmann::json::parse(json.out);
  EXPECT_EQ(document["schema"], "ntp.inspect/1");
  EXPECT_EQ(document["totals"]["params"].get<std::int64_t>(), 122'732'573);
  ASSERT_EQ(document["layers"].size(), 7U);
  EXPECT_EQ(document["layers"][3]["descriptor"], "lstm:146x1x4096,direction=bidirectional,hidden=2048,fp32");
  ASSERT_EQ(document["segments"].size(), 3U);
  // Counts are whole numbers, written as integers (9568256, not 9568256.0).
  EXPECT_TRUE(document["totals"]["weight_bytes"].is_number_integer());
  EXPECT_EQ(document["totals"]["weight_bytes"].get<std::int64_t>(), 122'732'573 * 4);
  for (const char* key : {"flops", "weight_bytes", "activation_bytes", "bytes_read", "bytes_written"})
    EXPECT_TRUE(document["layers"][3][key].is_number_integer()) << key;
  EXPECT_TRUE(document["memory"]["peak_bytes"].is_number_integer());

  const auto csv = run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 8);  // header + 7 layers
  EXPECT_NE(csv.out.find("bilstm,lstm,"), std::string::npos);
}

TEST(Inspect, BatchAndSetChangeTheShapes) {
  const auto result = run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--set", "hidden=1024", "--batch",
                               "16", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document["layers"][0]["output_shapes"][0], (std::vector<int>{146, 16, 1024}));
}

TEST(Errors, BadTopologyExitsWithTwoAndWritesNoOutputFile) {
  const auto broken = temporary("broken.xml");
  std::ofstream(broken) << "<topology name=\"t\">\n  <input name=\"x\" shape=\"2,3\"/>\n"
                           "  <layer name=\"a\" type=\"lstn\" hidden=\"4\"/>\n</topology>\n";
  const auto output = temporary("never-written.json");
  const auto result = run_ntp({"inspect", broken.string(), "--format", "json", "-o", output.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(broken.string() + ":3:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("unknown op 'lstn'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("did you mean 'lstm'?"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(output));
  std::filesystem::remove(broken);
}

TEST(Errors, MalformedCommandLineValuesExitWithTwo) {
  EXPECT_EQ(run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--set", "hidden"}).exit_code, 2);
  EXPECT_EQ(run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--set", "hiden=3"}).exit_code, 2);
  EXPECT_EQ(run_ntp({"inspect", example("deepspeech-v0.1.xml"), "--precision", "fp42"}).exit_code, 2);
  EXPECT_EQ(run_ntp({"inspect", "/no/such/file.xml"}).exit_code, 2);
  EXPECT_EQ(run_ntp({"frobnicate"}).exit_code, 2);
  const auto backend =
      run_ntp(with({"run", example("deepspeech-v0.1.xml"), "--backend", "tpu"}, kSmallDeepSpeech));
  EXPECT_EQ(backend.exit_code, 2);
  EXPECT_NE(backend.err.find("no back end 'tpu'"), std::string::npos);
}

TEST(Errors, ModelTooBigForMemoryIsWarnedByInspectAndRefusedByRun) {
  const std::vector<std::string> huge = {"--set", "hidden=200000"};  // ~1.3 TB of LSTM weights
  const auto inspect = run_ntp(with({"inspect", example("deepspeech-v0.1.xml")}, huge));
  EXPECT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.out.find("will refuse it"), std::string::npos) << inspect.out;
  const auto run = run_ntp(with({"run", example("deepspeech-v0.1.xml"), "--backend", "reference"}, huge));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("memory is available"), std::string::npos) << run.err;
}

TEST(Ops, MarkdownReferenceInDocsIsUpToDate) {
  const auto result = run_ntp({"ops", "--format", "markdown"});
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, ntp::test::slurp(std::string(NTP_SOURCE_DIR) + "/docs/ops.md"))
      << "regenerate it: build/src/ntp ops --format markdown -o docs/ops.md";
}

// A back-end module that cannot be loaded is named with the loader's reason (dlerror's text), by `ntp
// backends` and when it is asked for; the other back ends still run. Every back end of the build that is a
// module, two ways: no module where $NTP_BACKEND_DIR points, and a file there that is not a shared library.
class BackendModule : public ::testing::TestWithParam<std::string> {};

TEST_P(BackendModule, ThatCannotBeLoadedIsReportedWithTheLoadersReason) {
  const std::string name = GetParam();
  const std::string file = "ntp_backend_" + name + ".so";
  const auto broken = temporary("modules");
  std::filesystem::create_directories(broken);
  std::ofstream(broken / file) << "not a shared library\n";
  struct Case {
    std::string folder, reason;
  };
  for (const auto& [folder, reason] : {Case{"/nonexistent/ntp-modules", "cannot open shared object file"},
                                       Case{broken.string(), "file too short"}}) {
    SCOPED_TRACE(folder);
    ::setenv("NTP_BACKEND_DIR", folder.c_str(), 1);
    const auto listed = run_ntp({"backends", "--format", "json"});
    const auto asked = run_ntp(ntp::test::small_run(name, {"--no-db"}));
    const auto reference = run_ntp(ntp::test::small_run("reference", {"--no-db"}));
    ::unsetenv("NTP_BACKEND_DIR");
    const std::string why = folder + "/" + file + ": " + reason;
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    bool found = false;
    for (const auto& backend : nlohmann::json::parse(listed.out)) {
      if (backend["name"] != name) continue;
      found = true;
      EXPECT_FALSE(backend.contains("ops"));
      EXPECT_NE(backend.value("error", "").find(why), std::string::npos) << backend.dump();
    }
    EXPECT_TRUE(found) << listed.out;
    EXPECT_EQ(asked.exit_code, 2) << asked.err;
    EXPECT_NE(asked.err.find("the " + name + " back end of this build could not be loaded: " + why),
              std::string::npos)
        << asked.err;
    EXPECT_EQ(reference.exit_code, 0) << reference.err;
  }
  std::filesystem::remove_all(broken);
}

INSTANTIATE_TEST_SUITE_P(EveryModule, BackendModule, ::testing::ValuesIn(ntp::backend_module_names()),
                         [](const auto& param_info) { return param_info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendModule);  // a build without any back-end library

TEST(Backends, ListsReferenceWithItsOps) {
  const auto result = run_ntp({"backends", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0);
  const auto list = nlohmann::json::parse(result.out);
  bool found = false;
  for (const auto& backend : list) {
    if (backend["name"] != "reference") continue;
    found = true;
    const auto ops = backend["ops"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(ops.begin(), ops.end(), "lstm"), ops.end());
  }
  EXPECT_TRUE(found);
}

// `ntp version` and `ntp --version` say ntp's version and each back end's library version, the versions
// `ntp backends` lists (issue 17).
TEST(Version, NamesNtpAndEveryBackendsLibraryVersion) {
  const auto backends = nlohmann::json::parse(run_ntp({"backends", "--format", "json"}).out);
  ASSERT_FALSE(backends.empty());
  for (const char* spelling : {"version", "--version"}) {
    const auto result = run_ntp({spelling});
    ASSERT_EQ(result.exit_code, 0) << spelling << ": " << result.err;
    EXPECT_EQ(result.out.rfind("ntp 0.1.0\n", 0), 0U) << result.out;
    for (const auto& backend : backends) {
      const std::string line =
          "  " + backend["name"].get<std::string>() + (backend["default"].get<bool>() ? " [default]" : "") +
          ": " +
          (backend.contains("error") ? "could not be loaded: " + backend["error"].get<std::string>()
                                     : backend["version"].get<std::string>()) +
          "\n";
      EXPECT_NE(result.out.find(line), std::string::npos) << spelling << " lacks " << line << result.out;
    }
  }
}

// The short flags benchmark_app and trtexec users reach for (-d -t -n -b -p) set what the long ones do.
// Two threads, as the noisy-run test: the roofline ceilings cached for them serve both (one more thread
// count would calibrate once more, seconds of CI).
TEST(CommandLine, ShortFlagsSetTheCommonOptions) {
  const auto result = run_ntp({"run", example("small-cnn.xml"), "-d", "reference", "-t", "2", "-n", "3", "-b",
                               "2", "-p", "fp32", "--warmup", "0", "--format", "json", "--no-db"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = nlohmann::json::parse(result.out);
  EXPECT_EQ(record["options"]["backend"], "reference");
  EXPECT_EQ(record["options"]["threads"], 2);
  EXPECT_EQ(record["options"]["iterations"], 3);
  EXPECT_EQ(record["latency"]["count"], 3);
  EXPECT_EQ(record["options"]["batch"], 2);
  EXPECT_EQ(record["options"]["precision"], "fp32");
  const auto table =
      run_ntp({"run", example("small-cnn.xml"), "-d", "reference", "-n", "3", "--warmup", "0", "--no-db"});
  EXPECT_NE(table.out.find("items/s (1 stream)\n"), std::string::npos) << table.out;
}

// Every subcommand's help shows the defaults (and no "=[]" for an empty list), and describes its own
// --backend: only run takes a list (issue 17).
TEST(CommandLine, HelpShowsDefaultsAndSaysWhatEachSubcommandTakes) {
  const auto run_help = run_ntp({"run", "--help"}).out;
  for (const char* line :
       {"-n,--iterations INT:N>=1=10", "--warmup INT:N>=0=2", "--depth INT:N>=1=2",
        "--counter-group INT:N>=0=4", "--streams INT:1..64=1",
        "--mode TEXT:{latency,throughput,stream}=latency", "--format TEXT:{table,json,csv,trace,html}=table",
        "-t,--threads INT:0..1024=0", "(default: the first of"})
    EXPECT_NE(run_help.find(line), std::string::npos) << line << "\n" << run_help;
  EXPECT_NE(run_help.find("runs each and compares them"), std::string::npos) << run_help;
  for (const char* command : {"inspect", "run", "check", "compare", "sweep", "merge", "report", "history",
                              "backends", "ops", "version"}) {
    const auto help = run_ntp({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_EQ(help.out.find("=[]"), std::string::npos) << command << "\n" << help.out;
    EXPECT_EQ(help.out.find("takes a list"), std::string::npos) << command << "\n" << help.out;
    if (std::string(command) != "run") {
      EXPECT_EQ(help.out.find("compares them"), std::string::npos) << command;
    }
  }
  EXPECT_NE(run_ntp({"merge", "--help"}).out.find("{table,json,csv,html}=table"), std::string::npos)
      << "as every other command";
  EXPECT_NE(run_ntp({"sweep", "--help"}).out.find("--grid backend=onednn,torch"), std::string::npos);
}

}  // namespace

// Output goes only to regular files: a device named by -o is refused and left as it was, and a write error on
// standard output is an error (exit 2), not a silent loss.
TEST(Errors, OutputToADeviceIsRefusedAndStdoutErrorsAreReported) {
  const auto to_device = run_ntp({"inspect", example("small-cnn.xml"), "-o", "/dev/full"});
  EXPECT_EQ(to_device.exit_code, 2);
  EXPECT_NE(to_device.err.find("would replace a device"), std::string::npos) << to_device.err;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  const auto to_folder = run_ntp({"inspect", example("small-cnn.xml"), "-o", NTP_SOURCE_DIR});
  EXPECT_EQ(to_folder.exit_code, 2);
  const auto from_device = run_ntp({"inspect", "/dev/zero"});
  EXPECT_EQ(from_device.exit_code, 2);
  EXPECT_NE(from_device.err.find("is a device"), std::string::npos) << from_device.err;
}

// Values that parse but mean nothing are refused with what was wrong, never run as something else: NaN and
// infinite times, seeds that would wrap (-1, 2^64), thread counts the OpenMP runtime crashes on, empty
// back-end names, dates that are not dates (issue 16, class 7).
TEST(Errors, NumbersThatParseButMeanNothingAreRefused) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", example("small-cnn.xml"), "--time", "nan"}, "'nan' is not a finite number above 0"},
      {{"run", example("small-cnn.xml"), "--chunk-ms", "inf"}, "'inf' is not a finite number above 0"},
      {{"run", example("small-cnn.xml"), "--seed", "-1"}, "'-1' is not a seed"},
      {{"run", example("small-cnn.xml"), "--seed", "18446744073709551616"}, "is not a seed"},
      {{"run", example("small-cnn.xml"), "--threads", "100000"}, "'100000' is not a thread count"},
      {{"run", example("small-cnn.xml"), "--backend", ","}, "has an empty name"},
      {{"check", example("small-cnn.xml"), "--tolerance", "nan"}, "'nan' is not a finite number"},
      {{"sweep", example("small-cnn.xml"), "--grid", "batch=1", "--timeout", "nan"}, "not a finite number"},
      {{"history", "--since", "notadate"}, "'notadate' is not a UTC date"},
      {{"history", "--since", "2026-13-01"}, "is not a UTC date"},
  };
  for (const auto& [arguments, message] : cases) {
    std::vector<std::string> with_no_db = arguments;
    if (arguments[0] == "run") with_no_db.push_back("--no-db");
    const auto result = run_ntp(with_no_db);
    EXPECT_EQ(result.exit_code, 2) << arguments[1] << " " << arguments.back();
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_LT(result.err.size(), 400U) << "the message repeats no huge number: " << result.err;
  }
  const auto largest = run_ntp({"run", example("small-cnn.xml"), "--no-db", "--seed", "18446744073709551615",
                                "--iterations", "1", "--warmup", "0", "--backend", "reference"});
  EXPECT_EQ(largest.exit_code, 0) << largest.err;
}

// check and export refuse a model that cannot fit in memory before allocating it, as run does (they died of
// std::bad_alloc, issue 16 class 2).
TEST(Errors, CheckAndExportRefuseWhatCannotFitInMemory) {
  const auto output = temporary("never-written.onnx");
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"check", example("deepspeech-v0.1.xml"), "--set", "hidden=200000"},
        std::vector<std::string>{"export", example("deepspeech-v0.1.xml"), "--set", "hidden=200000", "-o",
                                 output.string()}}) {
    const auto result = run_ntp(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments[0] << ": " << result.err;
    EXPECT_NE(result.err.find("of memory is available"), std::string::npos) << result.err;
  }
  EXPECT_FALSE(std::filesystem::exists(output));
}

// A record with the right schema and a missing or mistyped field is bad input with the field named, not an
// internal error; a record that merely lacks the sections newer NTPs add still reads (issue 16, class 2).
TEST(Errors, RecordsWithMissingOrMistypedFieldsAreNamedNotCrashedOn) {
  const auto saved = temporary("complete.json");
  ASSERT_EQ(run_ntp({"run", example("small-cnn.xml"), "--backend", "reference", "--iterations", "2",
                     "--warmup", "0", "--no-db", "--format", "json", "-o", saved.string()})
                .exit_code,
            0);
  const nlohmann::json record = nlohmann::json::parse(ntp::test::slurp(saved));
  const auto write = [&](const char* name, const nlohmann::json& document) {
    const auto path = temporary(name);
    std::ofstream(path) << document.dump();
    return path.string();
  };
  nlohmann::json mistyped = record;
  mistyped["nodes"][1]["time_ms"] = "fast";
  nlohmann::json missing = record;
  missing.erase("latency");
  nlohmann::json older = record;
  for (const char* section : {"timeline", "aggregates", "machine", "memory", "instrumentation"})
    older.erase(section);
  for (const auto& [file, expected] : std::vector<std::pair<std::string, std::string>>{
           {write("mistyped.json", mistyped), "nodes[1] 'pool1'"},
           {write("missing.json", missing), "'latency'"}}) {
    for (const std::string command : {"report", "compare"}) {
      std::vector<std::string> arguments = {command, file, "--format", "table"};
      if (command == "compare") arguments.insert(arguments.begin() + 1, saved.string());
      const auto result = run_ntp(arguments);
      EXPECT_EQ(result.exit_code, 2) << command << " " << file << ": " << result.err;
      EXPECT_NE(result.err.find(file + ": error: malformed run record"), std::string::npos) << result.err;
      EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
    }
  }
  const auto old_table = run_ntp({"report", write("older.json", older), "--format", "table"});
  EXPECT_EQ(old_table.exit_code, 0) << old_table.err;
  EXPECT_NE(old_table.out.find("conv1"), std::string::npos) << old_table.out;
}
