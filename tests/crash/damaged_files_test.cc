// Damaged files: a cleanly closed data directory (documents, a secondary index, catalog; SST
// files, a WAL tail, MANIFEST, CURRENT, OPTIONS) is copied, one of its files is damaged (a
// flipped byte at several offsets, a truncation to half, to nothing), and the copy is opened,
// read in full and validated. Each case must end in one of:
//   refused    Open fails with an error (corruption is kDataLoss);
//   detected   Open succeeds but reading or validate reports the damage;
//   recovered  everything reads back exactly as written and validate is clean (the damaged
//              bytes were not needed, e.g. an OPTIONS file, or RocksDB repaired around them);
// and never: a crash, a hang, or a database that opens, reads and validates fine but holds
// different data (silently lost or empty).
// A damaged WAL is indistinguishable from a write torn by a crash, and RocksDB's point-in-time
// recovery keeps the writes before the damage: for WAL files the outcome may also be an exact
// prefix of the inserts (in order, no holes), reported separately. The WAL is damaged both in
// the cleanly closed directory and in a crash image (copied from a live database).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "db/internal/database_test_access.h"
#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::strata::testing::Json;
using ::strata::testing::TempDir;

Document Doc(int64_t id) {
  std::mt19937_64 rng(static_cast<uint64_t>(id));
  std::string payload(600, '\0');
  for (char& c : payload) c = static_cast<char>('a' + rng() % 26);
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  bson_append_int64(doc.mutable_bson(), "v", 1, id % 97);
  bson_append_utf8(doc.mutable_bson(), "payload", 7, payload.data(),
                   static_cast<int>(payload.size()));
  return doc;
}

// No TTL monitor and no background analysis: the only writes are the test's own.
DatabaseOptions QuietOptions() {
  DatabaseOptions options;
  options.ttl_monitor_interval_seconds = 0;
  options.auto_analyze = false;
  return options;
}

// Everything a reopened copy holds, or the first error met on the way.
absl::StatusOr<std::map<int64_t, std::string>> ReadEverything(Database& db) {
  std::map<int64_t, std::string> docs;
  Collection collection = db.GetCollection("dmg", "docs");
  {
    auto cursor = collection.Find(DocumentView());
    if (!cursor.ok()) return cursor.status();
    while (true) {
      auto next = cursor->Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      bson_iter_t id;
      if (!bson_iter_init_find(&id, (*next)->bson(), "_id") || !BSON_ITER_HOLDS_INT64(&id)) {
        return absl::DataLossError("a document without its _id");
      }
      docs[bson_iter_int64(&id)] = (*next)->ToJson(JsonMode::kCanonical);
    }
  }
  Document reply =
      db.RunCommand(Json(R"({"validate": "docs", "full": true, "$db": "dmg"})").view());
  bson_iter_t valid;
  if (!bson_iter_init_find(&valid, reply.bson(), "valid") || !BSON_ITER_HOLDS_BOOL(&valid) ||
      !bson_iter_bool(&valid)) {
    return absl::DataLossError("validate: " + reply.ToJson().substr(0, 300));
  }
  auto indexes = collection.ListIndexes();
  if (!indexes.ok()) return indexes.status();
  if (indexes->size() != 2) return absl::DataLossError("the secondary index is gone");
  return docs;
}

