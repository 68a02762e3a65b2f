// Collection validators through the command layer: create/collMod, levels, actions, bypass,
// errInfo shape, persistence, and that a rejected write changes nothing (documents or indexes).
#include <random>
#include <string>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    db_.reset();
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    auto db = Database::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = std::move(*db);
  }
  Document Run(std::string_view json) { return db_->RunCommand(Json(json).view()); }
  std::string Contents() {
    return Run(R"({"find": "s", "filter": {}, "batchSize": 1000})").ToJson();
  }
  static std::string Get(const Document& reply, const char* dotted) {
    bson_iter_t it, found;
    if (!bson_iter_init(&it, reply.bson()) || !bson_iter_find_descendant(&it, dotted, &found)) {
      return "<missing>";
    }
    bson_t wrapper = BSON_INITIALIZER;
    bson_append_iter(&wrapper, "v", 1, &found);
    std::string json = DocumentView(&wrapper).ToJson();
    bson_destroy(&wrapper);
    return json.substr(6, json.size() - 7);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

constexpr char kCreateWithSchema[] =
    R"({"create": "s", "validator": {"$jsonSchema": {"bsonType": "object", "required": ["name"],
        "properties": {"name": {"bsonType": "string"}, "age": {"bsonType": "int", "minimum": 0}}}}})";

TEST_F(ValidationTest, FailingInsertIsWriteErrorWithDetailsAndWritesNothing) {
  ASSERT_EQ(Get(Run(kCreateWithSchema), "ok"), "1.0");
  Document reply =
      Run(R"({"insert": "s", "documents": [{"_id": 1, "name": "a"}, {"_id": 2, "age": -1}]})");
  EXPECT_EQ(Get(reply, "n"), "1") << reply.ToJson();
  EXPECT_EQ(Get(reply, "writeErrors.0.index"), "1");
  EXPECT_EQ(Get(reply, "writeErrors.0.code"), "121");
  EXPECT_EQ(Get(reply, "writeErrors.0.errmsg"), "\"Document failed validation\"");
  EXPECT_EQ(Get(reply, "writeErrors.0.errInfo.failingDocumentId"), "2");
  EXPECT_EQ(Get(reply, "writeErrors.0.errInfo.details.operatorName"), "\"$jsonSchema\"");
  EXPECT_EQ(Get(reply, "writeErrors.0.errInfo.details.schemaRulesNotSatisfied.0.operatorName"),
            "\"required\"");
  EXPECT_EQ(Get(reply, "writeErrors.0.errInfo.details.schemaRulesNotSatisfied.0.missingProperties"),
            R"(["name"])");
  EXPECT_EQ(Get(Run(R"({"count": "s"})"), "n"), "1");
}

TEST_F(ValidationTest, StrictRejectsInvalidUpdatesModerateAllowsUpdatingInvalidDocuments) {
  ASSERT_EQ(
      Get(Run(R"({"insert": "s", "documents": [{"_id": 1, "name": "ok"}, {"_id": 2}]})"), "n"),
      "2");
  // A validator added later does not touch existing documents.
  ASSERT_EQ(Get(Run(R"({"collMod": "s", "validator": {"name": {"$type": "string"}}})"), "ok"),
            "1.0");
  // strict: updating the already-invalid document to another invalid state fails.
  Document strict =
      Run(R"({"update": "s", "updates": [{"q": {"_id": 2}, "u": {"$set": {"x": 1}}}]})");
  EXPECT_EQ(Get(strict, "writeErrors.0.code"), "121") << strict.ToJson();
  ASSERT_EQ(Get(Run(R"({"collMod": "s", "validationLevel": "moderate"})"), "ok"), "1.0");
  // moderate: an invalid document may be updated; a valid one may not become invalid.
  Document moderate =
      Run(R"({"update": "s", "updates": [{"q": {"_id": 2}, "u": {"$set": {"x": 1}}}]})");
  EXPECT_EQ(Get(moderate, "nModified"), "1") << moderate.ToJson();
  Document breaks_valid =
      Run(R"({"update": "s", "updates": [{"q": {"_id": 1}, "u": {"$unset": {"name": ""}}}]})");
  EXPECT_EQ(Get(breaks_valid, "writeErrors.0.code"), "121") << breaks_valid.ToJson();
  // Query-operator validators explain themselves too.
  EXPECT_EQ(Get(breaks_valid, "writeErrors.0.errInfo.failingDocumentId"), "1");
}

