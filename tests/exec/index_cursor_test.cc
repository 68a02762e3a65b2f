// Tests of IndexCursor (query/exec/index_cursor.h): entries written straight into the `indexes`
// column family with index/index_key_layout.h, then read back through full scans and bounded scans
// (forward and backward), with the bounds check for inexact ranges, isolation from other
// indexes and from later writes, corruption, keys_examined, and a randomized comparison with
// a brute-force filter of every entry.
#include "query/exec/index_cursor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "document/key_string.h"
#include "engine/storage_engine.h"
#include "index/index_bounds.h"
#include "index/index_key_layout.h"
#include "tests/support/test_util.h"

namespace strata::query::exec {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using index::IndexBounds;
using index::IndexEntryFormat;
using index::Interval;
using index::ScanRanges;

// The ascending (or descending) key string of a JSON value.
std::string Enc(const std::string& json_value, bool descending = false) {
  const Document doc = Json("{\"v\": " + json_value + "}");
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  std::string out;
  if (descending) {
    document::AppendKeyStringDescending(it, &out);
  } else {
    document::AppendKeyString(it, &out);
  }
  return out;
}
std::string Enc(int value, bool descending = false) {
  return Enc(std::to_string(value), descending);
}

Interval Range(std::string low, bool low_inclusive, std::string high, bool high_inclusive) {
  Interval interval;
  interval.low = std::move(low);
  interval.high = std::move(high);
  interval.low_inclusive = low_inclusive;
  interval.high_inclusive = high_inclusive;
  return interval;
}

IndexEntryFormat Format(index::IndexId id, bool unique, std::vector<bool> descending) {
  IndexEntryFormat format;
  format.index_id = id;
  format.unique = unique;
  format.descending = std::move(descending);
  return format;
}

// A decoded entry, copied out of the cursor.
struct Row {
  std::string key;
  std::string id;
  bool operator==(const Row& other) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Row& row) {
    return os << "{key " << ::testing::PrintToString(row.key) << ", id "
              << ::testing::PrintToString(row.id) << "}";
  }
};

absl::StatusOr<std::vector<Row>> Drain(IndexCursor& cursor) {
  std::vector<Row> rows;
  while (true) {
    absl::StatusOr<std::optional<IndexCursor::Entry>> next = cursor.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return rows;
    rows.push_back(Row{std::string((*next)->key), std::string((*next)->id_key_string)});
  }
}

std::vector<Row> Reversed(std::vector<Row> rows) {
  std::reverse(rows.begin(), rows.end());
  return rows;
}

class IndexCursorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;  // many small writes; durability is not tested
    auto engine = engine::StorageEngine::Open(dir_.Sub("db"), options);
    ASSERT_OK(engine);
    engine_ = std::move(*engine);
  }

  void PutRaw(const std::string& key, const std::string& value) {
    ASSERT_TRUE(engine_->db()->Put(engine_->WriteOptions(), engine_->indexes(), key, value).ok());
  }
  void Put(const IndexEntryFormat& format, const std::string& key, const std::string& id) {
    PutRaw(index::IndexEntryKey(format, key, id), index::IndexEntryValue(format, id, ""));
  }
  void Delete(const IndexEntryFormat& format, const std::string& key, const std::string& id) {
    ASSERT_TRUE(engine_->db()
                    ->Delete(engine_->WriteOptions(), engine_->indexes(),
                             index::IndexEntryKey(format, key, id))
                    .ok());
  }

  absl::StatusOr<std::vector<Row>> Scan(const IndexEntryFormat& format, const IndexBounds& bounds,
                                        bool backward, int64_t* keys_examined = nullptr,
                                        index::ScanRangesOptions options = {}) {
    absl::StatusOr<ScanRanges> ranges = index::BuildScanRanges(bounds, format.descending, options);
    if (!ranges.ok()) return ranges.status();
    absl::StatusOr<std::unique_ptr<IndexCursor>> cursor = IndexCursor::Create(
        *engine_, engine_->GetSnapshot(), format, *std::move(ranges), bounds, backward);
    if (!cursor.ok()) return cursor.status();
    absl::StatusOr<std::vector<Row>> rows = Drain(**cursor);
    if (keys_examined != nullptr) *keys_examined = (*cursor)->keys_examined();
    return rows;
  }

  absl::StatusOr<std::vector<Row>> FullScan(const IndexEntryFormat& format, bool backward) {
    absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
        IndexCursor::FullScan(*engine_, engine_->GetSnapshot(), format, backward);
    if (!cursor.ok()) return cursor.status();
    return Drain(**cursor);
  }

  TempDir dir_;
  std::unique_ptr<engine::StorageEngine> engine_;
};

