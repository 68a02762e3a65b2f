// Progress of a dump or restore on stderr: on a terminal a redrawn bar
//   test.users  [##########..........]  51.2%  512000/1000000 docs  48.1/94.0 MB  61.3 MB/s  ETA
//   0:01
// otherwise (a pipe, a log file) one plain line per second and a final line per collection.
// Totals may be unknown (0): the bar then shows counts and rate only. Not thread-safe.
#ifndef STRATA_TOOLS_DUMP_PROGRESS_H_
#define STRATA_TOOLS_DUMP_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strata::tools::dump {

class Progress {
 public:
  // `out` null: silent. `terminal`: draw a bar (else plain lines).
  Progress(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}
  // Progress on stderr, a bar when stderr is a terminal.
  static Progress ForStderr(bool enabled);

  // Starts a collection with the expected totals (0 = unknown).
  void Begin(const std::string& ns, int64_t total_docs, int64_t total_bytes);
  void Add(int64_t docs, int64_t bytes);
  // Ends the collection with its final line.
  void End(const std::string& summary);
  // A message line (clears the bar first).
  void Line(const std::string& text);

 private:
  void Draw(bool final);
  std::FILE* out_;
  bool terminal_;
  std::string ns_;
  int64_t total_docs_ = 0, total_bytes_ = 0, docs_ = 0, bytes_ = 0;
  absl::Time start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_PROGRESS_H_
