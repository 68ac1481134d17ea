// The library API: load, bind data, run, check, inspect, as a program (the Python module) calls them.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "ntp/registry.h"
#include "ntp/session.h"
#include "session/model_specs.h"

namespace {

ntp::ProfileOptions brief(const std::string& backend) {
  ntp::ProfileOptions options;
  options.backend = backend;
  options.warmup = 1;
  options.iterations = 2;
  options.classify_bounds = false;
  return options;
}

TEST(Session, RunsAModelAndKeepsItsOutputs) {
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml", {}, 2));
  EXPECT_EQ(model.graph().params.at("batch"), "2");
  const ntp::ProfiledRun run = ntp::run(model, brief("reference"));
  EXPECT_EQ(run.record.options.batch, 2);
  EXPECT_EQ(run.record.topology.name, model.graph().name);
  ASSERT_NE(run.executable, nullptr);
  const ntp::Tensor output = run.executable->value_f32(model.graph().outputs.at(0));
  EXPECT_EQ(output.shape().at(0), 2);
}

TEST(Session, ArraysBindLikeFilesAndSetTheParametersTheirShapeGives) {
  const ntp::Model plain = ntp::Model::load(example_spec("small-cnn.xml"));
  const ntp::Value& input = plain.graph().values.at(static_cast<std::size_t>(plain.graph().inputs.at(0)));
  ntp::Shape shape = input.shape;
  shape[0] = 3;  // the batch, written as a parameter
  ntp::Tensor data(shape, ntp::DType::f32);
  for (std::int64_t i = 0; i < data.elements(); ++i)
    data.as<float>()[i] = static_cast<float>(i % 7) * 0.25F;
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml"), {{input.name, "", data}});
  EXPECT_EQ(model.graph().params.at("batch"), "3");
  EXPECT_EQ(model.sources().at(input.name), "an array from the caller");
  const auto inputs = model.inputs(1);
  ASSERT_TRUE(inputs.count(input.name));
  EXPECT_EQ(inputs.at(input.name).as<float>()[5], data.as<float>()[5]);
  // Two runs on the same data give the same outputs; other data gives others.
  const ntp::Tensor first =
      ntp::run(model, brief("reference")).executable->value_f32(model.graph().outputs[0]);
  const ntp::Tensor again =
      ntp::run(model, brief("reference")).executable->value_f32(model.graph().outputs[0]);
  ASSERT_EQ(first.elements(), again.elements());
  for (std::int64_t i = 0; i < first.elements(); ++i)
    EXPECT_EQ(first.as<float>()[i], again.as<float>()[i]);
  const ntp::Model random = ntp::Model::load(example_spec("small-cnn.xml", {}, 3));
  const ntp::Tensor other =
      ntp::run(random, brief("reference")).executable->value_f32(model.graph().outputs[0]);
  bool differs = false;
  for (std::int64_t i = 0; i < first.elements(); ++i)
    differs = differs || first.as<float>()[i] != other.as<float>()[i];
  EXPECT_TRUE(differs);
}

TEST(Session, RefusesBadInputWithADiagnostic) {
  EXPECT_THROW(ntp::Model::load(example_spec("no-such-file.xml")), ntp::UserError);
  EXPECT_THROW(ntp::Model::load(example_spec("small-cnn.xml", {"novalue"})), ntp::UserError);
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml"));
  EXPECT_THROW(ntp::Model::load(example_spec("small-cnn.xml"),
                                {{"no_such_input", "", model.inputs(1).begin()->second}}),
               ntp::UserError);
  try {
    ntp::run(model, brief("no-such-backend"));
    FAIL() << "an unknown back end ran";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(error.diagnostic().hint.find("reference"), std::string::npos) << error.diagnostic().to_string();
  }
  EXPECT_THROW(ntp::parse_backend_list("reference,reference", ntp::DType::f32), ntp::UserError);
}

// What `ntp run`'s parser refuses, the library refuses too: its callers (the Python module) have no parser.
TEST(Session, RefusesOptionsTheCommandWouldRefuse) {
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml"));
  const auto refused = [&](const std::function<void(ntp::ProfileOptions&)>& change,
                           const std::string& option) {
    ntp::ProfileOptions options = brief("reference");
    change(options);
    try {
      ntp::run(model, options);
      return std::string("ran");
    } catch (const ntp::UserError& error) {
      const std::string text = error.diagnostic().to_string();
      return text.find(option) != std::string::npos ? std::string("refused") : text;
    }
  };
  EXPECT_EQ(refused([](auto& options) { options.mode = "fastest"; }, "--mode fastest"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.iterations = 0; }, "--iterations 0"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.warmup = -1; }, "--warmup -1"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.streams = 0; }, "--streams 0"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.threads = -2; }, "--threads -2"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.time_seconds = -1; }, "--time -1"), "refused");
  EXPECT_EQ(refused([](auto& options) { options.precision_target = 1.5; }, "--precision-target 1.5"),
            "refused");
  EXPECT_EQ(refused([](auto& options) { options.max_time_seconds = std::nan(""); }, "--max-time nan"),
            "refused");
  EXPECT_EQ(refused(
                [](auto& options) {
                  options.min_time_seconds = 2;
                  options.max_time_seconds = 1;
                },
                "--max-time 1 is below --min-time 2"),
            "refused");
  EXPECT_EQ(refused(
                [](auto& options) {
                  options.time_seconds = 1;
                  options.precision_target = 0.1;
                },
                "--time fixes how long"),
            "refused");
  // A time instead of iterations needs none.
  EXPECT_EQ(refused(
                [](auto& options) {
                  options.iterations = 0;
                  options.time_seconds = 0.01;
                },
                "--iterations"),
            "ran");
  // An array of the wrong rank is named as an array, not a file.
  ntp::Tensor flat({3, 32}, ntp::DType::f32);
  try {
    ntp::Model::load(example_spec("small-cnn.xml"), {{"image", "", flat}});
    FAIL() << "an array of the wrong rank was bound";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(error.diagnostic().message.find("[3, 32] in the array"), std::string::npos)
        << error.diagnostic().to_string();
  }
}

TEST(Session, ChecksEveryLayerAgainstReference) {
  const ntp::Model model = ntp::Model::load(example_spec("small-cnn.xml"));
  const ntp::CheckRecord record = ntp::check(model, {ntp::default_backend_name(), 0, 1, 0, {}, {}, {}});
  EXPECT_TRUE(record.pass());
  std::size_t layers = 0;
  for (const ntp::Node& node : model.graph().nodes)
    layers += node.is_op() ? 1 : 0;
  EXPECT_EQ(record.layers.size(), layers);
  for (const ntp::LayerCheck& layer : record.layers)
    EXPECT_LE(layer.normalised_error, record.tolerance) << layer.name;
}

TEST(Session, InspectsWithoutRunning) {
  const ntp::Model model = ntp::Model::load(example_spec("deepspeech-v0.1.xml", {}, 4));
  const nlohmann::json inspection = model.inspect();
  EXPECT_EQ(inspection["schema"], "ntp.inspect/1");
  EXPECT_GT(inspection["totals"]["flops"].get<double>(), 0.0);
  EXPECT_EQ(inspection["topology"]["params"]["batch"], "4");
}

}  // namespace
