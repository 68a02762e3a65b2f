// The key generators against the distributions they promise (YCSB's definitions).
#include "tools/bench/generators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>
#include <vector>

namespace strata::bench {
namespace {

TEST(RandomTest, DeterministicPerSeedAndUniform) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Next(), b.Next());
  EXPECT_NE(Random(42).Next(), c.Next());
  std::vector<int> buckets(10);
  Random r(5);
  for (int i = 0; i < 100000; ++i) ++buckets[r.Uniform(10)];
  for (int n : buckets) EXPECT_NEAR(n, 10000, 500);
}

TEST(ZipfianTest, ZetaMatchesYcsbConstant) {
  // YCSB's ScrambledZipfianGenerator.ZETAN is zeta(10^10, 0.99); check the definition on a
  // size we can sum and that the constant continues the series sensibly.
  EXPECT_NEAR(Zeta(1, 0.99), 1.0, 1e-12);
  EXPECT_NEAR(Zeta(2, 0.99), 1.0 + std::pow(0.5, 0.99), 1e-12);
  EXPECT_LT(Zeta(10000000, 0.99), ScrambledZipfianGenerator::kZetan);
}

TEST(ZipfianTest, RankFrequenciesFollowZipfsLaw) {
  constexpr uint64_t kItems = 1000;
  constexpr int kSamples = 400000;
  ZipfianGenerator zipf(kItems);
  Random random(9);
  std::vector<int> counts(kItems);
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t rank = zipf.Next(random);
    ASSERT_LT(rank, kItems);
    ++counts[rank];
  }
  const double zetan = Zeta(kItems, kZipfianConstant);
  // Ranks 0 and 1 are exact in Gray's method; later ranks follow 1/k^theta approximately.
  for (uint64_t rank : {0u, 1u}) {
    const double expected = 1.0 / std::pow(rank + 1.0, kZipfianConstant) / zetan;
    EXPECT_NEAR(counts[rank] / double(kSamples), expected, 0.005) << "rank " << rank;
  }
  // The head holds most of the mass: the top 10 % of ranks get well over half the samples.
  int head = 0;
  for (uint64_t r = 0; r < kItems / 10; ++r) head += counts[r];
  const double expected_head = Zeta(kItems / 10, kZipfianConstant) / zetan;
  EXPECT_NEAR(head / double(kSamples), expected_head, 0.05);
  EXPECT_GT(head / double(kSamples), 0.6);
  // Monotone on average: the first 10 ranks each beat the average of ranks 500..999.
  double tail = 0;
  for (uint64_t r = 500; r < kItems; ++r) tail += counts[r];
  tail /= 500;
  for (uint64_t r = 0; r < 10; ++r) EXPECT_GT(counts[r], tail * 10) << r;
}

TEST(ZipfianTest, GrowingItemsKeepsRanksInRange) {
  ZipfianGenerator zipf(10);
  Random random(1);
  for (uint64_t items = 10; items < 2000; items += 7) {
    for (int i = 0; i < 20; ++i) ASSERT_LT(zipf.Next(random, items), items);
  }
}

TEST(ScrambledZipfianTest, SkewedButScattered) {
  constexpr uint64_t kItems = 10000;
  ScrambledZipfianGenerator gen(kItems);
  Random random(3);
  std::map<uint64_t, int> counts;
  constexpr int kSamples = 200000;
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t key = gen.Next(random);
    ASSERT_LT(key, kItems);
    ++counts[key];
  }
  std::vector<std::pair<int, uint64_t>> by_count;
  for (const auto& [key, n] : counts) by_count.emplace_back(n, key);
  std::sort(by_count.rbegin(), by_count.rend());
  // The hottest key gets about what rank 0 of a zipfian over 10^10 items gets: 1/zetan ≈ 3.8 %.
  EXPECT_NEAR(by_count[0].first / double(kSamples), 1 / ScrambledZipfianGenerator::kZetan, 0.006);
  // The hot keys are not the first keys (scrambled): the top 10 are spread over the range.
  uint64_t max_key = 0;
  for (int i = 0; i < 10; ++i) max_key = std::max(max_key, by_count[static_cast<size_t>(i)].second);
  EXPECT_GT(max_key, kItems / 10);
  // And the hottest is YCSB's: FNV-64 of rank 0.
  EXPECT_EQ(by_count[0].second, static_cast<uint64_t>(FnvHash64(0)) % kItems);
}

