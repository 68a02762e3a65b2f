// UpdatePlan behaviour the JSON corpus cannot express: limits, defaults, the predicate
// contract, reuse across documents and threads, and large arrays.
#include "query/update/update_plan.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/error_codes.h"
#include "tests/support/test_util.h"
#include "tests/update/test_predicate.h"

namespace strata::query::update {
namespace {

using strata::testing::Json;
using ::testing::HasSubstr;

UpdatePlan MustParse(const Document& update, const UpdateParseOptions& options = {}) {
  absl::StatusOr<UpdatePlan> plan = UpdatePlan::Parse(update.view(), options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return std::move(plan).value();
}

std::string Apply(const UpdatePlan& plan, const Document& doc, const ApplyContext& ctx = {}) {
  absl::StatusOr<UpdateOutcome> outcome = plan.Apply(doc.view(), ctx);
  if (!outcome.ok()) return std::string("error: ") + std::string(outcome.status().message());
  return outcome->result.ToJson(JsonMode::kCanonical);
}

std::string Canonical(const char* json) { return Json(json).ToJson(JsonMode::kCanonical); }

TEST(UpdatePlanTest, ReportsKind) {
  EXPECT_TRUE(MustParse(Json(R"({"a": 1})")).is_replacement());
  EXPECT_FALSE(MustParse(Json(R"({"$set": {"a": 1}})")).is_replacement());
  EXPECT_TRUE(MustParse(Json(R"({"$set": {"a.$.b": 1}})")).uses_positional());
  EXPECT_FALSE(MustParse(Json(R"({"$set": {"a.$[].b": 1}})")).uses_positional());
}

TEST(UpdatePlanTest, OnePlanManyDocuments) {
  UpdatePlan plan = MustParse(Json(R"({"$inc": {"n": 1}, "$push": {"log": "x"}})"));
  EXPECT_EQ(Apply(plan, Json(R"({"_id": 1})")), Canonical(R"({"_id": 1, "log": ["x"], "n": 1})"));
  EXPECT_EQ(Apply(plan, Json(R"({"_id": 2, "n": 4, "log": []})")),
            Canonical(R"({"_id": 2, "n": 5, "log": ["x"]})"));
}

TEST(UpdatePlanTest, PlanOutlivesTheUpdateDocument) {
  absl::StatusOr<UpdatePlan> plan = [] {
    Document update = Json(R"({"$set": {"a": "kept"}, "$addToSet": {"s": {"$each": [1, 2]}}})");
    return UpdatePlan::Parse(update.view());
  }();
  ASSERT_OK(plan);
  EXPECT_EQ(Apply(*plan, Json(R"({"_id": 1})")),
            Canonical(R"({"_id": 1, "a": "kept", "s": [1, 2]})"));
}

TEST(UpdatePlanTest, ConcurrentApply) {
  UpdatePlan plan = MustParse(Json(R"({"$inc": {"n": 1}, "$pull": {"a": {"$gt": 2}}})"),
                              UpdateParseOptions{{}, testing::TestPredicateFactory()});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Document doc = Json(R"({"_id": 1, "n": 1, "a": [1, 2, 3, 4]})");
      const std::string expected = Canonical(R"({"_id": 1, "n": 2, "a": [1, 2]})");
      for (int i = 0; i < 500; ++i) {
        if (Apply(plan, doc) != expected) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(UpdatePlanTest, CurrentDateDefaultsToNow) {
  UpdatePlan plan = MustParse(Json(R"({"$currentDate": {"d": true}})"));
  const int64_t before = absl::ToUnixMillis(absl::Now());
  absl::StatusOr<UpdateOutcome> outcome = plan.Apply(Json(R"({"_id": 1})").view(), {});
  ASSERT_OK(outcome);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init_find(&it, outcome->result.bson(), "d"));
  ASSERT_TRUE(BSON_ITER_HOLDS_DATE_TIME(&it));
  EXPECT_GE(bson_iter_date_time(&it), before);
  EXPECT_LE(bson_iter_date_time(&it), absl::ToUnixMillis(absl::Now()));
}

TEST(UpdatePlanTest, TimestampIncrementComesFromContext) {
  UpdatePlan plan = MustParse(Json(R"({"$currentDate": {"t": {"$type": "timestamp"}}})"));
  ApplyContext ctx;
  ctx.now = absl::FromUnixSeconds(100);
  ctx.timestamp_increment = 7;
  EXPECT_EQ(Apply(plan, Json(R"({"_id": 1})"), ctx),
            Canonical(R"({"_id": 1, "t": {"$timestamp": {"t": 100, "i": 7}}})"));
}

TEST(UpdatePlanTest, ConditionsNeedAPredicateFactory) {
  EXPECT_THAT(UpdatePlan::Parse(Json(R"({"$pull": {"a": {"$gt": 1}}})").view()),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("predicate factory")));
  Document filter = Json(R"({"x": 1})");
  UpdateParseOptions options;
  options.array_filters.push_back(filter.view());
  EXPECT_THAT(UpdatePlan::Parse(Json(R"({"$set": {"a.$[x]": 1}})").view(), options),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("predicate factory")));
  // Plain values need no matcher.
  UpdatePlan plan = MustParse(Json(R"({"$pull": {"a": 1}})"));
  EXPECT_EQ(Apply(plan, Json(R"({"a": [1, 2]})")), Canonical(R"({"a": [2]})"));
}

TEST(UpdatePlanTest, PredicateSpecsHandedToTheFactory) {
  std::vector<std::string> seen;
  UpdateParseOptions options;
  Document filter = Json(R"({"elem.g": {"$gte": 1}})");
  options.array_filters.push_back(filter.view());
  options.predicate_factory =
      [&](const PredicateSpec& spec) -> absl::StatusOr<std::unique_ptr<ElementPredicate>> {
    seen.push_back(
        std::string(spec.target == PredicateSpec::Target::kWrapped ? "wrapped:" : "document:") +
        std::string(spec.root_name) + ":" + spec.filter.ToJson());
    return std::unique_ptr<ElementPredicate>(new testing::TestPredicate(spec));
  };
  ASSERT_OK(UpdatePlan::Parse(
      Json(R"({"$set": {"a.$[elem].x": 1}, "$pull": {"b": {"$in": [1]}, "c": {"k": 1}}})").view(),
      options));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_THAT(seen[0], HasSubstr("wrapped:elem:"));
  EXPECT_THAT(seen[1], HasSubstr("wrapped:v:"));
  EXPECT_THAT(seen[1], HasSubstr("\"v\""));
  EXPECT_THAT(seen[2], HasSubstr("document::"));
}

TEST(UpdatePlanTest, FactoryErrorsFailParse) {
  UpdateParseOptions options;
  options.predicate_factory =
      [](const PredicateSpec&) -> absl::StatusOr<std::unique_ptr<ElementPredicate>> {
    return MongoError(ErrorCode::kBadValue, "unknown operator: $foo");
  };
  EXPECT_THAT(UpdatePlan::Parse(Json(R"({"$pull": {"a": {"$foo": 1}}})").view(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown operator")));
}

TEST(UpdatePlanTest, ResultOverSixteenMegabytesIsRejected) {
  const std::string big(9 * 1024 * 1024, 'x');
  Document doc;
  bson_append_utf8(doc.mutable_bson(), "a", 1, big.data(), static_cast<int>(big.size()));
  Document update;
  bson_t set;
  bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
  bson_append_utf8(&set, "b", 1, big.data(), static_cast<int>(big.size()));
  bson_append_document_end(update.mutable_bson(), &set);
  UpdatePlan plan = MustParse(update);
  absl::StatusOr<UpdateOutcome> outcome = plan.Apply(doc.view(), {});
  EXPECT_EQ(ErrorCodeOf(outcome.status()), ErrorCode::kBSONObjectTooLarge) << outcome.status();
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("Resulting document after update is larger than 16777216"));
}

TEST(UpdatePlanTest, ResultDeeperThanTheLimitIsRejected) {
  // 102 components: the last "a" document sits at depth 101 (the top level is 0).
  std::string path = "a";
  for (int i = 0; i < 101; ++i) path += ".a";
  Document update;
  bson_t set;
  bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
  bson_append_int32(&set, path.c_str(), -1, 1);
  bson_append_document_end(update.mutable_bson(), &set);
  UpdatePlan plan = MustParse(update);
  EXPECT_FALSE(plan.Apply(Json("{}").view(), {}).ok());

  std::string shallow = "a";
  for (int i = 0; i < 50; ++i) shallow += ".a";
  Document ok_update;
  bson_append_document_begin(ok_update.mutable_bson(), "$set", 4, &set);
  bson_append_int32(&set, shallow.c_str(), -1, 1);
  bson_append_document_end(ok_update.mutable_bson(), &set);
  EXPECT_OK(MustParse(ok_update).Apply(Json("{}").view(), {}));
}

TEST(UpdatePlanTest, MessagesPrintDoublesLikeMongo) {
  UpdatePlan plan = MustParse(Json(R"({"$inc": {"a": 1}})"));
  EXPECT_EQ(Apply(plan, Json(R"({"_id": 1.0, "a": "s"})")),
            "error: Cannot apply $inc to a value of non-numeric type. {_id: 1.0} has the field "
            "'a' of non-numeric type string");
}

TEST(UpdatePlanTest, DecimalArithmeticRoundsAndOverflows) {
  UpdatePlan inc = MustParse(Json(R"({"$inc": {"a": {"$numberDecimal": "1"}}})"));
  // 34 nines + 1 needs 35 digits: rounds to 1.000…E+34.
  EXPECT_EQ(Apply(inc, Json(R"({"a": {"$numberDecimal": "9999999999999999999999999999999999"}})")),
            Canonical(R"({"a": {"$numberDecimal": "1.000000000000000000000000000000000E+34"}})"));
  UpdatePlan mul = MustParse(Json(R"({"$mul": {"a": {"$numberDecimal": "1E+6000"}}})"));
  EXPECT_EQ(Apply(mul, Json(R"({"a": {"$numberDecimal": "1E+6000"}})")),
            Canonical(R"({"a": {"$numberDecimal": "Infinity"}})"));
  UpdatePlan half = MustParse(Json(R"({"$mul": {"a": {"$numberDecimal": "0.5"}}})"));
  // Exact product 0.5 × 3 = 1.5; no rounding needed.
  EXPECT_EQ(Apply(half, Json(R"({"a": 3})")), Canonical(R"({"a": {"$numberDecimal": "1.5"}})"));
  UpdatePlan nan = MustParse(Json(R"({"$inc": {"a": {"$numberDecimal": "NaN"}}})"));
  EXPECT_EQ(Apply(nan, Json(R"({"a": 1})")), Canonical(R"({"a": {"$numberDecimal": "NaN"}})"));
}

// Big arrays: each operator is linear in the array (plus hashing for $addToSet/$pullAll).
TEST(UpdatePlanTest, LargeArraysStayFast) {
  Document doc;
  bson_t array;
  bson_append_array_begin(doc.mutable_bson(), "a", 1, &array);
  char key[16];
  for (int i = 0; i < 200000; ++i) {
    snprintf(key, sizeof(key), "%d", i);
    bson_append_int32(&array, key, -1, i);
  }
  bson_append_array_end(doc.mutable_bson(), &array);

  Document each;
  bson_t set;
  bson_t values;
  bson_append_document_begin(each.mutable_bson(), "$addToSet", -1, &set);
  bson_t spec;
  bson_append_document_begin(&set, "a", 1, &spec);
  bson_append_array_begin(&spec, "$each", -1, &values);
  for (int i = 0; i < 50000; ++i) {
    snprintf(key, sizeof(key), "%d", i);
    bson_append_int32(&values, key, -1, i * 7);  // 1/7 new
  }
  bson_append_array_end(&spec, &values);
  bson_append_document_end(&set, &spec);
  bson_append_document_end(each.mutable_bson(), &set);

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<UpdateOutcome> added = MustParse(each).Apply(doc.view(), {});
  ASSERT_OK(added);
  absl::StatusOr<UpdateOutcome> pulled =
      MustParse(Json(R"({"$pullAll": {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}})")).Apply(doc.view(), {});
  ASSERT_OK(pulled);
  absl::StatusOr<UpdateOutcome> all =
      MustParse(Json(R"({"$inc": {"a.$[]": 1}})")).Apply(doc.view(), {});
  ASSERT_OK(all);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);

  bson_iter_t it;
  bson_iter_t last;
  ASSERT_TRUE(bson_iter_init_find(&it, added->result.bson(), "a"));
  uint32_t count = 0;
  bson_iter_recurse(&it, &last);
  while (bson_iter_next(&last)) ++count;
  // 0, 7, …, 349993: those >= 200000 are new (50000 - ceil(200000 / 7) = 21428).
  EXPECT_EQ(count, 200000u + 21428u);
}

TEST(UpsertSeedTest, IdFirstAndNested) {
  absl::StatusOr<Document> seed =
      BuildUpsertSeed(Json(R"({"x.y": 1, "_id": {"k": 1}, "z": {"$in": [1]}})").view());
  ASSERT_OK(seed);
  EXPECT_EQ(seed->ToJson(JsonMode::kCanonical), Canonical(R"({"_id": {"k": 1}, "x": {"y": 1}})"));
}

}  // namespace
}  // namespace strata::query::update
