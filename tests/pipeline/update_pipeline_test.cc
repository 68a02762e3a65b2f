// Updates with an aggregation pipeline (`u: [...]` in update, `update: [...]` in
// findAndModify): allowed stages, `_id` kept or protected, upserts, disallowed stages.
#include <memory>
#include <string>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::TempDir;

class UpdatePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = Database::Open(dir_.path(), options);
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    Run(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 5}]})");
  }
  std::string Run(const std::string& json) {
    auto command = Document::FromJson(json);
    EXPECT_TRUE(command.ok()) << json;
    return db_->RunCommand("test", command->view()).ToJson();
  }
  std::string All() { return Run(R"({"find": "c"})"); }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(UpdatePipelineTest, SetAndUnsetStagesOnEveryMatch) {
  EXPECT_THAT(Run(R"({"update": "c", "updates": [{"q": {}, "multi": true,
                      "u": [{"$set": {"s": {"$add": ["$a", 10]}}}, {"$unset": "b"}]}]})"),
              ::testing::HasSubstr(R"("nModified": 2)"));
  EXPECT_THAT(
      All(), ::testing::HasSubstr(R"([{"_id": 1, "a": 1, "s": 11}, {"_id": 2, "a": 5, "s": 15}])"));
}

TEST_F(UpdatePipelineTest, ReplaceWithKeepsIdAndChangedIdFails) {
  Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": [{"$replaceWith": {"x": "$a"}}]}]})");
  EXPECT_THAT(All(), ::testing::HasSubstr(R"({"_id": 1, "x": 1})"));
  EXPECT_THAT(
      Run(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": [{"$set": {"_id": 9}}]}]})"),
      ::testing::HasSubstr(R"("code": 66)"));
}

TEST_F(UpdatePipelineTest, DisallowedStageAndUpsertAndFindAndModify) {
  EXPECT_THAT(Run(R"({"update": "c", "updates": [{"q": {}, "u": [{"$group": {"_id": 1}}]}]})"),
              ::testing::HasSubstr(R"("code": 72)"));
  Run(R"({"update": "c", "updates": [{"q": {"_id": 7}, "upsert": true,
          "u": [{"$set": {"n": {"$literal": 1}}}]}]})");
  EXPECT_THAT(All(), ::testing::HasSubstr(R"({"_id": 7, "n": 1})"));
  EXPECT_THAT(Run(R"({"findAndModify": "c", "query": {"_id": 2}, "new": true,
                      "update": [{"$set": {"a": {"$multiply": ["$a", 2]}}}]})"),
              ::testing::HasSubstr(R"("value": {"_id": 2, "a": 10})"));
}

}  // namespace
}  // namespace strata