TEST_F(IndexCursorTest, FullScanOfNonUniqueIndexIsInKeyThenIdOrder) {
  const IndexEntryFormat format = Format(7, false, {false});
  // Written out of order, with duplicate keys of different documents.
  Put(format, Enc(3), Enc(1));
  Put(format, Enc("null"), Enc(9));
  Put(format, Enc(1), Enc(5));
  Put(format, Enc(1), Enc(2));
  Put(format, Enc("\"x\""), Enc(4));
  Put(format, Enc("2.5"), Enc(3));
  const std::vector<Row> expected = {{Enc("null"), Enc(9)}, {Enc(1), Enc(2)},
                                     {Enc(1), Enc(5)},      {Enc("2.5"), Enc(3)},
                                     {Enc(3), Enc(1)},      {Enc("\"x\""), Enc(4)}};
  absl::StatusOr<std::vector<Row>> forward = FullScan(format, false);
  ASSERT_OK(forward);
  EXPECT_THAT(*forward, ElementsAreArray(expected));
  absl::StatusOr<std::vector<Row>> backward = FullScan(format, true);
  ASSERT_OK(backward);
  EXPECT_THAT(*backward, ElementsAreArray(Reversed(expected)));
}

TEST_F(IndexCursorTest, FullScanOfUniqueIndexTakesIdFromTheValue) {
  const IndexEntryFormat format = Format(3, true, {false});
  Put(format, Enc(20), Enc("\"b\""));
  Put(format, Enc(10), Enc("\"z\""));
  Put(format, Enc(30), Enc("\"a\""));
  const std::vector<Row> expected = {
      {Enc(10), Enc("\"z\"")}, {Enc(20), Enc("\"b\"")}, {Enc(30), Enc("\"a\"")}};
  absl::StatusOr<std::vector<Row>> forward = FullScan(format, false);
  ASSERT_OK(forward);
  EXPECT_THAT(*forward, ElementsAreArray(expected));
  absl::StatusOr<std::vector<Row>> backward = FullScan(format, true);
  ASSERT_OK(backward);
  EXPECT_THAT(*backward, ElementsAreArray(Reversed(expected)));
}

TEST_F(IndexCursorTest, CompoundAscendingDescendingOrder) {
  // {a: 1, b: -1}: a ascending, then b descending, then _id ascending.
  const IndexEntryFormat format = Format(4, false, {false, true});
  auto key = [](int a, int b) { return Enc(a) + Enc(b, true); };
  Put(format, key(1, 1), Enc(1));
  Put(format, key(1, 3), Enc(2));
  Put(format, key(2, 1), Enc(3));
  Put(format, key(1, 2), Enc(4));
  Put(format, key(2, 5), Enc(5));
  Put(format, key(1, 3), Enc(0));
  const std::vector<Row> expected = {{key(1, 3), Enc(0)}, {key(1, 3), Enc(2)}, {key(1, 2), Enc(4)},
                                     {key(1, 1), Enc(1)}, {key(2, 5), Enc(5)}, {key(2, 1), Enc(3)}};
  absl::StatusOr<std::vector<Row>> forward = FullScan(format, false);
  ASSERT_OK(forward);
  EXPECT_THAT(*forward, ElementsAreArray(expected));
  absl::StatusOr<std::vector<Row>> backward = FullScan(format, true);
  ASSERT_OK(backward);
  EXPECT_THAT(*backward, ElementsAreArray(Reversed(expected)));

  // a = 1, b in [2, 3): ranges are built over values, the descending part is handled by
  // BuildScanRanges.
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Enc(1))}, {Range(Enc(2), true, Enc(3), false)}};
  absl::StatusOr<std::vector<Row>> rows = Scan(format, bounds, false);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAre(Row{key(1, 2), Enc(4)}));
  bounds.fields = {{Interval::Point(Enc(1))}, {Range(Enc(2), true, Enc(3), true)}};
  rows = Scan(format, bounds, true);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows,
              ElementsAre(Row{key(1, 2), Enc(4)}, Row{key(1, 3), Enc(2)}, Row{key(1, 3), Enc(0)}));
}

