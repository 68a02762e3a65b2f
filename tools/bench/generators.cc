#include "tools/bench/generators.h"

#include <algorithm>
#include <cmath>

namespace strata::bench {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// sum_{i=from+1..to} 1/i^theta added to `start`.
double ZetaRange(uint64_t from, uint64_t to, double theta, double start) {
  double sum = start;
  for (uint64_t i = from; i < to; ++i) sum += 1.0 / std::pow(static_cast<double>(i + 1), theta);
  return sum;
}

}  // namespace

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Random::Random(uint64_t seed) {
  for (uint64_t& s : s_) {
    seed += 0x9e3779b97f4a7c15ULL;
    s = Mix64(seed);
  }
}

uint64_t Random::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

int64_t FnvHash64(int64_t value) {
  uint64_t val = static_cast<uint64_t>(value);
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (int i = 0; i < 8; ++i) {
    const uint64_t octet = val & 0xff;
    val >>= 8;  // Java's >> on a long is arithmetic; YCSB only hashes non-negative ranks
    hash ^= octet;
    hash *= 1099511628211ULL;
  }
  const int64_t signed_hash = static_cast<int64_t>(hash);
  // Math.abs(Long.MIN_VALUE) stays negative in Java; keep the result non-negative here.
  return signed_hash == INT64_MIN ? 0 : (signed_hash < 0 ? -signed_hash : signed_hash);
}

double Zeta(uint64_t n, double theta) { return ZetaRange(0, n, theta, 0.0); }

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta)
    : ZipfianGenerator(items, theta, Zeta(items, theta)) {}

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta, double zetan)
    : items_(std::max<uint64_t>(items, 1)),
      theta_(theta),
      alpha_(1.0 / (1.0 - theta)),
      zeta2theta_(Zeta(2, theta)),
      zetan_(zetan) {
  SetEta();
}

void ZipfianGenerator::SetEta() {
  eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
}

uint64_t ZipfianGenerator::Next(Random& random, uint64_t items) {
  items = std::max<uint64_t>(items, 1);
  if (items > items_) {  // grow zeta incrementally, as YCSB's nextLong(itemcount)
    zetan_ = ZetaRange(items_, items, theta_, zetan_);
    items_ = items;
    SetEta();
  }
  const double u = random.NextDouble();
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + std::pow(0.5, theta_)) return std::min<uint64_t>(1, items_ - 1);
  const auto rank =
      static_cast<uint64_t>(static_cast<double>(items_) * std::pow(eta_ * u - eta_ + 1, alpha_));
  return std::min(rank, items_ - 1);
}

ScrambledZipfianGenerator::ScrambledZipfianGenerator(uint64_t items)
    : items_(std::max<uint64_t>(items, 1)), ranks_(kItemCount, kZipfianConstant, kZetan) {}

uint64_t ScrambledZipfianGenerator::Next(Random& random) {
  const uint64_t rank = ranks_.Next(random);
  return static_cast<uint64_t>(FnvHash64(static_cast<int64_t>(rank))) % items_;
}

void KeySequence::Acknowledge(int64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t last = last_.load(std::memory_order_relaxed);
  if (key != last + 1) {
    pending_.insert(key);
    return;
  }
  last = key;
  while (!pending_.empty() && *pending_.begin() == last + 1) {
    pending_.erase(pending_.begin());
    ++last;
  }
  last_.store(last, std::memory_order_release);
}

SkewedLatestGenerator::SkewedLatestGenerator(const KeySequence* keys)
    : keys_(keys),
      ranks_(keys == nullptr ? 1 : static_cast<uint64_t>(std::max<int64_t>(keys->Last() + 1, 1))) {}

uint64_t SkewedLatestGenerator::Next(Random& random) {
  const int64_t last = std::max<int64_t>(keys_->Last(), 0);
  const uint64_t rank = ranks_.Next(random, static_cast<uint64_t>(last) + 1);
  return static_cast<uint64_t>(last) - std::min<uint64_t>(rank, static_cast<uint64_t>(last));
}

KeyChooser::KeyChooser(Distribution distribution, uint64_t records, uint64_t expected_inserts,
                       const KeySequence* keys)
    : distribution_(distribution),
      records_(std::max<uint64_t>(records, 1)),
      keys_(keys),
      zipfian_(records + expected_inserts),
      latest_(distribution == Distribution::kLatest ? keys : nullptr) {}

int64_t KeyChooser::Next(Random& random) {
  switch (distribution_) {
    case Distribution::kUniform:
      return static_cast<int64_t>(random.Uniform(records_));
    case Distribution::kLatest:
      return static_cast<int64_t>(latest_.Next(random));
    case Distribution::kZipfian:
      break;
  }
  const int64_t last = keys_ != nullptr ? keys_->Last() : static_cast<int64_t>(records_) - 1;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto key = static_cast<int64_t>(zipfian_.Next(random));
    if (key <= last) return key;
  }
  return static_cast<int64_t>(
      random.Uniform(static_cast<uint64_t>(std::max<int64_t>(last, 0)) + 1));
}

}  // namespace strata::bench
