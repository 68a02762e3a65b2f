#include "tools/dump/progress.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace strata::tools::dump {
namespace {

std::string Megabytes(int64_t bytes) { return absl::StrFormat("%.1f", bytes / 1e6); }

std::string Duration(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

Progress Progress::ForStderr(bool enabled) {
  return Progress(enabled ? stderr : nullptr, isatty(STDERR_FILENO) == 1);
}

void Progress::Begin(const std::string& ns, int64_t total_docs, int64_t total_bytes) {
  ns_ = ns;
  total_docs_ = total_docs;
  total_bytes_ = total_bytes;
  docs_ = bytes_ = 0;
  start_ = last_draw_ = absl::Now();
  drawn_ = false;
}

void Progress::Add(int64_t docs, int64_t bytes) {
  docs_ += docs;
  bytes_ += bytes;
  if (out_ == nullptr) return;
  // Checking the clock costs ~20 ns; a bar redraw 10 times a second, a plain line once a second.
  absl::Time now = absl::Now();
  if (now - last_draw_ >= (terminal_ ? absl::Milliseconds(100) : absl::Seconds(1))) {
    last_draw_ = now;
    Draw(false);
  }
}

void Progress::Draw(bool final) {
  double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  double rate = seconds > 0 ? bytes_ / seconds : 0;
  std::string line = ns_;
  double fraction = -1;
  if (total_bytes_ > 0) {
    fraction = std::min(1.0, static_cast<double>(bytes_) / static_cast<double>(total_bytes_));
  } else if (total_docs_ > 0) {
    fraction = std::min(1.0, static_cast<double>(docs_) / static_cast<double>(total_docs_));
  }
  if (terminal_ && fraction >= 0) {
    int filled = static_cast<int>(fraction * 20);
    line += "  [" + std::string(filled, '#') + std::string(20 - filled, '.') + "]";
    line += absl::StrFormat(" %5.1f%%", fraction * 100);
  }
  line += absl::StrFormat("  %d", docs_);
  if (total_docs_ > 0) line += absl::StrFormat("/%d", total_docs_);
  line += " docs  " + Megabytes(bytes_);
  if (total_bytes_ > 0) line += "/" + Megabytes(total_bytes_);
  line += " MB  " + absl::StrFormat("%.1f MB/s", rate / 1e6);
  if (!final && fraction > 0 && fraction < 1 && rate > 0) {
    line += "  ETA " + Duration(seconds * (1 - fraction) / fraction);
  }
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    drawn_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void Progress::End(const std::string& summary) {
  if (out_ == nullptr) return;
  if (terminal_ && drawn_) std::fprintf(out_, "\r\033[K");
  drawn_ = false;
  std::fprintf(out_, "%s\n", summary.c_str());
  std::fflush(out_);
}

void Progress::Line(const std::string& text) { End(text); }

}  // namespace strata::tools::dump