class IndexCursorRangeTest : public IndexCursorTest {
 protected:
  void SetUp() override {
    IndexCursorTest::SetUp();
    // Values 1..6, two documents each (ids 10v and 10v+1).
    for (int v = 1; v <= 6; ++v) {
      Put(format_, Enc(v), Enc(10 * v));
      Put(format_, Enc(v), Enc(10 * v + 1));
    }
  }

  // The rows of values `values`, in ascending order.
  static std::vector<Row> RowsOf(std::vector<int> values) {
    std::vector<Row> rows;
    for (int v : values) {
      rows.push_back(Row{Enc(v), Enc(10 * v)});
      rows.push_back(Row{Enc(v), Enc(10 * v + 1)});
    }
    return rows;
  }

  void ExpectScan(const IndexBounds& bounds, const std::vector<int>& values) {
    absl::StatusOr<std::vector<Row>> forward = Scan(format_, bounds, false);
    ASSERT_OK(forward);
    EXPECT_THAT(*forward, ElementsAreArray(RowsOf(values)));
    absl::StatusOr<std::vector<Row>> backward = Scan(format_, bounds, true);
    ASSERT_OK(backward);
    EXPECT_THAT(*backward, ElementsAreArray(Reversed(RowsOf(values))));
  }

  const IndexEntryFormat format_ = Format(5, false, {false});
};

TEST_F(IndexCursorRangeTest, InclusiveAndExclusiveEnds) {
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(2), true, Enc(4), true)}};
  ExpectScan(bounds, {2, 3, 4});
  bounds.fields = {{Range(Enc(2), false, Enc(4), true)}};
  ExpectScan(bounds, {3, 4});
  bounds.fields = {{Range(Enc(2), true, Enc(4), false)}};
  ExpectScan(bounds, {2, 3});
  bounds.fields = {{Range(Enc(2), false, Enc(4), false)}};
  ExpectScan(bounds, {3});
  bounds.fields = {{Range(Enc(3), false, Enc(4), false)}};
  ExpectScan(bounds, {});
  bounds.fields = {{Interval::Point(Enc(6))}};
  ExpectScan(bounds, {6});
  bounds.fields = {{Interval::Point(Enc(7))}};
  ExpectScan(bounds, {});
}

TEST_F(IndexCursorRangeTest, OpenEnds) {
  IndexBounds bounds;
  bounds.fields = {{Range(document::MinKeyString(), true, Enc(2), true)}};
  ExpectScan(bounds, {1, 2});
  bounds.fields = {{Range(Enc(5), false, document::MaxKeyString(), true)}};
  ExpectScan(bounds, {6});
  bounds.fields = {{Interval::All()}};
  ExpectScan(bounds, {1, 2, 3, 4, 5, 6});
  ExpectScan(IndexBounds{}, {1, 2, 3, 4, 5, 6});
}

TEST_F(IndexCursorRangeTest, MultipleRangesInOrderAndInReverse) {
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Enc(1)), Range(Enc(2), false, Enc(4), true),
                    Interval::Point(Enc(6)), Interval::Point(Enc(8))}};
  ExpectScan(bounds, {1, 3, 4, 6});
  bounds.fields = {{Interval::Point(Enc(0)), Interval::Point(Enc(2)), Interval::Point(Enc(5))}};
  ExpectScan(bounds, {2, 5});
  bounds.fields = {{}};  // no interval: nothing
  ExpectScan(bounds, {});
}

