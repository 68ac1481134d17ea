#include "interruption.h"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

namespace ntp::cli {

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<int> signal_caught{0};
struct sigaction previous_interrupt {};
struct sigaction previous_terminate {};

void on_signal(int signal) {
  if (stop_requested.load() && signal_caught.load() == signal) {
    // The second time: as if nothing had caught it.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigaction(signal, &default_action, nullptr);
    raise(signal);
    return;
  }
  signal_caught = signal;
  stop_requested = true;
}

long long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

}  // namespace

InterruptionCatcher::InterruptionCatcher() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_interrupt);
  sigaction(SIGTERM, &action, &previous_terminate);
}

InterruptionCatcher::~InterruptionCatcher() {
  sigaction(SIGINT, &previous_interrupt, nullptr);
  sigaction(SIGTERM, &previous_terminate, nullptr);
}

const std::atomic<bool>& InterruptionCatcher::flag() const {
  return stop_requested;
}

int caught_signal() {
  return signal_caught.load();
}

int interrupted_exit_status() {
  return 128 + signal_caught.load();
}

ProgressLine::ProgressLine() : enabled_(::isatty(STDERR_FILENO) != 0), started_ns_(monotonic_ns()) {}

ProgressLine::~ProgressLine() {
  if (shown_) std::fputs("\r\033[K", stderr);
}

std::function<void(const RunProgress&)> ProgressLine::callback() {
  if (!enabled_) return {};
  return [this](const RunProgress& progress) {
    const long long now = monotonic_ns();
    // Short runs stay quiet, and a fast model's thousands of iterations a second are not each drawn.
    if (now - started_ns_ < 1000000000LL || now - last_drawn_ns_ < 100000000LL) return;
    last_drawn_ns_ = now;
    shown_ = true;
    std::fprintf(stderr, "\r\033[K%s", describe(progress).c_str());
    std::fflush(stderr);
  };
}

std::string ProgressLine::describe(const RunProgress& progress) {
  std::string text = "ntp: " + progress.phase;
  if (progress.total > 0)
    text += fmt::format(" {}/{}", progress.done, progress.total);
  else if (progress.done > 0)
    text += fmt::format(" {}", progress.done);
  if (progress.elapsed_seconds > 0) text += fmt::format(", {:.1f} s", progress.elapsed_seconds);
  if (progress.seconds_left >= 0) text += fmt::format(", about {:.0f} s left", progress.seconds_left);
  if (progress.relative_half_width >= 0)
    text += fmt::format(", median +-{:.1f}%", progress.relative_half_width * 100);
  if (progress.done == 0 && progress.total == 0 && progress.elapsed_seconds == 0) text += " ...";
  return text + " (Ctrl-C: stop and keep what was measured)";
}

}  // namespace ntp::cli
