#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <variant>

#include "ntp/op_schema.h"

namespace {

TEST(OpTable, EveryOpIsDocumentedAndUnique) {
  std::set<std::string> names;
  for (const ntp::OpSchema& op : ntp::all_ops()) {
    EXPECT_TRUE(names.insert(op.name).second) << op.name << " is registered twice";
    EXPECT_GT(op.summary.size(), 20U) << op.name;
    EXPECT_FALSE(op.family.empty()) << op.name;
    EXPECT_FALSE(op.layout.empty()) << op.name;
    EXPECT_TRUE(op.infer) << op.name;
    EXPECT_TRUE(op.cost) << op.name;
    for (const ntp::AttrSpec& attr : op.attrs)
      EXPECT_FALSE(attr.doc.empty()) << op.name << "." << attr.name;
  }
}

TEST(OpTable, HasEveryOpOfTheFormat) {
  for (const char* name : {"fc",          "matmul",         "embedding",
                           "conv1d",      "conv2d",         "maxpool",
                           "avgpool",     "global_avgpool", "global_maxpool",
                           "batchnorm",   "layernorm",      "relu",
                           "leaky_relu",  "tanh",           "sigmoid",
                           "gelu",        "hardtanh",       "softmax",
                           "log_softmax", "lstm",           "gru",
                           "rnn",         "attention",      "add",
                           "mul",         "concat",         "split",
                           "reshape",     "transpose",      "flatten",
                           "dropout",     "mfcc",           "fbank",
                           "spectrogram", "context_window", "ctc_greedy",
                           "ctc_beam",    "memcpy",         "convert"})
    EXPECT_NE(ntp::find_op(name), nullptr) << name;
  EXPECT_EQ(ntp::find_op("fcc"), nullptr);
  EXPECT_EQ(ntp::find_op("mfcc")->category, ntp::OpCategory::inlay);
  EXPECT_EQ(ntp::find_op("lstm")->category, ntp::OpCategory::layer);
}

TEST(OpTable, DefaultsMatchTheirTypesAndChoices) {
  for (const ntp::OpSchema& op : ntp::all_ops()) {
    for (const ntp::AttrSpec& attr : op.attrs) {
      EXPECT_FALSE(attr.name.empty()) << op.name;
      EXPECT_EQ(op.find_attr(attr.name), &attr) << op.name << "." << attr.name << " is declared twice";
      EXPECT_TRUE(attr.choices.empty() || attr.type == ntp::AttrType::text) << op.name << "." << attr.name;
      if (!attr.default_value) continue;
      const ntp::AttrValue& value = *attr.default_value;
      switch (attr.type) {
        case ntp::AttrType::integer:
          EXPECT_TRUE(std::holds_alternative<std::int64_t>(value)) << op.name << "." << attr.name;
          break;
        case ntp::AttrType::real:
          EXPECT_TRUE(std::holds_alternative<double>(value)) << op.name << "." << attr.name;
          break;
        case ntp::AttrType::text:
          ASSERT_TRUE(std::holds_alternative<std::string>(value)) << op.name << "." << attr.name;
          if (!attr.choices.empty()) {
            EXPECT_NE(std::find(attr.choices.begin(), attr.choices.end(), std::get<std::string>(value)),
                      attr.choices.end())
                << op.name << "." << attr.name << "'s default is not one of its choices";
          }
          break;
        case ntp::AttrType::integers:
          EXPECT_TRUE(std::holds_alternative<std::vector<std::int64_t>>(value))
              << op.name << "." << attr.name;
          break;
        case ntp::AttrType::reals:
          EXPECT_TRUE(std::holds_alternative<std::vector<double>>(value)) << op.name << "." << attr.name;
          break;
      }
    }
  }
}

TEST(OpTable, InputCountsAndCategories) {
  for (const ntp::OpSchema& op : ntp::all_ops()) {
    EXPECT_GE(op.min_inputs, op.name == "constant" ? 0 : 1) << op.name;  // a constant reads nothing
    EXPECT_TRUE(op.max_inputs == -1 || op.max_inputs >= op.min_inputs) << op.name;
  }
  for (const char* name :
       {"mfcc", "fbank", "spectrogram", "context_window", "ctc_greedy", "ctc_beam", "memcpy", "convert"})
    EXPECT_EQ(ntp::find_op(name)->category, ntp::OpCategory::inlay) << name;
  EXPECT_EQ(ntp::find_op("matmul")->min_inputs, 2);
  EXPECT_EQ(ntp::find_op("add")->max_inputs, -1);
  EXPECT_EQ(ntp::find_op("attention")->max_inputs, 3);
}

}  // namespace
