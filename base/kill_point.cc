#include "base/kill_point.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

namespace strata {
namespace {

// The one configuration of the process, parsed once from the environment (a test hook, not
// database state: there is nothing to configure per Database).
struct KillPointConfig {
  bool enabled = false;
  std::string name;
  long target = 1;
  std::atomic<long> hits{0};
};

KillPointConfig& Config() {
  static KillPointConfig* config = [] {
    auto* parsed = new KillPointConfig();
    const char* text = std::getenv("STRATA_KILL_POINT");
    if (text == nullptr || *text == '\0') return parsed;
    std::string spec(text);
    const size_t colon = spec.rfind(':');
    if (colon != std::string::npos) {
      parsed->target = std::max(1L, std::strtol(spec.c_str() + colon + 1, nullptr, 10));
      spec.resize(colon);
    }
    parsed->name = spec;
    parsed->enabled = true;
    return parsed;
  }();
  return *config;
}

}  // namespace

void MaybeKill(std::string_view name) {
  KillPointConfig& config = Config();
  if (!config.enabled || name != config.name) return;
  if (config.hits.fetch_add(1) + 1 == config.target) {
    kill(getpid(), SIGKILL);
    pause();  // SIGKILL is delivered before kill returns to a single-threaded waiter; be sure
  }
}

}  // namespace strata