TEST_F(IndexCursorTest, InexactRangesAreFilteredByTheBounds) {
  // {a: 1, b: 1}: a in [1, 3], b = 2 is one hull range over a, inexact.
  const IndexEntryFormat format = Format(9, false, {false, false});
  for (int a = 0; a <= 4; ++a) {
    for (int b = 1; b <= 3; ++b) {
      Put(format, Enc(a) + Enc(b), Enc(a * 10 + b));
    }
  }
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(1), true, Enc(3), true)}, {Interval::Point(Enc(2))}};
  absl::StatusOr<ScanRanges> ranges = index::BuildScanRanges(bounds, format.descending);
  ASSERT_OK(ranges);
  ASSERT_FALSE(ranges->exact);
  const std::vector<Row> expected = {
      {Enc(1) + Enc(2), Enc(12)}, {Enc(2) + Enc(2), Enc(22)}, {Enc(3) + Enc(2), Enc(32)}};
  int64_t examined = 0;
  absl::StatusOr<std::vector<Row>> rows = Scan(format, bounds, false, &examined);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAreArray(expected));
  // The hull over a in [1, 3] holds 9 keys, all examined; a = 0 and a = 4 are never read.
  EXPECT_EQ(examined, 9);
  rows = Scan(format, bounds, true, &examined);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAreArray(Reversed(expected)));
  EXPECT_EQ(examined, 9);

  // Without the bounds the cursor cannot filter: refused.
  EXPECT_THAT(
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, *ranges, std::nullopt, false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bounds")));
}

TEST_F(IndexCursorTest, ExactRangesIgnoreTheBounds) {
  // Bounds passed with exact ranges are not applied: the ranges alone decide.
  const IndexEntryFormat format = Format(9, false, {false});
  for (int v = 1; v <= 3; ++v) Put(format, Enc(v), Enc(v));
  ScanRanges ranges;
  ranges.ranges = {{Enc(1), Enc(3)}};
  IndexBounds nothing;
  nothing.fields = {{}};
  absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, ranges, nothing, false);
  ASSERT_OK(cursor);
  absl::StatusOr<std::vector<Row>> rows = Drain(**cursor);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAre(Row{Enc(1), Enc(1)}, Row{Enc(2), Enc(2)}));
}

