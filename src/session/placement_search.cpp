#include "placement_search.h"

#include <cmath>
#include <cstddef>

namespace ntp::session {

namespace {

double edge_cost(const PlacementProblem::Edge& edge, int from_config, int to_config) {
  const auto row = static_cast<std::size_t>(edge.from < 0 ? 0 : from_config);
  return edge.cost_ms[row][static_cast<std::size_t>(to_config)];
}

// A layer's own time on a configuration and the conversions of the graph inputs it reads.
double unary_ms(const PlacementProblem& problem,
                const std::vector<std::vector<const PlacementProblem::Edge*>>& in, int layer, int config) {
  double total = problem.time_ms[static_cast<std::size_t>(layer)][static_cast<std::size_t>(config)];
  for (const auto* edge : in[static_cast<std::size_t>(layer)])
    if (edge->from < 0) total += edge_cost(*edge, 0, config);
  return total;
}

// The time a layer adds on `config` with every other layer where `assignment` puts it: its own and the
// conversions of every value it takes or gives.
double local_ms(const PlacementProblem& problem,
                const std::vector<std::vector<const PlacementProblem::Edge*>>& touching,
                const std::vector<int>& assignment, int layer, int config) {
  double total = problem.time_ms[static_cast<std::size_t>(layer)][static_cast<std::size_t>(config)];
  for (const auto* edge : touching[static_cast<std::size_t>(layer)]) {
    const int from = edge->from == layer ? config
                     : edge->from < 0    ? 0
                                         : assignment[static_cast<std::size_t>(edge->from)];
    const int to = edge->to == layer ? config : assignment[static_cast<std::size_t>(edge->to)];
    total += edge_cost(*edge, from, to);
  }
  return total;
}

}  // namespace

bool PlacementProblem::is_chain() const {
  for (const Edge& edge : edges)
    if (edge.from >= 0 && edge.from != edge.to - 1) return false;
  return true;
}

double predicted_ms(const PlacementProblem& problem, const std::vector<int>& assignment) {
  double total = 0;
  for (int layer = 0; layer < problem.layers(); ++layer)
    total += problem.time_ms[static_cast<std::size_t>(layer)]
                            [static_cast<std::size_t>(assignment[static_cast<std::size_t>(layer)])];
  for (const auto& edge : problem.edges)
    total += edge_cost(edge, edge.from < 0 ? 0 : assignment[static_cast<std::size_t>(edge.from)],
                       assignment[static_cast<std::size_t>(edge.to)]);
  return total;
}

PlacementSolution solve_placement(const PlacementProblem& problem, const std::vector<bool>& allowed) {
  const int layers = problem.layers();
  const auto configs = static_cast<std::size_t>(problem.configs);
  PlacementSolution solution;
  solution.exact = problem.is_chain();
  if (layers == 0) return solution;
  const auto may_use = [&](std::size_t config) { return allowed.empty() || allowed[config]; };

  std::vector<std::vector<const PlacementProblem::Edge*>> incoming(static_cast<std::size_t>(layers));
  std::vector<std::vector<const PlacementProblem::Edge*>> touching(static_cast<std::size_t>(layers));
  for (const auto& edge : problem.edges) {
    incoming[static_cast<std::size_t>(edge.to)].push_back(&edge);
    touching[static_cast<std::size_t>(edge.to)].push_back(&edge);
    if (edge.from >= 0 && edge.from != edge.to)
      touching[static_cast<std::size_t>(edge.from)].push_back(&edge);
  }

  // best[c]: the least time of the layers so far with the last on configuration c; path[c]: that path.
  std::vector<double> best(configs, kCannotRun), next(configs);
  std::vector<std::vector<int>> path(configs), next_path(configs);
  for (std::size_t c = 0; c < configs; ++c) {
    if (!may_use(c)) continue;
    best[c] = unary_ms(problem, incoming, 0, static_cast<int>(c));
    path[c] = {static_cast<int>(c)};
  }
  for (int layer = 1; layer < layers; ++layer) {
    for (std::size_t c = 0; c < configs; ++c) {
      next[c] = kCannotRun;
      if (!may_use(c)) continue;
      const double own = unary_ms(problem, incoming, layer, static_cast<int>(c));
      if (!std::isfinite(own)) continue;
      std::size_t from_state = configs;
      double least = kCannotRun;
      for (std::size_t previous = 0; previous < configs; ++previous) {
        if (!std::isfinite(best[previous])) continue;
        double reach = best[previous];
        for (const auto* edge : incoming[static_cast<std::size_t>(layer)])
          if (edge->from >= 0)
            reach +=
                edge_cost(*edge, path[previous][static_cast<std::size_t>(edge->from)], static_cast<int>(c));
        if (reach < least) {
          least = reach;
          from_state = previous;
        }
      }
      if (from_state == configs) continue;
      next[c] = least + own;
      next_path[c] = path[from_state];
      next_path[c].push_back(static_cast<int>(c));
    }
    best.swap(next);
    path.swap(next_path);
  }
  std::size_t end = configs;
  for (std::size_t c = 0; c < configs; ++c)
    if (std::isfinite(best[c]) && (end == configs || best[c] < best[end])) end = c;
  if (end == configs) {  // some layer runs on none of the allowed configurations
    solution.predicted_ms = kCannotRun;
    return solution;
  }
  solution.assignment = path[end];

  // One layer at a time: exact for a chain already; for a graph with branches, it removes what the
  // heuristic costed wrongly.
  for (int pass = 0, changed = 1; changed != 0 && pass < 100; ++pass) {
    changed = 0;
    for (int layer = 0; layer < layers; ++layer) {
      auto& config = solution.assignment[static_cast<std::size_t>(layer)];
      double current = local_ms(problem, touching, solution.assignment, layer, config);
      for (std::size_t c = 0; c < configs; ++c) {
        if (!may_use(c)) continue;
        const double candidate = local_ms(problem, touching, solution.assignment, layer, static_cast<int>(c));
        if (candidate < current - 1e-12) {
          current = candidate;
          config = static_cast<int>(c);
          changed = 1;
        }
      }
    }
  }
  solution.predicted_ms = predicted_ms(problem, solution.assignment);
  return solution;
}

}  // namespace ntp::session
