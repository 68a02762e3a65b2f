// Shared helpers of the index maintenance, command and concurrency suites: a DatabaseImpl on a
// temporary directory, and checks that read the `indexes` column family directly and compare
// it with the entries computed from the stored documents by index::KeyGenerator +
// index::IndexEntryKey (so a test never trusts the writer it checks).
#ifndef STRATA_TESTS_DB_INDEX_TEST_UTIL_H_
#define STRATA_TESTS_DB_INDEX_TEST_UTIL_H_

#include <rocksdb/db.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "db/collection_indexes.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/key_string.h"
#include "engine/catalog.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "engine/storage_engine.h"
#include "index/index_key_layout.h"
#include "index/index_spec.h"
#include "index/key_generator.h"
#include "tests/support/test_util.h"

namespace strata::testing {

// Index entry key → value, in memcmp (= index) order.
using EntryMap = std::map<std::string, std::string>;

// A partialFilterExpression written as C++ by the test, independent of query/match.
class LambdaPredicate : public index::DocumentPredicate {
 public:
  explicit LambdaPredicate(std::function<bool(DocumentView)> fn) : fn_(std::move(fn)) {}
  bool Matches(DocumentView doc) const override { return fn_(doc); }

 private:
  std::function<bool(DocumentView)> fn_;
};

// The number at top-level field `field` of `doc`, or nullopt when missing / not a number.
inline std::optional<double> NumberField(DocumentView doc, const char* field) {
  bson_t bson;
  if (!doc.AsBson(&bson)) return std::nullopt;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &bson, field) || !BSON_ITER_HOLDS_NUMBER(&it)) {
    return std::nullopt;
  }
  return bson_iter_as_double(&it);
}

// The integer at `dotted` in `doc`; -12345 (and a test failure) when there is none.
inline int64_t IntAt(const Document& doc, const char* dotted) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, doc.bson()) || !bson_iter_find_descendant(&it, dotted, &found) ||
      !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

// The string at `dotted` in `doc`, or "<missing>".
inline std::string StrAt(const Document& doc, const char* dotted) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, doc.bson()) || !bson_iter_find_descendant(&it, dotted, &found) ||
      !BSON_ITER_HOLDS_UTF8(&found)) {
    return "<missing>";
  }
  return bson_iter_utf8(&found, nullptr);
}

inline bool HasPath(const Document& doc, const char* dotted) {
  bson_iter_t it, found;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, &found);
}

// A DatabaseImpl on its own temporary directory, reopenable.
class TestDb {
 public:
  // kRelaxed by default: the suites make many small writes and do not test power loss.
  static DatabaseOptions DefaultOptions() {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    return options;
  }

  explicit TestDb(DatabaseOptions options = DefaultOptions()) : options_(std::move(options)) {
    Open();
  }
  ~TestDb() { Close(); }

  void Open() {
    auto opened = db::DatabaseImpl::Open(dir_.path(), options_);
    ASSERT_OK(opened);
    impl_ = *std::move(opened);
  }
  void Close() {
    if (impl_ != nullptr) {
      EXPECT_OK(impl_->Close());
      impl_.reset();
    }
  }
  void Reopen() {
    Close();
    Open();
  }
  void set_options(DatabaseOptions options) { options_ = std::move(options); }

  db::DatabaseImpl& impl() { return *impl_; }
  engine::StorageEngine& engine() { return impl_->engine(); }
  const std::string& path() const { return dir_.path(); }

  // Runs a command (Extended JSON) through the dispatcher, in database "test".
  Document Run(absl::string_view json) {
    return db::Dispatch(*impl_, Json(std::string_view(json.data(), json.size())).view(), "test");
  }
  Document Run(const Document& command) { return db::Dispatch(*impl_, command.view(), "test"); }

 private:
  TempDir dir_;
  DatabaseOptions options_;
  std::unique_ptr<db::DatabaseImpl> impl_;
};