TEST_F(IndexCursorTest, InvalidArguments) {
  const IndexEntryFormat format = Format(1, false, {false});
  ScanRanges ranges;
  EXPECT_THAT(IndexCursor::Create(*engine_, nullptr, format, ranges, std::nullopt, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("snapshot")));
  EXPECT_THAT(IndexCursor::FullScan(*engine_, nullptr, format, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("snapshot")));
  ranges.ranges = {{Enc(5), Enc(1)}};
  EXPECT_THAT(
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, ranges, std::nullopt, false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inverted")));
  ranges.ranges = {{Enc(1), Enc(5)}, {Enc(3), Enc(7)}};
  EXPECT_THAT(
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, ranges, std::nullopt, false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("disjoint")));
  ranges.ranges = {{Enc(1), Enc(5)}};
  ranges.exact = false;
  IndexBounds too_many;
  too_many.fields = {{Interval::All()}, {Interval::All()}};
  EXPECT_THAT(
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, ranges, too_many, false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key parts")));
}

TEST_F(IndexCursorTest, EntriesOfNeighbouringIndexesNeverLeakIn) {
  const IndexEntryFormat before = Format(1, false, {false});
  const IndexEntryFormat target = Format(2, false, {false});
  const IndexEntryFormat after = Format(3, true, {false});
  const IndexEntryFormat below_empty = Format(0xFFFFFFFD, false, {false});
  const IndexEntryFormat last = Format(0xFFFFFFFF, false, {false});
  // The neighbours' most extreme keys: MinKey/MaxKey values, and bytes right past the prefix.
  for (const IndexEntryFormat* format : {&before, &after, &below_empty, &last}) {
    Put(*format, Enc("{\"$minKey\": 1}"), Enc(1));
    Put(*format, Enc("{\"$maxKey\": 1}"), Enc(2));
    PutRaw(index::IndexPrefix(format->index_id), "");
    PutRaw(index::IndexPrefix(format->index_id) + std::string(8, '\xFF'), "");
  }
  Put(target, Enc(5), Enc(1));
  Put(last, Enc(5), Enc(1));

  absl::StatusOr<std::vector<Row>> rows = FullScan(target, false);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAre(Row{Enc(5), Enc(1)}));
  rows = FullScan(target, true);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAre(Row{Enc(5), Enc(1)}));
  for (bool backward : {false, true}) {
    rows = Scan(target, IndexBounds{}, backward);
    ASSERT_OK(rows);
    EXPECT_THAT(*rows, ElementsAre(Row{Enc(5), Enc(1)}));
  }
  // An empty index reads nothing, although both of its neighbours hold entries.
  const IndexEntryFormat empty = Format(0xFFFFFFFE, false, {false});
  for (bool backward : {false, true}) {
    rows = FullScan(empty, backward);
    ASSERT_OK(rows);
    EXPECT_TRUE(rows->empty());
    rows = Scan(empty, IndexBounds{}, backward);
    ASSERT_OK(rows);
    EXPECT_TRUE(rows->empty());
  }
}

TEST_F(IndexCursorTest, FullScanOfTheLastIndexId) {
  // The last id has no successor prefix: its full-scan range ends at prefix + "\xFF".
  const IndexEntryFormat last = Format(0xFFFFFFFF, false, {false});
  Put(last, Enc(1), Enc(1));
  Put(last, Enc("{\"$maxKey\": 1}"), Enc(2));
  absl::StatusOr<std::vector<Row>> rows = FullScan(last, true);
  ASSERT_OK(rows);
  EXPECT_THAT(*rows, ElementsAre(Row{Enc("{\"$maxKey\": 1}"), Enc(2)}, Row{Enc(1), Enc(1)}));
}

TEST_F(IndexCursorTest, ReadsItsSnapshotOnly) {
  const IndexEntryFormat format = Format(6, false, {false});
  Put(format, Enc(1), Enc(1));
  Put(format, Enc(2), Enc(2));
  Put(format, Enc(3), Enc(3));
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(1), true, Enc(4), true)}};
  absl::StatusOr<ScanRanges> ranges = index::BuildScanRanges(bounds, format.descending);
  ASSERT_OK(ranges);
  // The cursor holds the only reference to its snapshot.
  absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, *ranges, bounds, false);
  ASSERT_OK(cursor);
  absl::StatusOr<std::unique_ptr<IndexCursor>> full =
      IndexCursor::FullScan(*engine_, engine_->GetSnapshot(), format, true);
  ASSERT_OK(full);
  // Read one entry, then change the index under the cursors.
  absl::StatusOr<std::optional<IndexCursor::Entry>> first = (*cursor)->Next();
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->key, Enc(1));
  Put(format, Enc(2), Enc(0));
  Put(format, Enc(4), Enc(4));
  Delete(format, Enc(3), Enc(3));
  ASSERT_TRUE(engine_->db()->Flush(rocksdb::FlushOptions(), engine_->indexes()).ok());

  absl::StatusOr<std::vector<Row>> rest = Drain(**cursor);
  ASSERT_OK(rest);
  EXPECT_THAT(*rest, ElementsAre(Row{Enc(2), Enc(2)}, Row{Enc(3), Enc(3)}));
  absl::StatusOr<std::vector<Row>> old_full = Drain(**full);
  ASSERT_OK(old_full);
  EXPECT_THAT(*old_full,
              ElementsAre(Row{Enc(3), Enc(3)}, Row{Enc(2), Enc(2)}, Row{Enc(1), Enc(1)}));
  // A new snapshot sees the changes.
  absl::StatusOr<std::vector<Row>> now = FullScan(format, false);
  ASSERT_OK(now);
  EXPECT_THAT(*now, ElementsAre(Row{Enc(1), Enc(1)}, Row{Enc(2), Enc(0)}, Row{Enc(2), Enc(2)},
                                Row{Enc(4), Enc(4)}));
}

