// Several observers as one: begins in order, ends in reverse, so the first is outermost (a counter read
// placed outside the timer does not count in the step's time).
#pragma once

#include <vector>

#include "ntp/observer.h"

namespace ntp::profile {

class ObserverChain final : public Observer {
 public:
  explicit ObserverChain(std::vector<Observer*> observers) : observers_(std::move(observers)) {}
  void begin(int step) override {
    for (Observer* observer : observers_)
      observer->begin(step);
  }
  void end(int step) override {
    for (auto it = observers_.rbegin(); it != observers_.rend(); ++it)
      (*it)->end(step);
  }

 private:
  std::vector<Observer*> observers_;
};

}  // namespace ntp::profile