// The reply's ok field (1 or 0; -1 when absent).
inline double OkOf(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
}

// One index of a collection as the catalog describes it.
struct CatalogIndex {
  engine::CollectionHandle collection;
  index::IndexSpec spec;  // with its id
  bool ready = true;
};

inline std::vector<CatalogIndex> CatalogIndexes(db::DatabaseImpl& db, absl::string_view ns) {
  std::vector<CatalogIndex> result;
  engine::CollectionHandle collection = db.catalog().Find(ns);
  if (collection == nullptr) return result;
  for (const engine::IndexEntry& entry : collection->indexes) {
    auto spec = index::IndexSpec::FromDescriptor(entry.descriptor.view());
    if (!spec.ok()) {
      ADD_FAILURE() << "unreadable descriptor: " << spec.status();
      continue;
    }
    spec->set_id(entry.id);
    result.push_back(CatalogIndex{collection, *std::move(spec), entry.ready});
  }
  return result;
}

inline std::optional<CatalogIndex> FindCatalogIndex(db::DatabaseImpl& db, absl::string_view ns,
                                                    absl::string_view name) {
  for (CatalogIndex& index : CatalogIndexes(db, ns)) {
    if (index.spec.name() == name) return std::move(index);
  }
  return std::nullopt;
}

// Every entry with the prefix of index `id`, read directly from the `indexes` column family.
inline EntryMap ActualEntries(const engine::StorageEngine& engine, engine::IndexId id) {
  EntryMap entries;
  index::KeyRange range = index::IndexEntryRange(id);
  std::unique_ptr<rocksdb::Iterator> it(
      engine.db()->NewIterator(rocksdb::ReadOptions(), engine.indexes()));
  for (it->Seek(range.start); it->Valid() && it->key().ToString() < range.limit; it->Next()) {
    entries.emplace(it->key().ToString(), it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return entries;
}

// Entry counts per index id over the whole `indexes` column family.
inline std::map<engine::IndexId, int64_t> EntriesPerIndex(const engine::StorageEngine& engine) {
  std::map<engine::IndexId, int64_t> counts;
  std::unique_ptr<rocksdb::Iterator> it(
      engine.db()->NewIterator(rocksdb::ReadOptions(), engine.indexes()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++counts[engine::ReadBigEndian32(absl::string_view(it->key().data(), 4))];
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return counts;
}

// The `_id` key strings and BSON of every stored document of collection `id`.
inline std::vector<std::pair<std::string, Document>> StoredDocuments(
    const engine::StorageEngine& engine, engine::CollectionId id) {
  std::vector<std::pair<std::string, Document>> docs;
  engine::RecordIterator records(engine, engine.GetSnapshot(), id);
  for (records.SeekToFirst(); records.Valid(); records.Next()) {
    absl::string_view value = records.value();
    docs.emplace_back(
        std::string(records.id_key()),
        Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(value.data()), value.size())));
  }
  EXPECT_OK(records.status());
  return docs;
}

// The entries index `spec` should hold for the stored documents of `collection`, computed with
// KeyGenerator and the layout functions (not with the writer under test).
inline absl::StatusOr<EntryMap> ExpectedEntries(const engine::StorageEngine& engine,
                                                engine::CollectionId collection,
                                                const index::IndexSpec& spec,
                                                const index::DocumentPredicate* partial) {
  EntryMap expected;
  index::KeyGenerator generator(spec);
  index::IndexEntryFormat format = index::IndexEntryFormat::For(spec);
  for (const auto& [id_key, doc] : StoredDocuments(engine, collection)) {
    absl::StatusOr<index::IndexKeys> keys = generator.Generate(doc.view(), partial);
    if (!keys.ok()) return keys.status();
    for (size_t k = 0; k < keys->keys.size(); ++k) {
      const std::string& key = keys->keys[k];
      std::string entry = index::IndexEntryKey(format, key, id_key);
      if (format.unique && expected.count(entry) > 0) {
        return absl::AlreadyExistsError(
            absl::StrCat("two documents share a key of unique index ", spec.name()));
      }
      expected.emplace(
          std::move(entry),
          index::IndexEntryValue(format, id_key,
                                 k < keys->key_types.size() ? keys->key_types[k] : std::string()));
    }
  }
  return expected;
}

inline std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

inline std::string DescribeDifference(const EntryMap& expected, const EntryMap& actual) {
  std::string out;
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      absl::StrAppend(&out, "\n  missing ", Hex(key));
    } else if (it->second != value) {
      absl::StrAppend(&out, "\n  wrong value at ", Hex(key), ": ", Hex(it->second), " instead of ",
                      Hex(value));
    }
  }
  for (const auto& [key, value] : actual) {
    if (expected.count(key) == 0) absl::StrAppend(&out, "\n  stray ", Hex(key));
  }
  return out;
}

