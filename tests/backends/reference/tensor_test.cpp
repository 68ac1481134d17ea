#include <numeric>

#include "ref_test_util.h"

namespace ntp::testing {
namespace {

Tensor iota(const Shape& shape, float start = 0) {
  Tensor tensor(shape, DType::f32);
  std::iota(tensor.as<float>(), tensor.as<float>() + tensor.elements(), start);
  return tensor;
}

TEST(ReferenceTensor, AddAndMulBroadcastThreeInputs) {
  const std::string inputs = R"(<topology name="t"><input name="a" shape="2,3"/><input name="b" shape="3"/>
    <input name="c" shape="2,1"/>)";
  const std::map<std::string, Tensor> data = {{"a", make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                                              {"b", make_tensor({3}, {10, 20, 30})},
                                              {"c", make_tensor({2, 1}, {100, -1})}};
  Model add = model(inputs + R"(<layer name="s" type="add" inputs="a,b,c"/></topology>)");
  expect_close(add.run_all(data).at("s"), {2, 3}, {111, 122, 133, 13, 24, 35});
  Model mul = model(inputs + R"(<layer name="s" type="mul" inputs="a,b,c"/></topology>)");
  expect_close(mul.run_all(data).at("s"), {2, 3}, {1000, 4000, 9000, -40, -100, -180});
  // Both operands broadcast: [3, 1] + [1, 2] -> [3, 2].
  Model outer = model(R"(<topology name="t"><input name="a" shape="3,1"/><input name="b" shape="1,2"/>
    <layer name="s" type="add" inputs="a,b"/></topology>)");
  expect_close(
      outer.run_all({{"a", make_tensor({3, 1}, {1, 2, 3})}, {"b", make_tensor({1, 2}, {10, 20})}}).at("s"),
      {3, 2}, {11, 21, 12, 22, 13, 23});
}

TEST(ReferenceTensor, SubAndDivBroadcastTheSecondOperand) {
  const std::string inputs = R"(<topology name="t"><input name="a" shape="2,3"/><input name="b" shape="3"/>)";
  const std::map<std::string, Tensor> data = {{"a", make_tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                                              {"b", make_tensor({3}, {2, -4, 0.5F})}};
  Model sub = model(inputs + R"(<layer name="s" type="sub" inputs="a,b"/></topology>)");
  expect_close(sub.run_all(data).at("s"), {2, 3}, {-1, 6, 2.5F, 2, 9, 5.5F});
  Model div = model(inputs + R"(<layer name="s" type="div" inputs="b,a"/></topology>)");
  expect_close(div.run_all(data).at("s"), {2, 3}, {2, -2, 0.5F / 3, 0.5F, -0.8F, 0.5F / 6});
}

TEST(ReferenceTensor, ConcatAlongFirstMiddleAndLastAxes) {
  const std::map<std::string, Tensor> data = {{"a", iota({2, 2, 2})}, {"b", iota({2, 2, 2}, 10)}};
  const std::string inputs =
      R"(<topology name="t"><input name="a" shape="2,2,2"/><input name="b" shape="2,2,2"/>)";
  expect_close(model(inputs + R"(<layer name="c" type="concat" inputs="a,b" axis="0"/></topology>)")
                   .run_all(data)
                   .at("c"),
               {4, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17});
  expect_close(model(inputs + R"(<layer name="c" type="concat" inputs="a,b" axis="1"/></topology>)")
                   .run_all(data)
                   .at("c"),
               {2, 4, 2}, {0, 1, 2, 3, 10, 11, 12, 13, 4, 5, 6, 7, 14, 15, 16, 17});
  expect_close(
      model(inputs + R"(<layer name="c" type="concat" inputs="a,b"/></topology>)").run_all(data).at("c"),
      {2, 2, 4}, {0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15, 6, 7, 16, 17});
}

TEST(ReferenceTensor, SplitEqualPartsAndSizes) {
  Model equal = model(R"(<topology name="t"><input name="x" shape="2,4"/>
    <layer name="s" type="split"/><output name="s"/><output name="s:1"/></topology>)");
  const auto values = equal.run_all({{"x", iota({2, 4})}});
  expect_close(values.at("s"), {2, 2}, {0, 1, 4, 5});
  expect_close(values.at("s:1"), {2, 2}, {2, 3, 6, 7});

  Model sized = model(R"(<topology name="t"><input name="x" shape="5,2"/>
    <layer name="s" type="split" axis="0" sizes="1,3,1"/><output name="s"/><output name="s:1"/><output name="s:2"/>
    </topology>)");
  const auto parts = sized.run_all({{"x", iota({5, 2})}});
  expect_close(parts.at("s"), {1, 2}, {0, 1});
  expect_close(parts.at("s:1"), {3, 2}, {2, 3, 4, 5, 6, 7});
  expect_close(parts.at("s:2"), {1, 2}, {8, 9});
}

TEST(ReferenceTensor, ReshapeFlattenDropoutCopy) {
  const Tensor x = iota({2, 3, 4});
  const std::vector<float> same = values_of(x);
  const std::string input = R"(<topology name="t"><input name="x" shape="2,3,4"/>)";
  expect_close(model(input + R"(<layer name="r" type="reshape" shape="0,-1"/></topology>)").run(x), {2, 12},
               same);
  expect_close(model(input + R"(<layer name="r" type="flatten" axis="2"/></topology>)").run(x), {6, 4}, same);
  expect_close(model(input + R"(<layer name="r" type="dropout"/></topology>)").run(x), {2, 3, 4}, same);
}

TEST(ReferenceTensor, TransposeAgainstIndexMapping) {
  const Tensor x = iota({2, 3, 4});
  const Tensor y = model(R"(<topology name="t"><input name="x" shape="2,3,4"/>
    <layer name="p" type="transpose" perm="2,0,1"/></topology>)")
                       .run(x);
  std::vector<float> expected;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        expected.push_back(x.as<float>()[(i * 3 + j) * 4 + k]);  // y[k][i][j] = x[i][j][k]
  expect_close(y, {4, 2, 3}, expected, 0);
}

}  // namespace
}  // namespace ntp::testing
