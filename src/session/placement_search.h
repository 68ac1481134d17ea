// The placement search of `ntp tune`: given each layer's measured time on every configuration (a back end at
// a precision) and the measured cost of converting each value between the element types configurations
// give it, the assignment of configurations to layers with the least predicted time. Pure arithmetic on
// those tables, so that it is tested against brute force.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace ntp::session {

inline constexpr double kCannotRun = std::numeric_limits<double>::infinity();

struct PlacementProblem {
  int configs = 0;
  // Per layer (in execution order), its time in ms on each configuration; kCannotRun where it cannot.
  std::vector<std::vector<double>> time_ms;
  // A value flowing into layer `to` from layer `from` (or from a graph input: from = -1): the cost in ms of
  // converting it, [producer's configuration][consumer's configuration] (a graph input: row 0 only).
  struct Edge {
    int from = -1;
    int to = 0;
    std::vector<std::vector<double>> cost_ms;
  };
  std::vector<Edge> edges;

  int layers() const { return static_cast<int>(time_ms.size()); }
  // Whether every value a layer takes from another layer comes from the one just before it: then the
  // search is exact.
  bool is_chain() const;
};

// The predicted time of an assignment (a configuration per layer): the layers' times and the conversions.
double predicted_ms(const PlacementProblem& problem, const std::vector<int>& assignment);

struct PlacementSolution {
  std::vector<int> assignment;
  double predicted_ms = 0;
  bool exact = false;  // a chain: the least predicted time of every assignment
};

// Configurations a solution may use (the others are never chosen); empty: all.
// A shortest path through the layers in execution order, each layer's state its configuration: exact for a
// chain. For a graph whose layers also take values from earlier layers, the conversion from such a layer is
// costed at the configuration the state's best path gave it (a heuristic), and the result is then improved
// one layer at a time with the exact cost until no single change lowers it.
PlacementSolution solve_placement(const PlacementProblem& problem, const std::vector<bool>& allowed = {});

}  // namespace ntp::session