TEST(FnvHashTest, MatchesYcsb) {
  // YCSB Utils.fnvhash64(0): FNV-1 of eight zero bytes, then Math.abs.
  uint64_t h = 0xCBF29CE484222325ULL;
  for (int i = 0; i < 8; ++i) h *= 1099511628211ULL;
  const auto s = static_cast<int64_t>(h);
  EXPECT_EQ(FnvHash64(0), s < 0 ? -s : s);
  EXPECT_GE(FnvHash64(123456789), 0);
}

TEST(KeySequenceTest, LastIsTheHighestContiguousAcknowledgedKey) {
  KeySequence keys(100);
  EXPECT_EQ(keys.Last(), 99);
  const int64_t a = keys.Next(), b = keys.Next(), c = keys.Next();
  EXPECT_EQ(a, 100);
  keys.Acknowledge(c);
  EXPECT_EQ(keys.Last(), 99);  // 100 and 101 are still being written
  keys.Acknowledge(a);
  EXPECT_EQ(keys.Last(), 100);
  keys.Acknowledge(b);
  EXPECT_EQ(keys.Last(), 102);
}

TEST(KeySequenceTest, ConcurrentAcknowledgementsEndContiguous) {
  KeySequence keys(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) keys.Acknowledge(keys.Next());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(keys.Last(), 39999);
}

TEST(SkewedLatestTest, NewestKeysAreHottest) {
  KeySequence keys(1000);
  SkewedLatestGenerator latest(&keys);
  Random random(4);
  std::map<int64_t, int> counts;
  constexpr int kSamples = 100000;
  for (int i = 0; i < kSamples; ++i) {
    const auto key = static_cast<int64_t>(latest.Next(random));
    ASSERT_LE(key, 999);
    ASSERT_GE(key, 0);
    ++counts[key];
  }
  const double zetan = Zeta(1000, kZipfianConstant);
  EXPECT_NEAR(counts[999] / double(kSamples), 1 / zetan, 0.01);
  EXPECT_GT(counts[999], counts[998]);
  EXPECT_GT(counts[998], counts[900]);
  // After inserts, the newest key takes over.
  for (int i = 0; i < 10; ++i) keys.Acknowledge(keys.Next());
  counts.clear();
  for (int i = 0; i < kSamples; ++i) ++counts[static_cast<int64_t>(latest.Next(random))];
  EXPECT_NEAR(counts[1009] / double(kSamples), 1 / Zeta(1010, kZipfianConstant), 0.01);
  EXPECT_EQ(counts.rbegin()->first, 1009);
}

TEST(KeyChooserTest, UniformStaysInTheLoadedRecords) {
  KeySequence keys(500);
  for (int i = 0; i < 100; ++i) keys.Acknowledge(keys.Next());
  KeyChooser chooser(Distribution::kUniform, 500, 0, &keys);
  Random random(1);
  std::vector<int> counts(5);
  for (int i = 0; i < 50000; ++i) {
    const int64_t key = chooser.Next(random);
    ASSERT_GE(key, 0);
    ASSERT_LT(key, 500);  // YCSB: uniform over the loaded records
    ++counts[static_cast<size_t>(key / 100)];
  }
  for (int n : counts) EXPECT_NEAR(n, 10000, 600);
}

TEST(KeyChooserTest, ZipfianNeverPicksUnwrittenKeys) {
  KeySequence keys(100);
  KeyChooser chooser(Distribution::kZipfian, 100, 1000, &keys);
  Random random(2);
  for (int i = 0; i < 20000; ++i) {
    const int64_t key = chooser.Next(random);
    ASSERT_GE(key, 0);
    ASSERT_LE(key, keys.Last());
    if (i % 20 == 0) keys.Acknowledge(keys.Next());
  }
}

}  // namespace
}  // namespace strata::bench
