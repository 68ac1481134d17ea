// Profiling is an observer: an executable reports the begin and end of every step it runs. Steps are the
// graph's nodes (markers included) plus the conversions the executable inserts between kernels whose
// element types differ; Executable::steps() describes each.
#pragma once

namespace ntp {

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void begin(int step) = 0;
  virtual void end(int step) = 0;
};

}  // namespace ntp