// Index `name` of `ns` holds exactly the entries its documents imply, and its entry counters
// (engine::ReadIndexStats) match them. `partial` must be given for a partial index (when null,
// the spec's filter is compiled by db::CompilePartialFilter).
inline ::testing::AssertionResult IndexIsConsistent(
    db::DatabaseImpl& db, absl::string_view ns, absl::string_view name,
    const index::DocumentPredicate* partial = nullptr) {
  std::optional<CatalogIndex> index = FindCatalogIndex(db, ns, name);
  if (!index.has_value()) {
    return ::testing::AssertionFailure() << "no index " << name << " on " << ns;
  }
  std::unique_ptr<index::DocumentPredicate> compiled;
  if (partial == nullptr && index->spec.partial_filter_expression().has_value()) {
    auto filter = db::CompilePartialFilter(*index->spec.partial_filter_expression());
    if (!filter.ok()) return ::testing::AssertionFailure() << filter.status();
    compiled = *std::move(filter);
    partial = compiled.get();
  }
  absl::StatusOr<EntryMap> expected =
      ExpectedEntries(db.engine(), index->collection->id, index->spec, partial);
  if (!expected.ok()) {
    return ::testing::AssertionFailure() << "computing the expected entries: " << expected.status();
  }
  EntryMap actual = ActualEntries(db.engine(), index->spec.id());
  if (*expected != actual) {
    return ::testing::AssertionFailure()
           << "index " << name << ": " << actual.size() << " entries, expected " << expected->size()
           << DescribeDifference(*expected, actual);
  }
  absl::StatusOr<engine::CollectionStats> stats =
      engine::ReadIndexStats(db.engine(), index->spec.id());
  if (!stats.ok()) return ::testing::AssertionFailure() << stats.status();
  int64_t bytes = 0;
  for (const auto& [key, value] : actual) bytes += static_cast<int64_t>(key.size() + value.size());
  if (stats->count != static_cast<int64_t>(actual.size()) || stats->data_bytes != bytes) {
    return ::testing::AssertionFailure()
           << "index " << name << " counters say " << stats->count << " entries / "
           << stats->data_bytes << " bytes; the column family holds " << actual.size() << " / "
           << bytes;
  }
  return ::testing::AssertionSuccess() << actual.size() << " entries";
}

// Every secondary index of `ns` is consistent, and the `indexes` column family holds no entry
// of an index that is not in the catalog (of any collection).
inline ::testing::AssertionResult AllIndexesConsistent(db::DatabaseImpl& db, absl::string_view ns) {
  for (const CatalogIndex& index : CatalogIndexes(db, ns)) {
    ::testing::AssertionResult result = IndexIsConsistent(db, ns, index.spec.name());
    if (!result) return result;
  }
  std::set<engine::IndexId> live;
  for (const engine::CollectionHandle& collection : db.catalog().List()) {
    for (const engine::IndexEntry& entry : collection->indexes) live.insert(entry.id);
  }
  for (const auto& [id, count] : EntriesPerIndex(db.engine())) {
    if (live.count(id) == 0) {
      return ::testing::AssertionFailure()
             << count << " stray entries of index id " << id << ", which is not in the catalog";
    }
  }
  return ::testing::AssertionSuccess();
}