TEST_F(ValidationTest, WarnWritesAndBypassSkips) {
  ASSERT_EQ(Get(Run(kCreateWithSchema), "ok"), "1.0");
  Document bypass =
      Run(R"({"insert": "s", "documents": [{"_id": 1}], "bypassDocumentValidation": true})");
  EXPECT_EQ(Get(bypass, "n"), "1") << bypass.ToJson();
  ASSERT_EQ(Get(Run(R"({"collMod": "s", "validationAction": "warn"})"), "ok"), "1.0");
  Document warned = Run(R"({"insert": "s", "documents": [{"_id": 2, "age": "x"}]})");
  EXPECT_EQ(Get(warned, "n"), "1") << warned.ToJson();
  ASSERT_EQ(
      Get(Run(R"({"collMod": "s", "validationLevel": "off", "validationAction": "error"})"), "ok"),
      "1.0");
  EXPECT_EQ(Get(Run(R"({"insert": "s", "documents": [{"_id": 3}]})"), "n"), "1");
}

TEST_F(ValidationTest, FindAndModifyAndUpsertAreValidated) {
  ASSERT_EQ(Get(Run(kCreateWithSchema), "ok"), "1.0");
  ASSERT_EQ(Get(Run(R"({"insert": "s", "documents": [{"_id": 1, "name": "a"}]})"), "n"), "1");
  Document fam =
      Run(R"({"findAndModify": "s", "query": {"_id": 1}, "update": {"$set": {"age": -3}}})");
  EXPECT_EQ(Get(fam, "code"), "121") << fam.ToJson();
  EXPECT_EQ(Get(fam, "errInfo.failingDocumentId"), "1");
  Document upsert = Run(
      R"({"update": "s", "updates": [{"q": {"_id": 9}, "u": {"$set": {"age": 1}}, "upsert": true}]})");
  EXPECT_EQ(Get(upsert, "writeErrors.0.code"), "121") << upsert.ToJson();
  EXPECT_EQ(Get(Run(R"({"count": "s"})"), "n"), "1");
}

TEST_F(ValidationTest, OptionsAreCheckedListedAndSurviveReopen) {
  Document bad_level = Run(R"({"create": "t", "validationLevel": "sometimes"})");
  EXPECT_EQ(Get(bad_level, "code"), "2") << bad_level.ToJson();
  Document bad_schema = Run(R"({"create": "t", "validator": {"$jsonSchema": {"format": "x"}}})");
  EXPECT_EQ(Get(bad_schema, "ok"), "0.0") << bad_schema.ToJson();
  Document bad_filter = Run(R"({"create": "t", "validator": {"a": {"$bogus": 1}}})");
  EXPECT_EQ(Get(bad_filter, "code"), "2") << bad_filter.ToJson();
  EXPECT_EQ(Get(Run(R"({"listCollections": 1, "filter": {"name": "t"}})"), "cursor.firstBatch"),
            "[]");
  EXPECT_EQ(Get(Run(R"({"collMod": "missing", "validationLevel": "off"})"), "code"), "26");

  ASSERT_EQ(Get(Run(kCreateWithSchema), "ok"), "1.0");
  ASSERT_EQ(Get(Run(R"({"collMod": "s", "validationLevel": "moderate"})"), "ok"), "1.0");
  Reopen();
  Document list = Run(R"({"listCollections": 1, "filter": {"name": "s"}})");
  EXPECT_EQ(Get(list, "cursor.firstBatch.0.options.validationLevel"), "\"moderate\"");
  EXPECT_EQ(Get(list, "cursor.firstBatch.0.options.validator.$jsonSchema.required"), R"(["name"])");
  Document after_reopen = Run(R"({"insert": "s", "documents": [{"_id": 5}]})");
  EXPECT_EQ(Get(after_reopen, "writeErrors.0.code"), "121") << after_reopen.ToJson();
}

