// DocumentBuilder: typed values in, BSON out; instants become dates, date-only values are
// rejected with a conversion hint.
#include "strata/document_builder.h"

#include "tests/support/test_util.h"

namespace strata {
namespace {

TEST(DocumentBuilder, BuildsTypedValues) {
  Document inner = testing::Json(R"({"x": 1})");
  auto doc = DocumentBuilder()
                 .Append("i", int32_t{1})
                 .Append("l", int64_t{5000000000})
                 .Append("d", 2.5)
                 .Append("b", true)
                 .Append("s", "text")
                 .Append("o", inner.view())
                 .AppendNull("n")
                 .Build();
  ASSERT_OK(doc);
  EXPECT_EQ(
      doc->ToJson(JsonMode::kCanonical),
      R"({"i": {"$numberInt": "1"}, "l": {"$numberLong": "5000000000"}, "d": {"$numberDouble": "2.5"}, "b": true, "s": "text", "o": {"x": {"$numberInt": "1"}}, "n": null})");
}

TEST(DocumentBuilder, InstantsBecomeDates) {
  absl::Time t = absl::FromUnixMillis(1577934245678);
  auto tp = std::chrono::system_clock::time_point(std::chrono::milliseconds(-1));
  auto doc = DocumentBuilder().Append("t", t).Append("tp", tp).Build();
  ASSERT_OK(doc);
  EXPECT_EQ(
      doc->ToJson(),
      R"({"t": {"$date": "2020-01-02T03:04:05.678Z"}, "tp": {"$date": {"$numberLong": "-1"}}})");
  // Sub-millisecond precision rounds toward the past.
  auto rounded = DocumentBuilder().Append("t", absl::FromUnixMicros(-1)).Build();
  ASSERT_OK(rounded);
  EXPECT_EQ(rounded->ToJson(), R"({"t": {"$date": {"$numberLong": "-1"}}})");
}

TEST(DocumentBuilder, DateOnlyValuesAreRejectedWithAConversionHint) {
  auto civil = DocumentBuilder().Append("a", 1).Append("day", absl::CivilDay(2024, 1, 5)).Build();
  EXPECT_THAT(civil, StatusIs(absl::StatusCode::kInvalidArgument,
                              ::testing::AllOf(::testing::HasSubstr("'day'"),
                                               ::testing::HasSubstr("2024-01-05"),
                                               ::testing::HasSubstr("absl::FromCivil"))));
  auto ymd =
      DocumentBuilder()
          .Append("day", std::chrono::year_month_day(std::chrono::year(2024), std::chrono::month(2),
                                                     std::chrono::day(29)))
          .Build();
  EXPECT_THAT(ymd, StatusIs(absl::StatusCode::kInvalidArgument,
                            ::testing::AllOf(::testing::HasSubstr("2024-02-29"),
                                             ::testing::HasSubstr("sys_days"))));
}

TEST(DocumentBuilder, FirstErrorWins) {
  auto doc = DocumentBuilder()
                 .Append(std::string_view("a\0b", 3), 1)
                 .Append("day", absl::CivilDay(2024, 1, 5))
                 .Build();
  EXPECT_THAT(doc, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("NUL")));
}

}  // namespace
}  // namespace strata