// The persisted multikey paths of index `id` (catalog key engine::MultikeyPathsKey), or nullopt
// when none is recorded.
inline std::optional<index::MultikeyPaths> PersistedMultikeyPaths(
    const engine::StorageEngine& engine, engine::IndexId id) {
  std::string record;
  rocksdb::Status s = engine.db()->Get(rocksdb::ReadOptions(), engine.catalog(),
                                       engine::MultikeyPathsKey(id), &record);
  if (s.IsNotFound()) return std::nullopt;
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto paths = db::DecodeMultikeyPaths(
      DocumentView(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
  EXPECT_OK(paths);
  if (!paths.ok()) return std::nullopt;
  return *paths;
}

// Whether the catalog column family holds key `key`.
inline bool CatalogHas(const engine::StorageEngine& engine, const std::string& key) {
  std::string value;
  return engine.db()->Get(rocksdb::ReadOptions(), engine.catalog(), key, &value).ok();
}

// Writes per column family id in the WAL records after sequence number `since` (from
// GetLatestSequenceNumber before the operation): what an operation wrote, exactly.
struct WalWrites {
  std::map<uint32_t, int64_t> per_cf;  // column family id → puts + deletes + merges + ranges
  int64_t batches_touching = 0;        // batches with at least one write to `watched`
  int64_t batches = 0;
};

inline WalWrites WalWritesSince(const engine::StorageEngine& engine, rocksdb::SequenceNumber since,
                                uint32_t watched_cf) {
  struct Counter : rocksdb::WriteBatch::Handler {
    std::map<uint32_t, int64_t> per_cf;
    rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
      ++per_cf[cf];
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice&) override {
      ++per_cf[cf];
      return rocksdb::Status::OK();
    }
    rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice&) override {
      ++per_cf[cf];
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice&,
                                  const rocksdb::Slice&) override {
      ++per_cf[cf];
      return rocksdb::Status::OK();
    }
    rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
      ++per_cf[cf];
      return rocksdb::Status::OK();
    }
    // Transaction markers carry no data.
    rocksdb::Status MarkBeginPrepare(bool) override { return rocksdb::Status::OK(); }
    rocksdb::Status MarkEndPrepare(const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
    rocksdb::Status MarkNoop(bool) override { return rocksdb::Status::OK(); }
    rocksdb::Status MarkRollback(const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
    rocksdb::Status MarkCommit(const rocksdb::Slice&) override { return rocksdb::Status::OK(); }
    rocksdb::Status MarkCommitWithTimestamp(const rocksdb::Slice&, const rocksdb::Slice&) override {
      return rocksdb::Status::OK();
    }
  };
  WalWrites result;
  std::unique_ptr<rocksdb::TransactionLogIterator> it;
  rocksdb::Status s =
      engine.db()->GetUpdatesSince(since + 1, &it, rocksdb::TransactionLogIterator::ReadOptions());
  if (s.IsNotFound()) return result;  // nothing written since
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return result;
  for (; it->Valid(); it->Next()) {
    rocksdb::BatchResult batch = it->GetBatch();
    if (batch.sequence <= since) continue;
    Counter counter;
    rocksdb::Status iterated = batch.writeBatchPtr->Iterate(&counter);
    EXPECT_TRUE(iterated.ok()) << iterated.ToString();
    ++result.batches;
    if (counter.per_cf.count(watched_cf) > 0) ++result.batches_touching;
    for (const auto& [cf, n] : counter.per_cf) result.per_cf[cf] += n;
  }
  return result;
}

inline rocksdb::SequenceNumber LatestSequence(const engine::StorageEngine& engine) {
  return engine.db()->GetLatestSequenceNumber();
}

}  // namespace strata::testing

#endif  // STRATA_TESTS_DB_INDEX_TEST_UTIL_H_
