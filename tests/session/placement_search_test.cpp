// The placement search of `ntp tune` against brute force: exact on chains, and on graphs with branches never
// worse than the best single configuration, with the prediction it reports equal to its own cost.
#include <gtest/gtest.h>

#include <random>

#include "session/placement_search.h"

namespace {

using ntp::session::PlacementProblem;
using ntp::session::predicted_ms;
using ntp::session::solve_placement;

// Every assignment of `configs` configurations to the layers: the least predicted time.
double brute_force(const PlacementProblem& problem) {
  const int layers = problem.layers();
  std::vector<int> assignment(static_cast<std::size_t>(layers), 0);
  double best = ntp::session::kCannotRun;
  while (true) {
    best = std::min(best, predicted_ms(problem, assignment));
    int i = 0;
    while (i < layers && ++assignment[static_cast<std::size_t>(i)] == problem.configs)
      assignment[static_cast<std::size_t>(i++)] = 0;
    if (i == layers) return best;
  }
}

// Layers with random times; conversions cost where producer and consumer configurations differ in "type"
// (config % 2), as an fp32 layer feeding a bf16 one does. `skip`: each layer also reads the output of the
// layer `skip` before it (0: a chain).
PlacementProblem random_problem(std::mt19937& random, int layers, int configs, int skip) {
  std::uniform_real_distribution<double> time(0.1, 10.0), cost(0.05, 4.0);
  PlacementProblem problem;
  problem.configs = configs;
  for (int i = 0; i < layers; ++i) {
    std::vector<double> times;
    for (int c = 0; c < configs; ++c)
      times.push_back(time(random));
    problem.time_ms.push_back(times);
  }
  const auto edge = [&](int from, int to) {
    PlacementProblem::Edge result;
    result.from = from;
    result.to = to;
    const double per_conversion = cost(random);
    const int rows = from < 0 ? 1 : configs;
    result.cost_ms.assign(static_cast<std::size_t>(rows),
                          std::vector<double>(static_cast<std::size_t>(configs)));
    for (int a = 0; a < rows; ++a)
      for (int b = 0; b < configs; ++b)
        result.cost_ms[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)] =
            (from < 0 ? 0 : a % 2) != b % 2 ? per_conversion : 0.0;
    return result;
  };
  problem.edges.push_back(edge(-1, 0));
  for (int i = 1; i < layers; ++i) {
    problem.edges.push_back(edge(i - 1, i));
    if (skip > 1 && i >= skip) problem.edges.push_back(edge(i - skip, i));
  }
  return problem;
}

TEST(PlacementSearch, IsExactOnChains) {
  std::mt19937 random(7);
  for (int trial = 0; trial < 40; ++trial) {
    const PlacementProblem problem = random_problem(random, 2 + trial % 6, 2 + trial % 3, 0);
    ASSERT_TRUE(problem.is_chain());
    const auto solution = solve_placement(problem);
    EXPECT_TRUE(solution.exact);
    EXPECT_NEAR(solution.predicted_ms, brute_force(problem), 1e-9) << "trial " << trial;
    EXPECT_NEAR(solution.predicted_ms, predicted_ms(problem, solution.assignment), 1e-9);
  }
}

TEST(PlacementSearch, OnBranchesBeatsEverySingleConfigurationAndIsNearTheOptimum) {
  std::mt19937 random(11);
  double total_gap = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int configs = 2 + trial % 3;
    const PlacementProblem problem = random_problem(random, 4 + trial % 5, configs, 2 + trial % 2);
    ASSERT_FALSE(problem.is_chain());
    const auto solution = solve_placement(problem);
    EXPECT_FALSE(solution.exact);
    EXPECT_NEAR(solution.predicted_ms, predicted_ms(problem, solution.assignment), 1e-9);
    for (int c = 0; c < configs; ++c)
      EXPECT_LE(
          solution.predicted_ms,
          predicted_ms(problem, std::vector<int>(static_cast<std::size_t>(problem.layers()), c)) + 1e-9);
    const double optimum = brute_force(problem);
    EXPECT_GE(solution.predicted_ms, optimum - 1e-9);
    total_gap += solution.predicted_ms / optimum - 1;
  }
  EXPECT_LT(total_gap / 40, 0.02) << "the heuristic is on average more than 2% off the optimum";
}

TEST(PlacementSearch, AConversionCanOutweighAFasterLayer) {
  // Two layers, two configurations: B is faster for the second layer by 1 ms, but reaching it costs 3 ms.
  PlacementProblem problem;
  problem.configs = 2;
  problem.time_ms = {{5.0, 6.0}, {4.0, 3.0}};
  problem.edges.push_back({-1, 0, {{0.0, 0.0}}});
  problem.edges.push_back({0, 1, {{0.0, 3.0}, {3.0, 0.0}}});
  auto solution = solve_placement(problem);
  EXPECT_EQ(solution.assignment, (std::vector<int>{0, 0}));
  EXPECT_DOUBLE_EQ(solution.predicted_ms, 9.0);
  problem.edges[1].cost_ms = {{0.0, 0.5}, {0.5, 0.0}};  // cheap conversion: split
  solution = solve_placement(problem);
  EXPECT_EQ(solution.assignment, (std::vector<int>{0, 1}));
  EXPECT_DOUBLE_EQ(solution.predicted_ms, 8.5);
  // Configuration 1 ruled out: the search keeps to configuration 0.
  solution = solve_placement(problem, {true, false});
  EXPECT_EQ(solution.assignment, (std::vector<int>{0, 0}));
}

}  // namespace
