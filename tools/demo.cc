// `strata demo`: loads the bundled sample data set into demo.people and runs real commands
// against it, printing each command and its reply.
#include <chrono>
#include <iostream>
#include <string_view>

#include "absl/strings/string_view.h"
#include "strata/database.h"
#include "tools/cli.h"
#include "tools/json_text.h"
#include "tools/sample/sample_data.h"

namespace strata::tools {
namespace {

constexpr int kSamplePeople = 5000;

void Show(Database& db, const Document& command) {
  std::cout << "\n> " << command.ToJson() << "\n";
  std::string reply = db.RunCommand("demo", command.view()).ToJson();
  if (reply.size() > 4000) reply = reply.substr(0, 4000) + " …";
  std::cout << IndentJson(reply) << "\n";
}

void Show(Database& db, std::string_view json) {
  auto command = Document::FromJson(json);
  if (!command.ok()) {
    std::cout << "\n> " << json << "\n  (bad command: " << command.status().message() << ")\n";
    return;
  }
  Show(db, *command);
}

}  // namespace

int Demo(const CliOptions& options) {
  DatabaseOptions db_options;
  db_options.durability = options.durability;
  // Long operations (index builds) report progress on stderr, keeping stdout for results.
  db_options.progress = [](std::string_view line) { std::cerr << line << "\n"; };
  auto opened = Database::Open(options.data_dir, db_options);
  if (!opened.ok()) {
    std::cerr << "strata: cannot open " << options.data_dir << ": " << opened.status().message()
              << "\n";
    return 1;
  }
  Database& db = **opened;
  std::cout << "Strata demo on " << options.data_dir << "\n";
  // Start from a known state: drop what an earlier demo left.
  db.RunCommand("demo", Document::FromJson(R"({"drop": "people"})")->view());

  std::vector<Document> people = GenerateSamplePeople(kSamplePeople);
  auto start = std::chrono::steady_clock::now();
  std::vector<DocumentView> views;
  for (const Document& person : people) views.push_back(person.view());
  auto inserted = db.GetCollection("demo", "people").InsertMany(views);
  if (!inserted.ok()) {
    std::cerr << "strata: loading the sample data failed: " << inserted.status().message() << "\n";
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "loaded " << inserted->size() << " sample people into demo.people in " << seconds
            << " s (durable writes)\n";

  Show(db, R"({"count": "people"})");
  // Indexes: a compound one the planner can use for the Oslo query below (equality on city,
  // then age in index order), a multikey one on tags, a unique one on name+joined.
  Show(
      db,
      R"({"createIndexes": "people", "indexes": [{"key": {"city": 1, "age": -1}, "name": "city_1_age_-1"}, {"key": {"tags": 1}, "name": "tags_1"}]})");
  Show(
      db,
      R"({"explain": {"find": "people", "filter": {"city": "Oslo", "age": {"$gte": 70}}, "sort": {"age": -1}, "limit": 5}, "verbosity": "executionStats"})");
  Show(db, R"({"find": "people", "filter": {}, "limit": 2})");
  Show(
      db,
      R"({"find": "people", "filter": {"city": "Oslo", "age": {"$gte": 70}, "tags": "premium"}, "sort": {"age": -1, "name": 1}, "projection": {"_id": 0, "name": 1, "age": 1, "tags": 1}, "limit": 5})");
  Show(
      db,
      R"({"count": "people", "query": {"$or": [{"scores.math": {"$gt": 99}}, {"tags": {"$all": ["admin", "verified"]}}]}})");
  Show(db, R"({"distinct": "people", "key": "tags", "query": {"active": false}})");
  Show(
      db,
      R"({"update": "people", "updates": [{"q": {"city": "Lima"}, "u": {"$inc": {"age": 1}, "$addToSet": {"tags": "moved"}}, "multi": true}]})");
  Show(
      db,
      R"({"findAndModify": "people", "query": {"tags": "moved"}, "sort": {"age": -1}, "update": {"$set": {"city": "Quito"}}, "new": true, "fields": {"name": 1, "city": 1, "age": 1}})");
  {
    // Point read by an ObjectId _id taken from the loaded data.
    Document by_id;
    bson_append_utf8(by_id.mutable_bson(), "find", 4, "people", 6);
    bson_t filter;
    bson_append_document_begin(by_id.mutable_bson(), "filter", 6, &filter);
    bson_iter_t id;
    bson_iter_init_find(&id, people[1234].bson(), "_id");
    bson_append_iter(&filter, "_id", 3, &id);
    bson_append_document_end(by_id.mutable_bson(), &filter);
    Show(db, by_id);
  }
  Show(
      db,
      R"({"insert": "people", "documents": [{"_id": 1, "name": "Duplicate"}, {"_id": 1, "name": "Duplicate"}]})");
  Show(
      db,
      R"({"update": "people", "updates": [{"q": {"_id": 1}, "u": {"name": "Replaced", "age": 99}}]})");
  Show(db, R"({"find": "people", "filter": {"_id": 1}})");
  Show(db, R"({"delete": "people", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");
  // Aggregation: the $match goes into the planner (the city_1_age_-1 index), then a $group.
  Show(
      db,
      R"({"aggregate": "people", "pipeline": [{"$match": {"city": "Oslo"}}, {"$unwind": "$tags"}, {"$group": {"_id": "$tags", "people": {"$sum": 1}, "avgAge": {"$avg": "$age"}}}, {"$sort": {"people": -1}}, {"$limit": 3}], "cursor": {}})");
  Show(db, R"({"collStats": "people"})");
  Show(db, R"({"validate": "people"})");
  Show(db, R"({"listCollections": 1, "nameOnly": true})");
  Show(db, R"({"noSuchCommand": 1})");
  std::cout << "\nTry: build/strata --db " << options.data_dir
            << " find people --database demo --limit 3 --pretty\n"
            << "     build/strata --db " << options.data_dir
            << " explain people --database demo --filter '{\"tags\": \"admin\", \"age\": 30}'\n";
  return db.Close().ok() ? 0 : 1;
}

}  // namespace strata::tools
