// Workload specs and their operation mix, option parsing and its errors, and the documents.
#include "tools/bench/workload.h"

#include <bson/bson.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "tests/support/test_util.h"

namespace strata::bench {
namespace {

using ::testing::HasSubstr;

std::array<double, kOpTypeCount> Mix(const std::string& workload, int samples) {
  auto spec = FindWorkload(workload);
  EXPECT_TRUE(spec.ok()) << workload;
  OperationChooser chooser(*spec);
  Random random(11);
  std::array<double, kOpTypeCount> counts{};
  for (int i = 0; i < samples; ++i) counts[static_cast<size_t>(chooser.Next(random))] += 1;
  for (double& c : counts) c /= samples;
  return counts;
}

double Share(const std::array<double, kOpTypeCount>& mix, OpType type) {
  return mix[static_cast<size_t>(type)];
}

TEST(WorkloadTest, YcsbMixes) {
  constexpr int kSamples = 200000;
  constexpr double kTolerance = 0.005;
  auto a = Mix("A", kSamples);
  EXPECT_NEAR(Share(a, OpType::kRead), 0.5, kTolerance);
  EXPECT_NEAR(Share(a, OpType::kUpdate), 0.5, kTolerance);
  auto b = Mix("b", kSamples);  // names are case-insensitive
  EXPECT_NEAR(Share(b, OpType::kRead), 0.95, kTolerance);
  EXPECT_NEAR(Share(b, OpType::kUpdate), 0.05, kTolerance);
  auto c = Mix("C", kSamples);
  EXPECT_EQ(Share(c, OpType::kRead), 1.0);
  auto d = Mix("D", kSamples);
  EXPECT_NEAR(Share(d, OpType::kRead), 0.95, kTolerance);
  EXPECT_NEAR(Share(d, OpType::kInsert), 0.05, kTolerance);
  auto e = Mix("E", kSamples);
  EXPECT_NEAR(Share(e, OpType::kScan), 0.95, kTolerance);
  EXPECT_NEAR(Share(e, OpType::kInsert), 0.05, kTolerance);
  auto f = Mix("F", kSamples);
  EXPECT_NEAR(Share(f, OpType::kRead), 0.5, kTolerance);
  EXPECT_NEAR(Share(f, OpType::kReadModifyWrite), 0.5, kTolerance);
  EXPECT_EQ(Share(Mix("index", 1000), OpType::kIndex), 1.0);
  EXPECT_EQ(Share(Mix("aggregate", 1000), OpType::kAggregate), 1.0);
  EXPECT_EQ(Share(Mix("lookup", 1000), OpType::kLookup), 1.0);
}

TEST(WorkloadTest, DefaultDistributionsAreYcsbs) {
  EXPECT_EQ(FindWorkload("A")->distribution, Distribution::kZipfian);
  EXPECT_EQ(FindWorkload("D")->distribution, Distribution::kLatest);
  EXPECT_EQ(FindWorkload("E")->max_scan_length, 100);
  EXPECT_THAT(FindWorkload("G").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown workload 'G'")));
}

absl::StatusOr<BenchOptions> Parse(std::vector<std::string> args) {
  return ParseBenchOptions(args);
}

TEST(BenchOptionsTest, DefaultsAndEveryOption) {
  auto defaults = Parse({});
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->workload, "A");
  EXPECT_EQ(defaults->records, 100000);
  EXPECT_FALSE(defaults->durable);
  EXPECT_TRUE(defaults->indexes);
  EXPECT_TRUE(defaults->load && defaults->run);
  auto all =
      Parse({"--db",           "/tmp/x",  "--workload", "e",      "--records", "50",
             "--duration",     "1.5",     "--doc-size", "500",    "--fields",  "5",
             "--distribution", "uniform", "--threads",  "3",      "--durable", "--no-indexes",
             "--seed",         "9",       "--run",      "--json", "--plot",    "p.png",
             "--quiet"});
  ASSERT_OK(all);
  EXPECT_EQ(all->db_dir, "/tmp/x");
  EXPECT_EQ(all->workload, "E");
  EXPECT_EQ(all->records, 50);
  EXPECT_TRUE(all->records_given);
  EXPECT_DOUBLE_EQ(all->duration_seconds, 1.5);
  EXPECT_EQ(all->doc_size, 500);
  EXPECT_EQ(all->fields, 5);
  EXPECT_EQ(all->distribution, Distribution::kUniform);
  EXPECT_EQ(all->threads, 3);
  EXPECT_TRUE(all->durable);
  EXPECT_FALSE(all->indexes);
  EXPECT_EQ(all->seed, 9u);
  EXPECT_FALSE(all->load);
  EXPECT_TRUE(all->run);
  EXPECT_TRUE(all->json);
  EXPECT_EQ(all->plot, "p.png");
  EXPECT_TRUE(all->quiet);
  auto both = Parse({"--load", "--run", "--ops", "7"});
  ASSERT_OK(both);
  EXPECT_TRUE(both->load && both->run);
  EXPECT_EQ(both->ops, 7);
}

TEST(BenchOptionsTest, ErrorsNameTheProblem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--records"}, "--records needs a value"},
      {{"--records", "ten"}, "--records needs a number, got 'ten'"},
      {{"--records", "0"}, "--records must be between 1"},
      {{"--records", "12x"}, "--records needs a number"},
      {{"--threads", "1000"}, "--threads must be between 1 and 256"},
      {{"--workload", "Z"}, "unknown workload 'Z'"},
      {{"--distribution", "normal"}, "--distribution must be uniform, zipfian or latest"},
      {{"--ops", "5", "--duration", "2"}, "--ops and --duration exclude each other"},
      {{"--durable", "--relaxed"}, "--durable and --relaxed exclude each other"},
      {{"--run"}, "--run without --load needs --db DIR"},
      {{"--fields", "100", "--doc-size", "200"}, "--doc-size 200 is too small for 100 fields"},
      {{"--duration", "-1"}, "--duration must be between"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << args[0];
  }
}

TEST(DocumentFactoryTest, SameRecordAsBsonAndJsonAndSizedAsAsked) {
  DocumentFactory factory(10, 1000, 1);
  Document bson = factory.Build(42);
  EXPECT_NEAR(static_cast<double>(bson.size()), 1000, 20);
  auto json = Document::FromJson(factory.BuildJson(42));
  ASSERT_OK(json);
  // Same fields and values (JSON numbers come back as int32 where they fit).
  bson_iter_t a, b;
  ASSERT_TRUE(bson_iter_init(&a, bson.bson()));
  ASSERT_TRUE(bson_iter_init(&b, json->bson()));
  int fields = 0;
  while (bson_iter_next(&a)) {
    ASSERT_TRUE(bson_iter_next(&b));
    EXPECT_STREQ(bson_iter_key(&a), bson_iter_key(&b));
    if (BSON_ITER_HOLDS_UTF8(&a)) {
      EXPECT_STREQ(bson_iter_utf8(&a, nullptr), bson_iter_utf8(&b, nullptr));
    } else {
      EXPECT_EQ(bson_iter_as_int64(&a), bson_iter_as_int64(&b)) << bson_iter_key(&a);
    }
    ++fields;
  }
  EXPECT_EQ(fields, 14);  // _id, cat, grp, num + 10 strings
  // Deterministic: the same record every time, another for another id or seed.
  EXPECT_TRUE(factory.Build(42).view().BytesEqual(bson.view()));
  EXPECT_FALSE(factory.Build(43).view().BytesEqual(bson.view()));
  EXPECT_FALSE(DocumentFactory(10, 1000, 2).Build(42).view().BytesEqual(bson.view()));
}

TEST(DocumentFactoryTest, CategoriesMatchAboutOneThousandthEach) {
  std::map<int32_t, int> counts;
  for (int64_t id = 0; id < 100000; ++id) ++counts[DocumentFactory::CategoryOf(id, 1)];
  EXPECT_EQ(counts.size(), static_cast<size_t>(kCategories));
  for (const auto& [category, n] : counts) {
    EXPECT_GE(category, 0);
    EXPECT_LT(category, kCategories);
    EXPECT_NEAR(n, 100, 50);
  }
}

}  // namespace
}  // namespace strata::bench