TEST_F(IndexCursorTest, CorruptEntryIsDataLossAndSticky) {
  const IndexEntryFormat format = Format(8, false, {false});
  Put(format, Enc(1), Enc(1));
  // A key part that is not a key string (0x02 is no type tag), after a good entry.
  PutRaw(index::IndexPrefix(8) + Enc(2) + "\x02", "");
  Put(format, Enc(3), Enc(3));
  absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
      IndexCursor::FullScan(*engine_, engine_->GetSnapshot(), format, false);
  ASSERT_OK(cursor);
  absl::StatusOr<std::optional<IndexCursor::Entry>> next = (*cursor)->Next();
  ASSERT_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_THAT((*cursor)->Next(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("index 8")));
  EXPECT_EQ((*cursor)->keys_examined(), 2);
  // The error stays; the entry after it is never returned.
  EXPECT_THAT((*cursor)->Next(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("index 8")));
  EXPECT_EQ((*cursor)->keys_examined(), 2);

  // Backward, the corrupt entry is met second too.
  absl::StatusOr<std::vector<Row>> rows = FullScan(format, true);
  EXPECT_THAT(rows, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("index 8")));

  // A bounded scan over the corrupt key fails the same way, exact or not.
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(2), true, Enc(3), false)}};
  EXPECT_THAT(Scan(format, bounds, false),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("index 8")));
}

