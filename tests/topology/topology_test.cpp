#include <gtest/gtest.h>

#include "ntp/topology.h"

namespace {

ntp::Graph parse(const std::string& text, ntp::LoadOptions options = {}) {
  auto result = ntp::parse_topology(text, "test.xml", options);
  if (!result.ok()) ADD_FAILURE() << result.error().to_string();
  return result.ok() ? std::move(result.value()) : ntp::Graph{};
}

const ntp::Value& value(const ntp::Graph& graph, const std::string& name) {
  const int index = graph.find_value(name);
  EXPECT_GE(index, 0) << name;
  return graph.values.at(static_cast<std::size_t>(index));
}

TEST(Topology, LayersChainAndParametersSubstitute) {
  const ntp::Graph graph = parse(R"(
    <topology name="chain">
      <param name="hidden" value="16"/>
      <param name="wide" value="2*${hidden}+1"/>
      <input name="x" shape="5,batch,8"/>
      <layer name="a" type="fc" units="${hidden}"/>
      <layer name="b" type="fc" units="wide"/>
    </topology>)");
  EXPECT_EQ(graph.name, "chain");
  EXPECT_EQ(value(graph, "a").shape, (ntp::Shape{5, 1, 16}));
  EXPECT_EQ(value(graph, "b").shape, (ntp::Shape{5, 1, 33}));
  EXPECT_EQ(graph.params.at("wide"), "33");
  ASSERT_EQ(graph.outputs.size(), 1U);
  EXPECT_EQ(graph.values[static_cast<std::size_t>(graph.outputs[0])].name, "b");
  const ntp::Node& b = graph.nodes[static_cast<std::size_t>(graph.find_node("b"))];
  ASSERT_EQ(b.weights.size(), 2U);
  EXPECT_EQ(b.weights[0].shape, (ntp::Shape{33, 16}));
}

TEST(Topology, OverridesAndBatchApply) {
  ntp::LoadOptions options;
  options.overrides = {{"hidden", "4"}, {"batch", "3"}};
  const ntp::Graph graph = parse(R"(
    <topology name="t"><param name="hidden" value="16"/><input name="x" shape="5,batch,8"/>
      <layer name="a" type="fc" units="${hidden}*2"/></topology>)",
                                 options);
  EXPECT_EQ(value(graph, "a").shape, (ntp::Shape{5, 3, 8}));
}

TEST(Topology, TextParametersSubstituteIntoTextAttributes) {
  const ntp::Graph graph = parse(R"(
    <topology name="t"><param name="act" value="tanh"/><input name="x" shape="2,3"/>
      <layer name="a" type="fc" units="4" activation="${act}"/></topology>)");
  EXPECT_EQ(graph.nodes[0].attrs.text("activation"), "tanh");
  EXPECT_EQ(graph.nodes[0].attrs.integer("bias"), 1);  // default filled in
}

TEST(Topology, ForwardReferencesAreOrderedTopologically) {
  const ntp::Graph graph = parse(R"(
    <topology name="dag"><input name="x" shape="2,3"/>
      <layer name="late" type="fc" units="2" inputs="early"/>
      <layer name="early" type="fc" units="5" inputs="x"/>
    </topology>)");
  ASSERT_EQ(graph.nodes.size(), 2U);
  EXPECT_EQ(graph.nodes[0].name, "early");
  EXPECT_EQ(graph.nodes[1].name, "late");
  EXPECT_EQ(value(graph, "late").shape, (ntp::Shape{2, 2}));
}

TEST(Topology, ExplicitInputsBuildADagWithSeveralOutputs) {
  const ntp::Graph graph = parse(R"(
    <topology name="dag"><input name="x" shape="2,3"/><input name="y" shape="2,7"/>
      <layer name="a" type="fc" units="4" inputs="x"/>
      <layer name="b" type="fc" units="6" inputs="y"/>
      <output name="a"/><output name="b"/>
    </topology>)");
  ASSERT_EQ(graph.inputs.size(), 2U);
  ASSERT_EQ(graph.outputs.size(), 2U);
  EXPECT_EQ(value(graph, "b").shape, (ntp::Shape{2, 6}));
}

TEST(Topology, SegmentsNestAndOverlapAndKeepTheirTool) {
  const ntp::Graph graph = parse(R"(
    <topology name="t"><input name="x" shape="2,3"/>
      <start marker="outer" tool="callgrind"/>
      <layer name="a" type="fc" units="3"/>
      <start marker="inner"/>
      <layer name="b" type="fc" units="3"/>
      <start marker="overlap"/>
      <layer name="c" type="fc" units="3"/>
      <end marker="inner"/>
      <end marker="outer"/>
      <layer name="d" type="fc" units="3"/>
      <end marker="overlap"/>
    </topology>)");
  const auto segments = graph.segments();
  ASSERT_EQ(segments.size(), 3U);
  auto names = [&](const ntp::Segment& segment) {
    std::vector<std::string> result;
    for (const int node : segment.op_nodes)
      result.push_back(graph.nodes[static_cast<std::size_t>(node)].name);
    return result;
  };
  EXPECT_EQ(segments[0].name, "outer");
  EXPECT_EQ(segments[0].tool, "callgrind");
  EXPECT_EQ(names(segments[0]), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(segments[1]), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names(segments[2]), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(graph.nodes[static_cast<std::size_t>(segments[2].end_node)].kind, ntp::NodeKind::segment_end);
}

TEST(Topology, PerLayerPrecisionAndDeviceAreKept) {
  const ntp::Graph graph = parse(R"(
    <topology name="t"><input name="x" shape="2,3"/>
      <layer name="a" type="fc" units="3" precision="bf16" device="gpu"/></topology>)");
  ASSERT_TRUE(graph.nodes[0].precision.has_value());
  EXPECT_EQ(*graph.nodes[0].precision, ntp::DType::bf16);
  EXPECT_EQ(graph.nodes[0].device, "gpu");
  EXPECT_EQ(graph.descriptor(0), "fc:2x3,units=3,bf16");
}

TEST(Topology, InputDistributionsAreRead) {
  const ntp::Graph graph = parse(R"(
    <topology name="t"><input name="x" shape="2,3" range="-3,3"/><input name="y" shape="2,3" distribution="normal" std="0.5"/>
      <layer name="a" type="fc" units="3" inputs="x"/><layer name="b" type="fc" units="3" inputs="y"/></topology>)");
  EXPECT_EQ(value(graph, "x").distribution.a, -3.0);
  EXPECT_EQ(value(graph, "x").distribution.b, 3.0);
  EXPECT_EQ(value(graph, "y").distribution.kind, ntp::Distribution::Kind::normal);
  EXPECT_EQ(value(graph, "y").distribution.b, 0.5);
}

TEST(Topology, UnnamedLayersGetNamesFromTheirOp) {
  const ntp::Graph graph = parse(R"(
    <topology name="t"><input name="x" shape="2,3"/><layer type="fc" units="3"/><layer type="fc" units="3"/></topology>)");
  EXPECT_EQ(graph.nodes[0].name, "fc_1");
  EXPECT_EQ(graph.nodes[1].name, "fc_2");
}

}  // namespace