TEST(DamagedFiles, RefusedDetectedOrRecoveredNeverSilentlyWrong) {
  TempDir dir;
  const std::string golden = dir.path() + "/golden";
  std::map<int64_t, std::string> expected;
  {
    engine::StorageHooks hooks;
    hooks.write_buffer_bytes = 64 << 10;  // several SST files, plus a WAL tail
    // No compaction racing the flushes: the image holds exactly the flushed L0 files.
    hooks.disable_auto_compactions = true;
    auto db = db::DatabaseTestAccess::Open(golden, QuietOptions(), hooks);
    ASSERT_OK(db);
    Collection docs = (*db)->GetCollection("dmg", "docs");
    ASSERT_OK(docs.CreateIndex(Json(R"({"v": 1})").view()));
    for (int64_t id = 0; id < 400; ++id) {
      Document doc = Doc(id);
      ASSERT_OK(docs.InsertOne(doc.view()));
      expected[id] = doc.ToJson(JsonMode::kCanonical);
    }
    ASSERT_OK((*db)->Close());
  }
  // The crash image: the same inserts, all in the WAL, copied while the database is open.
  const std::string crashed = dir.path() + "/crashed";
  {
    auto db = Database::Open(dir.path() + "/live", QuietOptions());
    ASSERT_OK(db);
    Collection docs = (*db)->GetCollection("dmg", "docs");
    ASSERT_OK(docs.CreateIndex(Json(R"({"v": 1})").view()));
    for (int64_t id = 0; id < 400; ++id) ASSERT_OK(docs.InsertOne(Doc(id).view()));
    fs::copy(dir.path() + "/live", crashed);
    ASSERT_OK((*db)->Close());
  }
  // (image, file) pairs: every data file of the clean image, the WAL of the crash image.
  // (Close syncs the WAL but does not flush it: a clean image's WAL holds the last writes.)
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& [image, wal_only] : {std::pair{golden, false}, std::pair{crashed, true}}) {
    for (const auto& entry : fs::directory_iterator(image)) {
      const std::string name = entry.path().filename().string();
      if (name == "LOCK" || name.starts_with("LOG")) continue;  // not data
      if (entry.file_size() == 0 || (wal_only && !name.ends_with(".log"))) continue;
      files.emplace_back(image, name);
    }
  }
  std::sort(files.begin(), files.end());
  std::mt19937_64 rng(1234);
  int refused = 0, detected = 0, recovered = 0, prefixes = 0, cases = 0;
  for (const auto& [image, name] : files) {
    const uint64_t size = fs::file_size(image + "/" + name);
    // (description, offset to flip or size to truncate to, flip?)
    std::vector<std::tuple<std::string, uint64_t, bool>> damages = {
        {"flip at 0", 0, true},
        {"flip in the middle", size / 2, true},
        {"flip near the end", size - 1 - rng() % std::min<uint64_t>(size, 64), true},
        {"flip at random", rng() % size, true},
        {"truncated to half", size / 2, false},
        {"truncated to nothing", 0, false}};
    for (const auto& [what, at, flip] : damages) {
      SCOPED_TRACE(image + "/" + name + ": " + what);
      const std::string copy = dir.path() + "/case";
      fs::remove_all(copy);
      fs::copy(image, copy);
      const std::string victim = copy + "/" + name;
      if (flip) {
        std::fstream file(victim, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(static_cast<std::streamoff>(at));
        char byte = 0;
        file.get(byte);
        file.seekp(static_cast<std::streamoff>(at));
        file.put(static_cast<char>(byte ^ 0x5A));
      } else {
        fs::resize_file(victim, at);
      }
      ++cases;
      DatabaseOptions options = QuietOptions();
      options.create_if_missing = false;
      // Every damaged copy is read as it lies on disk: a background compaction started by the
      // open (the recovered WAL is flushed at open, which can reach the L0 trigger) would
      // rewrite the damaged files while they are being read, so whether a case is refused,
      // detected or recovered would depend on thread timing.
      engine::StorageHooks no_compactions;
      no_compactions.disable_auto_compactions = true;
      auto db = db::DatabaseTestAccess::Open(copy, options, no_compactions);
      if (!db.ok()) {
        ++refused;
        EXPECT_FALSE(db.status().message().empty());
        continue;
      }
      auto read = ReadEverything(**db);
      (*db)->Close().IgnoreError();
      if (!read.ok()) {
        ++detected;
        continue;
      }
      if (*read == expected) {
        ++recovered;
        continue;
      }
      if (name.ends_with(".log") && read->size() < expected.size()) {
        // A prefix ids [0, k), each exactly as written?
        bool prefix = true;
        for (const auto& [id, json] : *read) {
          prefix = prefix && id < static_cast<int64_t>(read->size()) && expected[id] == json;
        }
        if (prefix) {
          ++prefixes;
          continue;
        }
      }
      size_t missing = 0, different = 0;
      for (const auto& [id, json] : expected) {
        auto it = read->find(id);
        if (it == read->end()) {
          ++missing;
        } else if (it->second != json) {
          ++different;
        }
      }
      ADD_FAILURE() << "silently wrong: opened, read and validated fine, but " << missing << " of "
                    << expected.size() << " documents missing, " << different << " different, "
                    << read->size() << " found";
    }
  }
  std::cout << "[ damage   ] " << cases << " damaged copies of " << files.size()
            << " files: " << refused << " refused at open, " << detected
            << " detected by reads/validate, " << recovered << " recovered exactly, " << prefixes
            << " (WAL) recovered an exact prefix, 0 silently wrong" << std::endl;
}

}  // namespace
}  // namespace strata