TEST_F(IndexCursorTest, CorruptUniqueValueIsDataLoss) {
  const IndexEntryFormat format = Format(8, true, {false});
  Put(format, Enc(1), Enc(1));
  PutRaw(index::IndexEntryKey(format, Enc(2), ""), "");               // no `_id` in the value
  PutRaw(index::IndexEntryKey(format, Enc(3), ""), Enc(3) + Enc(4));  // two values
  absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
      IndexCursor::FullScan(*engine_, engine_->GetSnapshot(), format, false);
  ASSERT_OK(cursor);
  ASSERT_OK((*cursor)->Next());
  EXPECT_THAT((*cursor)->Next(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id")));
  cursor = IndexCursor::FullScan(*engine_, engine_->GetSnapshot(), format, true);
  ASSERT_OK(cursor);
  EXPECT_THAT((*cursor)->Next(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id")));
}

TEST_F(IndexCursorTest, KeysExaminedCountsEveryEntryRead) {
  const IndexEntryFormat format = Format(2, false, {false});
  for (int v = 1; v <= 10; ++v) Put(format, Enc(v), Enc(v));
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(2), true, Enc(4), true), Interval::Point(Enc(7))}};
  absl::StatusOr<ScanRanges> ranges = index::BuildScanRanges(bounds, format.descending);
  ASSERT_OK(ranges);
  absl::StatusOr<std::unique_ptr<IndexCursor>> cursor =
      IndexCursor::Create(*engine_, engine_->GetSnapshot(), format, *ranges, bounds, false);
  ASSERT_OK(cursor);
  EXPECT_EQ((*cursor)->keys_examined(), 0);
  ASSERT_OK((*cursor)->Next());
  EXPECT_EQ((*cursor)->keys_examined(), 1);
  absl::StatusOr<std::vector<Row>> rest = Drain(**cursor);
  ASSERT_OK(rest);
  EXPECT_EQ(rest->size(), 3u);
  EXPECT_EQ((*cursor)->keys_examined(), 4);
  // The end is sticky and reads nothing more.
  absl::StatusOr<std::optional<IndexCursor::Entry>> end = (*cursor)->Next();
  ASSERT_OK(end);
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ((*cursor)->keys_examined(), 4);
}

TEST_F(IndexCursorTest, DeletedEntriesAreSkipped) {
  const IndexEntryFormat format = Format(2, false, {false});
  for (int v = 1; v <= 50; ++v) Put(format, Enc(v), Enc(v));
  ASSERT_TRUE(engine_->db()->Flush(rocksdb::FlushOptions(), engine_->indexes()).ok());
  for (int v = 2; v <= 49; ++v) Delete(format, Enc(v), Enc(v));
  for (bool backward : {false, true}) {
    int64_t examined = 0;
    absl::StatusOr<std::vector<Row>> rows = Scan(format, IndexBounds{}, backward, &examined);
    ASSERT_OK(rows);
    EXPECT_EQ(rows->size(), 2u);
    EXPECT_EQ(examined, 2);
  }
}

// --- Randomized comparison with a brute-force filter ---

constexpr int kOpen = -1000;  // an open end
constexpr int kNull = -999;   // a missing field (null), below every number

struct RandomInterval {
  int low;  // kOpen: open
  int high;
  bool low_inclusive;
  bool high_inclusive;
};

// Random sorted, non-overlapping intervals over small ints (sometimes points, open-ended or All).
std::vector<RandomInterval> RandomIntervals(std::mt19937& rng) {
  std::vector<RandomInterval> out;
  const int kind = static_cast<int>(rng() % 5);
  if (kind == 0) return {{kOpen, kOpen, true, true}};
  if (kind == 4 && rng() % 4 == 0) return {};  // matches nothing
  int cursor = -2;
  const int count = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < count; ++i) {
    const int low = cursor + 1 + static_cast<int>(rng() % 3);
    if (kind == 1) {
      out.push_back({low, low, true, true});
      cursor = low;
    } else {
      const int high = low + static_cast<int>(rng() % 4);
      const bool point = low == high;
      out.push_back({low, high, point || rng() % 2 == 0, point || rng() % 2 == 0});
      cursor = high + 1;
    }
  }
  if (kind == 3 && rng() % 2) out.front().low = kOpen;
  if (kind == 3 && rng() % 2) out.back().high = kOpen;
  return out;
}

bool Satisfies(const std::vector<RandomInterval>& intervals, int value) {
  for (const RandomInterval& interval : intervals) {
    if (value == kNull) {  // null sorts below every number: only open low ends hold it
      if (interval.low == kOpen) return true;
      continue;
    }
    const bool above = interval.low == kOpen || value > interval.low ||
                       (value == interval.low && interval.low_inclusive);
    const bool below = interval.high == kOpen || value < interval.high ||
                       (value == interval.high && interval.high_inclusive);
    if (above && below) return true;
  }
  return false;
}

Interval ToInterval(const RandomInterval& interval) {
  return Range(interval.low == kOpen ? document::MinKeyString() : Enc(interval.low),
               interval.low_inclusive,
               interval.high == kOpen ? document::MaxKeyString() : Enc(interval.high),
               interval.high_inclusive);
}

