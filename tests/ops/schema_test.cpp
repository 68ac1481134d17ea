#include <gtest/gtest.h>

#include <set>

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

}  // namespace