TEST_F(ValidationTest, ExprValidatorsCombineWithJsonSchema) {
  ASSERT_EQ(Get(Run(R"({"create": "s", "validator": {"$jsonSchema": {"required": ["lo", "hi"]},
                        "$expr": {"$lt": ["$lo", "$hi"]}}})"),
                "ok"),
            "1.0");
  EXPECT_EQ(Get(Run(R"({"insert": "s", "documents": [{"_id": 1, "lo": 1, "hi": 2}]})"), "n"), "1");
  Document bad = Run(R"({"insert": "s", "documents": [{"_id": 2, "lo": 3, "hi": 2}]})");
  EXPECT_EQ(Get(bad, "writeErrors.0.code"), "121") << bad.ToJson();
  EXPECT_EQ(Get(Run(R"({"count": "s"})"), "n"), "1");
}

// Random writes against a validator: every rejected write leaves the collection exactly as it
// was, every accepted one leaves only valid documents.
TEST_F(ValidationTest, RejectedWritesNeverChangeTheCollection) {
  ASSERT_EQ(Get(Run(R"({"create": "s", "validator": {"$jsonSchema": {"required": ["v"],
                        "properties": {"v": {"bsonType": "int", "minimum": 0, "maximum": 50}}}}})"),
                "ok"),
            "1.0");
  // Indexes too: a rejected write must leave every index entry as it was.
  ASSERT_EQ(Get(Run(R"({"createIndexes": "s", "indexes": [{"key": {"v": 1}, "name": "v_1"},
                        {"key": {"tags": 1, "v": -1}, "name": "tags_1_v_-1"}]})"),
                "ok"),
            "1.0");
  // The collection and what each index holds: every document reached through each index
  // (a hinted scan over all keys), and validate's per-index key counts.
  auto state = [&] {
    std::string all = Contents();
    for (const char* hint : {"v_1", "tags_1_v_-1"}) {
      all += Run(std::string(R"({"find": "s", "filter": {}, "batchSize": 1000, "hint": ")") + hint +
                 "\"}")
                 .ToJson();
    }
    Document validate = Run(R"({"validate": "s", "full": true})");
    EXPECT_EQ(Get(validate, "valid"), "true") << validate.ToJson();
    return all + Get(validate, "keysPerIndex");
  };
  std::mt19937 rng(7);
  int rejected = 0;
  for (int step = 0; step < 400; ++step) {
    int id = static_cast<int>(rng() % 20);
    int v = static_cast<int>(rng() % 80) - 10;  // ~1/3 outside [0, 50]
    std::string command;
    switch (rng() % 3) {
      case 0:
        command = R"({"insert": "s", "documents": [{"_id": )" + std::to_string(id) + R"(, "v": )" +
                  std::to_string(v) + R"(, "tags": [)" + std::to_string(v % 3) + ", " +
                  std::to_string(v % 5) + "]}]}";
        break;
      case 1:
        command = R"({"update": "s", "updates": [{"q": {"_id": )" + std::to_string(id) +
                  R"(}, "u": {"$inc": {"v": )" + std::to_string(v) + "}}, \"upsert\": true}]}";
        break;
      default:
        command = R"({"findAndModify": "s", "query": {"_id": )" + std::to_string(id) +
                  R"(}, "update": {"$set": {"v": )" + std::to_string(v) + "}}}";
        break;
    }
    std::string before = state();
    Document reply = Run(command);
    std::string json = reply.ToJson();
    if (json.find("\"code\": 121") != std::string::npos) {
      ++rejected;
      ASSERT_EQ(state(), before) << "rejected write changed the collection: " << command;
    }
  }
  EXPECT_GT(rejected, 20);
  // Every stored document satisfies the validator.
  EXPECT_EQ(Get(Run(R"({"count": "s", "query": {"$nor": [{"v": {"$gte": 0, "$lte": 50}}]}})"), "n"),
            "0");
}

}  // namespace
}  // namespace strata