TEST_F(IndexCursorTest, RandomBoundsMatchABruteForceFilter) {
  std::mt19937 rng(20240611);
  int exact_rounds = 0;
  int inexact_rounds = 0;
  size_t rows_returned = 0;
  for (int round = 0; round < 150; ++round) {
    // A fresh index id per round; neighbours of earlier rounds stay in the column family.
    const auto id = static_cast<index::IndexId>(100 + round);
    const size_t parts = 1 + rng() % 3;
    std::vector<bool> descending;
    for (size_t i = 0; i < parts; ++i) descending.push_back(rng() % 2 == 1);
    const IndexEntryFormat format = Format(id, rng() % 3 == 0, descending);

    // Entries: values in [-1, 8] or null; unique indexes keep the first `_id` of each key.
    struct Brute {
      std::vector<int> values;
      Row row;
    };
    std::map<std::string, Brute> by_entry_key;  // entry key order == scan order
    std::map<std::string, bool> unique_keys;
    rocksdb::WriteBatch batch;
    const int entries = 20 + static_cast<int>(rng() % 60);
    for (int e = 0; e < entries; ++e) {
      std::vector<int> values(parts);
      std::string key;
      for (size_t i = 0; i < parts; ++i) {
        values[i] = rng() % 8 == 0 ? kNull : -1 + static_cast<int>(rng() % 10);
        key += values[i] == kNull ? Enc("null", descending[i]) : Enc(values[i], descending[i]);
      }
      if (format.unique && !unique_keys.emplace(key, true).second) continue;
      const std::string id_key = Enc(e);
      const std::string entry_key = index::IndexEntryKey(format, key, id_key);
      ASSERT_TRUE(
          batch.Put(engine_->indexes(), entry_key, index::IndexEntryValue(format, id_key, ""))
              .ok());
      by_entry_key[entry_key] = Brute{values, Row{key, id_key}};
    }
    ASSERT_TRUE(engine_->db()->Write(engine_->WriteOptions(), &batch).ok());
    if (round % 10 == 0) {
      ASSERT_TRUE(engine_->db()->Flush(rocksdb::FlushOptions(), engine_->indexes()).ok());
    }

    // Bounds on a random prefix of the key parts (the rest unbounded).
    const size_t bounded = rng() % (parts + 1);
    std::vector<std::vector<RandomInterval>> random_bounds;
    IndexBounds bounds;
    for (size_t i = 0; i < bounded; ++i) {
      random_bounds.push_back(RandomIntervals(rng));
      std::vector<Interval> intervals;
      for (const RandomInterval& interval : random_bounds.back()) {
        intervals.push_back(ToInterval(interval));
      }
      bounds.fields.push_back(std::move(intervals));
    }
    index::ScanRangesOptions options;
    options.max_ranges = 1 + rng() % 12;

    std::vector<Row> expected;
    for (const auto& [entry_key, brute] : by_entry_key) {
      bool satisfies = true;
      for (size_t i = 0; i < bounded; ++i) {
        satisfies = satisfies && Satisfies(random_bounds[i], brute.values[i]);
      }
      if (satisfies) expected.push_back(brute.row);
    }
    absl::StatusOr<ScanRanges> ranges = index::BuildScanRanges(bounds, descending, options);
    ASSERT_OK(ranges);
    (ranges->exact ? exact_rounds : inexact_rounds)++;
    rows_returned += expected.size();

    for (bool backward : {false, true}) {
      int64_t examined = 0;
      absl::StatusOr<std::vector<Row>> rows = Scan(format, bounds, backward, &examined, options);
      ASSERT_OK(rows) << "round " << round;
      EXPECT_THAT(*rows, ElementsAreArray(backward ? Reversed(expected) : expected))
          << "round " << round << " backward " << backward;
      // Exact ranges read exactly the matching entries; inexact ones at least those.
      if (ranges->exact) {
        EXPECT_EQ(examined, static_cast<int64_t>(expected.size())) << "round " << round;
      } else {
        EXPECT_GE(examined, static_cast<int64_t>(expected.size())) << "round " << round;
      }
      EXPECT_LE(examined, static_cast<int64_t>(by_entry_key.size())) << "round " << round;
    }
    // The full scan returns every entry of this index only.
    std::vector<Row> all;
    for (const auto& [entry_key, brute] : by_entry_key) all.push_back(brute.row);
    const bool backward = rng() % 2 == 1;
    absl::StatusOr<std::vector<Row>> full = FullScan(format, backward);
    ASSERT_OK(full);
    EXPECT_THAT(*full, ElementsAreArray(backward ? Reversed(all) : all)) << "round " << round;
  }
  // The random cases reach both kinds of range sets and return a fair number of rows.
  EXPECT_GT(exact_rounds, 30);
  EXPECT_GT(inexact_rounds, 15);
  EXPECT_GT(rows_returned, 1000u);
}

}  // namespace
}  // namespace strata::query::exec
