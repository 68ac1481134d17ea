// Profiling is an observer: executables report the begin and end of every node (markers included).
#pragma once

namespace ntp {

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void begin(int node_index) = 0;
  virtual void end(int node_index) = 0;
};

}  // namespace ntp
