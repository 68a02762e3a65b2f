// The catalog's index entries: id allocation (never reused), persistence, and the range
// deletes that go with dropping an index or its collection.
#include <rocksdb/write_batch.h>

#include "engine/catalog.h"
#include "engine/key_layout.h"
#include "engine/storage_engine.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

class CatalogIndexesTest : public ::testing::Test {
 protected:
  void Open() {
    catalog_.reset();
    engine_.reset();
    auto engine = StorageEngine::Open(dir_.path(), DatabaseOptions());
    ASSERT_OK(engine);
    engine_ = std::move(*engine);
    auto catalog = Catalog::Load(engine_.get());
    ASSERT_OK(catalog);
    catalog_ = std::move(*catalog);
  }

  void PutIndexEntry(IndexId id, absl::string_view suffix) {
    ASSERT_TRUE(engine_->db()
                    ->Put(engine_->WriteOptions(), engine_->indexes(),
                          IndexPrefix(id) + std::string(suffix), "")
                    .ok());
  }

  int CountIndexEntries(IndexId id) {
    std::unique_ptr<rocksdb::Iterator> it(
        engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->indexes()));
    int n = 0;
    std::string prefix = IndexPrefix(id);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  }

  static IndexEntry Entry(IndexId id, const char* json) { return IndexEntry{id, Json(json), true}; }

  TempDir dir_;
  std::unique_ptr<StorageEngine> engine_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogIndexesTest, NewIndexesGetFreshIdsThatSurviveReopen) {
  Open();
  ASSERT_OK(catalog_->Create("db.c", DocumentView()));
  std::vector<IndexEntry> indexes;
  indexes.push_back(Entry(0, R"({"name": "a_1"})"));
  indexes.push_back(Entry(0, R"({"name": "b_1"})"));
  auto updated = catalog_->SetIndexes("db.c", std::move(indexes));
  ASSERT_OK(updated);
  ASSERT_EQ((*updated)->indexes.size(), 2u);
  IndexId a = (*updated)->indexes[0].id;
  IndexId b = (*updated)->indexes[1].id;
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  Open();
  CollectionHandle reloaded = catalog_->Find("db.c");
  ASSERT_NE(reloaded, nullptr);
  ASSERT_EQ(reloaded->indexes.size(), 2u);
  EXPECT_EQ(reloaded->indexes[0].id, a);
  EXPECT_EQ(reloaded->indexes[1].descriptor.ToJson(), R"({"name": "b_1"})");
}

TEST_F(CatalogIndexesTest, DroppingAnIndexDeletesItsEntriesAndItsIdIsNeverReused) {
  Open();
  ASSERT_OK(catalog_->Create("db.c", DocumentView()));
  std::vector<IndexEntry> two;
  two.push_back(Entry(0, R"({"name": "a_1"})"));
  two.push_back(Entry(0, R"({"name": "b_1"})"));
  auto updated = catalog_->SetIndexes("db.c", std::move(two));
  ASSERT_OK(updated);
  IndexId a = (*updated)->indexes[0].id;
  IndexId b = (*updated)->indexes[1].id;
  PutIndexEntry(a, "k1");
  PutIndexEntry(a, "k2");
  PutIndexEntry(b, "k1");
  std::vector<IndexEntry> only_b;
  only_b.push_back((*updated)->indexes[1].Clone());
  ASSERT_OK(catalog_->SetIndexes("db.c", std::move(only_b)));
  EXPECT_EQ(CountIndexEntries(a), 0);
  EXPECT_EQ(CountIndexEntries(b), 1);
  Open();
  std::vector<IndexEntry> again = {};
  again.push_back(catalog_->Find("db.c")->indexes[0].Clone());
  again.push_back(Entry(0, R"({"name": "a_1"})"));
  auto recreated = catalog_->SetIndexes("db.c", std::move(again));
  ASSERT_OK(recreated);
  IndexId new_a = (*recreated)->indexes[1].id;
  EXPECT_GT(new_a, b);  // fresh id, after every id handed out before
  EXPECT_EQ(CountIndexEntries(new_a), 0);
}

TEST_F(CatalogIndexesTest, DroppingTheCollectionDeletesItsIndexEntries) {
  Open();
  ASSERT_OK(catalog_->Create("db.c", DocumentView()));
  std::vector<IndexEntry> one;
  one.push_back(Entry(0, R"({"name": "a_1"})"));
  auto updated = catalog_->SetIndexes("db.c", std::move(one));
  ASSERT_OK(updated);
  IndexId a = (*updated)->indexes[0].id;
  PutIndexEntry(a, "k");
  ASSERT_OK(catalog_->Drop("db.c"));
  EXPECT_EQ(CountIndexEntries(a), 0);
}

TEST_F(CatalogIndexesTest, RenameKeepsIndexes) {
  Open();
  ASSERT_OK(catalog_->Create("db.c", DocumentView()));
  std::vector<IndexEntry> one;
  one.push_back(Entry(0, R"({"name": "a_1"})"));
  ASSERT_OK(catalog_->SetIndexes("db.c", std::move(one)));
  ASSERT_OK(catalog_->Rename("db.c", "db.d", false));
  Open();
  ASSERT_NE(catalog_->Find("db.d"), nullptr);
  EXPECT_EQ(catalog_->Find("db.d")->indexes.size(), 1u);
  EXPECT_THAT(catalog_->SetIndexes("db.c", {}),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("ns not found")));
}

}  // namespace
}  // namespace strata::engine
