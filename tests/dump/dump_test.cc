// strata dump / strata restore: round trips (all BSON types, byte-identical documents, same
// options/validators and indexes) in every layout and compression, a dump taken while writers
// run, MongoDB's own mongodump output, corrupt input, namespace rules, --drop, --stopOnError,
// and the CLI end to end.
#include <bson/bson.h>
#include <zlib.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/database_snapshot.h"
#include "tests/support/test_util.h"
#include "tools/dump/archive.h"
#include "tools/dump/dumper.h"
#include "tools/dump/metadata.h"
#include "tools/dump/restorer.h"

namespace strata::tools::dump {
namespace {

namespace fs = std::filesystem;
using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;

const std::string kData = STRATA_TEST_DATA_DIR;

std::unique_ptr<db::DatabaseImpl> OpenDb(const std::string& path) {
  DatabaseOptions options;
  options.ttl_monitor_interval_seconds = 0;
  options.durability = Durability::kRelaxed;
  auto db = db::DatabaseImpl::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

Document RunCommand(db::DatabaseImpl& db, const Document& command,
                    const std::string& db_name = "test") {
  Document reply = db::Dispatch(db, command.view(), db_name);
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0)
      << reply.ToJson();
  return reply;
}

Progress Quiet() { return Progress(nullptr, false); }

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Documents with every BSON type (deprecated ones included) and nesting.
std::vector<Document> AllTypeDocuments() {
  std::vector<Document> docs;
  for (int i = 0; i < 40; ++i) {
    Document d;
    bson_t* b = d.mutable_bson();
    BSON_APPEND_INT32(b, "_id", i);
    BSON_APPEND_DOUBLE(b, "double", 1.5 + i);
    BSON_APPEND_DOUBLE(b, "negzero", -0.0);
    BSON_APPEND_UTF8(b, "string", "héllo wörld");
    bson_t sub;
    BSON_APPEND_DOCUMENT_BEGIN(b, "doc", &sub);
    BSON_APPEND_INT64(&sub, "n", int64_t{1} << 40);
    bson_append_document_end(b, &sub);
    BSON_APPEND_ARRAY_BEGIN(b, "array", &sub);
    BSON_APPEND_INT32(&sub, "0", 1);
    BSON_APPEND_UTF8(&sub, "1", "two");
    bson_append_array_end(b, &sub);
    const uint8_t bytes[] = {0, 1, 2, 255};
    BSON_APPEND_BINARY(b, "binary", BSON_SUBTYPE_BINARY, bytes, sizeof(bytes));
    const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};
    BSON_APPEND_BINARY(b, "uuid", BSON_SUBTYPE_UUID, uuid, sizeof(uuid));
    BSON_APPEND_BINARY(b, "user_binary", BSON_SUBTYPE_USER, bytes, sizeof(bytes));
    BSON_APPEND_UNDEFINED(b, "undefined");
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5f0c3e2a9d1b2c3d4e5f6a7b");
    BSON_APPEND_OID(b, "oid", &oid);
    BSON_APPEND_BOOL(b, "bool", i % 2 == 0);
    BSON_APPEND_DATE_TIME(b, "date", int64_t{1595203200000} + i);
    BSON_APPEND_DATE_TIME(b, "old_date", int64_t{-2208988800000});
    BSON_APPEND_NULL(b, "null");
    BSON_APPEND_REGEX(b, "regex", "^a.*b$", "imx");
    BSON_APPEND_DBPOINTER(b, "dbpointer", "db.coll", &oid);
    BSON_APPEND_CODE(b, "code", "function() { return 1; }");
    BSON_APPEND_SYMBOL(b, "symbol", "sym");
    bson_t scope;
    bson_init(&scope);
    BSON_APPEND_INT32(&scope, "x", 1);
    BSON_APPEND_CODE_WITH_SCOPE(b, "code_w_scope", "function() { return x; }", &scope);
    bson_destroy(&scope);
    BSON_APPEND_INT32(b, "int32", -i);
    BSON_APPEND_TIMESTAMP(b, "timestamp", 1595203200, static_cast<uint32_t>(i));
    BSON_APPEND_INT64(b, "int64", -(int64_t{1} << 62));
    bson_decimal128_t dec;
    bson_decimal128_from_string("1234.5678E-2000", &dec);
    BSON_APPEND_DECIMAL128(b, "decimal", &dec);
    BSON_APPEND_MINKEY(b, "minkey");
    BSON_APPEND_MAXKEY(b, "maxkey");
    BSON_APPEND_UTF8(b, "email", ("user" + std::to_string(i) + "@x.org").c_str());
    if (i % 3 == 0) BSON_APPEND_DATE_TIME(b, "expires", int64_t{4102444800000});
    docs.push_back(std::move(d));
  }
  return docs;
}

// A validator with the operators libbson's JSON reader would misread ($type arrays, $regex).
Document TrickyValidator() {
  Document v;
  bson_t* b = v.mutable_bson();
  bson_t field, types;
  BSON_APPEND_DOCUMENT_BEGIN(b, "int32", &field);
  BSON_APPEND_ARRAY_BEGIN(&field, "$type", &types);
  BSON_APPEND_UTF8(&types, "0", "int");
  BSON_APPEND_UTF8(&types, "1", "long");
  bson_append_array_end(&field, &types);
  bson_append_document_end(b, &field);
  BSON_APPEND_DOCUMENT_BEGIN(b, "email", &field);
  BSON_APPEND_UTF8(&field, "$regex", "@x\\.org$");
  BSON_APPEND_UTF8(&field, "$options", "i");
  bson_append_document_end(b, &field);
  return v;
}

// Loads the data set into `db`: test.all (all types, validator, indexes of every kind),
// test.empty (options only), other.small.
void LoadDataSet(db::DatabaseImpl& db) {
  Document create;
  bson_t* c = create.mutable_bson();
  BSON_APPEND_UTF8(c, "create", "all");
  Document validator = TrickyValidator();
  BSON_APPEND_DOCUMENT(c, "validator", validator.bson());
  BSON_APPEND_UTF8(c, "validationLevel", "moderate");
  BSON_APPEND_UTF8(c, "validationAction", "error");
  RunCommand(db, create);
  std::vector<Document> docs = AllTypeDocuments();
  std::vector<DocumentView> views;
  for (const Document& d : docs) views.push_back(d.view());
  auto inserted = db.Insert("test.all", views, true);
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  ASSERT_EQ(inserted->inserted, 40)
      << (inserted->errors.empty() ? "" : inserted->errors[0].status.ToString());
  RunCommand(db, Json(R"({"createIndexes": "all", "indexes": [
      {"key": {"email": 1}, "name": "email_1", "unique": true},
      {"key": {"int32": -1, "string": 1}, "name": "compound"},
      {"key": {"expires": 1}, "name": "ttl", "expireAfterSeconds": 3600, "sparse": true},
      {"key": {"double": 1}, "name": "partial", "partialFilterExpression": {"bool": true}},
      {"key": {"array": 1}, "name": "hidden_multikey", "hidden": true}]})"));
  RunCommand(db, Json(R"({"create": "empty", "validator": {"$jsonSchema": {"required": ["name"],
      "properties": {"age": {"bsonType": "int", "minimum": 0}}}}, "validationAction": "warn"})"));
  RunCommand(
      db,
      Json(
          R"({"insert": "small", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}]})"),
      "other");
}

// Every collection, option, index and document (bytes, in order) of `a` equals `b`'s.
void ExpectSameContents(db::DatabaseImpl& a, db::DatabaseImpl& b) {
  auto snap_a = db::DatabaseSnapshot::Take(a);
  auto snap_b = db::DatabaseSnapshot::Take(b);
  ASSERT_TRUE(snap_a.ok() && snap_b.ok());
  ASSERT_EQ(snap_a->collections().size(), snap_b->collections().size());
  for (size_t i = 0; i < snap_a->collections().size(); ++i) {
    const engine::CollectionInfo& ca = *snap_a->collections()[i];
    const engine::CollectionInfo& cb = *snap_b->collections()[i];
    SCOPED_TRACE(ca.ns);
    EXPECT_EQ(ca.ns, cb.ns);
    EXPECT_TRUE(ca.options.view().BytesEqual(cb.options.view()))
        << ca.options.ToJson() << " vs " << cb.options.ToJson();
    auto ia = snap_a->IndexSpecs(ca);
    auto ib = snap_b->IndexSpecs(cb);
    ASSERT_TRUE(ia.ok() && ib.ok());
    ASSERT_EQ(ia->size(), ib->size());
    for (size_t k = 0; k < ia->size(); ++k) {
      EXPECT_TRUE((*ia)[k].view().BytesEqual((*ib)[k].view()))
          << (*ia)[k].ToJson() << " vs " << (*ib)[k].ToJson();
    }
    auto sa = snap_a->Stats(ca);
    auto sb = snap_b->Stats(cb);
    ASSERT_TRUE(sa.ok() && sb.ok());
    EXPECT_EQ(sa->count, sb->count);
    EXPECT_EQ(sa->data_bytes, sb->data_bytes);
    auto ra = snap_a->Records(ca);
    auto rb = snap_b->Records(cb);
    int64_t n = 0;
    for (; ra->Valid(); ra->Next(), rb->Next(), ++n) {
      ASSERT_TRUE(rb->Valid()) << "missing document " << n;
      ASSERT_EQ(ra->value(), rb->value()) << "document " << n << " differs";
    }
    EXPECT_FALSE(rb->Valid()) << "extra documents";
  }
  // The restored indexes hold every entry (validate re-derives them from the documents).
  for (const auto& collection : snap_b->collections()) {
    Document validate;
    std::string name(collection->collection_name());
    BSON_APPEND_UTF8(validate.mutable_bson(), "validate", name.c_str());
    Document reply = RunCommand(b, validate, std::string(collection->db_name()));
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init_find(&it, reply.bson(), "valid"));
    EXPECT_TRUE(bson_iter_bool(&it)) << reply.ToJson();
  }
}

struct Layout {
  const char* name;
  bool archive;
  Compression compression;
};

class RoundTripTest : public ::testing::TestWithParam<Layout> {};

TEST_P(RoundTripTest, EveryTypeIndexAndValidatorSurvives) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  LoadDataSet(*source);
  DumpOptions dump;
  dump.compression = GetParam().compression;
  dump.out_dir = dir.Sub("dump");
  if (GetParam().archive) dump.archive = dir.Sub("dump.archive");
  Progress progress = Quiet();
  auto dumped = Dump(*source, dump, progress);
  ASSERT_OK(dumped);
  ASSERT_EQ(dumped->size(), 3u);
  EXPECT_EQ((*dumped)[1].ns, "test.all");
  EXPECT_EQ((*dumped)[1].documents, 40);

  const std::string suffix(CompressionSuffix(GetParam().compression));
  if (GetParam().archive) {
    std::string bytes = FileBytes(*dump.archive);
    if (GetParam().compression == Compression::kNone) {
      EXPECT_EQ(bytes.substr(0, 4), std::string("\x6d\xe2\x99\x81", 4));
    } else if (GetParam().compression == Compression::kGzip) {
      EXPECT_EQ(bytes.substr(0, 2), std::string("\x1f\x8b", 2));
    }
  } else {
    EXPECT_TRUE(fs::exists(dir.Sub("dump/test/all.bson" + suffix)));
    EXPECT_TRUE(fs::exists(dir.Sub("dump/test/all.metadata.json" + suffix)));
    EXPECT_TRUE(fs::exists(dir.Sub("dump/test/empty.bson" + suffix)));
    EXPECT_TRUE(fs::exists(dir.Sub("dump/other/small.bson" + suffix)));
  }

  auto target = OpenDb(dir.Sub("target"));
  RestoreOptions restore;
  if (GetParam().archive) {
    restore.archive = *dump.archive;
  } else {
    restore.in_dir = dump.out_dir;
  }
  RestoreResult result = Restore(*target, restore, progress);
  ASSERT_OK(result.status);
  EXPECT_EQ(result.documents, 43);
  EXPECT_EQ(result.failed, 0);
  ExpectSameContents(*source, *target);
  // The validator still works after the restore: int32 must be int or long.
  auto rejected = target->Insert(
      "test.all", {Json(R"({"_id": 100, "int32": "x", "email": "a@x.org"})").view()}, true);
  ASSERT_OK(rejected);
  ASSERT_EQ(rejected->errors.size(), 1u);
  EXPECT_THAT(rejected->errors[0].status.message(), HasSubstr("Document failed validation"));
  ASSERT_OK(source->Close());
  ASSERT_OK(target->Close());
}

INSTANTIATE_TEST_SUITE_P(Layouts, RoundTripTest,
                         ::testing::Values(Layout{"directory", false, Compression::kNone},
                                           Layout{"directory_gzip", false, Compression::kGzip},
                                           Layout{"directory_zstd", false, Compression::kZstd},
                                           Layout{"archive", true, Compression::kNone},
                                           Layout{"archive_gzip", true, Compression::kGzip},
                                           Layout{"archive_zstd", true, Compression::kZstd}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DumpFormatTest, MetadataJsonHasMongodumpFields) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  LoadDataSet(*source);
  DumpOptions dump;
  dump.out_dir = dir.Sub("dump");
  Progress progress = Quiet();
  ASSERT_OK(Dump(*source, dump, progress));
  auto metadata = ParseMetadataJson(FileBytes(dir.Sub("dump/test/all.metadata.json")));
  ASSERT_OK(metadata);
  EXPECT_EQ(metadata->collection_name, "all");
  EXPECT_EQ(metadata->type, "collection");
  EXPECT_EQ(metadata->uuid.size(), 32u);
  ASSERT_EQ(metadata->indexes.size(), 6u);
  EXPECT_EQ(metadata->indexes[0].ToJson(), R"({"v": 2, "key": {"_id": 1}, "name": "_id_"})");
  EXPECT_EQ(metadata->indexes[1].ToJson(),
            R"({"v": 2, "key": {"email": 1}, "name": "email_1", "unique": true})");
  std::string options = metadata->options.ToJson();
  EXPECT_THAT(options, HasSubstr(R"("$type": ["int", "long"])"));
  EXPECT_THAT(options, HasSubstr(R"("validationLevel": "moderate")"));
  // Canonical Extended JSON, as mongodump writes it.
  EXPECT_THAT(FileBytes(dir.Sub("dump/test/all.metadata.json")),
              HasSubstr(R"("v": {"$numberInt": "2"})"));
  // The .bson file is the documents, concatenated, in _id order.
  std::string bson = FileBytes(dir.Sub("dump/other/small.bson"));
  std::string expected;
  for (int i = 1; i <= 3; ++i) {
    Document d = Json(R"({"_id": )" + std::to_string(i) + R"(, "a": )" + std::to_string(i) + "}");
    expected.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  EXPECT_EQ(bson, expected);
  ASSERT_OK(source->Close());
}

TEST(DumpFormatTest, GzipFilesAreStandardGzip) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  LoadDataSet(*source);
  DumpOptions dump;
  dump.out_dir = dir.Sub("dump");
  dump.compression = Compression::kGzip;
  Progress progress = Quiet();
  ASSERT_OK(Dump(*source, dump, progress));
  // Decompressed independently with zlib's gz* reader.
  gzFile gz = gzopen(dir.Sub("dump/other/small.bson.gz").c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  char buffer[4096];
  int n = gzread(gz, buffer, sizeof(buffer));
  gzclose(gz);
  ASSERT_EQ(n, 3 * 21);  // {_id: <int32>, a: <int32>} is 21 bytes
  ASSERT_OK(source->Close());
}

// An independent bitwise CRC-64/XZ (no table) to check the writer's CRC against.
uint64_t SlowCrc64(absl::string_view bytes) {
  uint64_t crc = ~uint64_t{0};
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) ? (crc >> 1) ^ 0xC96C5795D7870F42ULL : crc >> 1;
  }
  return ~crc;
}

TEST(ArchiveTest, Crc64IsGoCrc64Ecma) {
  EXPECT_EQ(Crc64(0, "123456789"), 0x995DC9BBDF1939FAULL);  // CRC-64/XZ check value
  EXPECT_EQ(Crc64(Crc64(0, "1234"), "56789"), 0x995DC9BBDF1939FAULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
  std::string bytes;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Crc64(0, bytes), SlowCrc64(bytes)) << i;
    bytes.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(ArchiveTest, WrittenLayoutMatchesTheSpecification) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  RunCommand(*source, Json(R"({"insert": "a", "documents": [{"_id": 1}, {"_id": 2}]})"));
  RunCommand(*source, Json(R"({"create": "b"})"));
  DumpOptions dump;
  dump.archive = dir.Sub("x.archive");
  Progress progress = Quiet();
  ASSERT_OK(Dump(*source, dump, progress));
  std::string bytes = FileBytes(*dump.archive);
  // Walk it by hand: magic, header, 2 prelude docs, terminator, a's segment + EOF, b's EOF.
  size_t p = 0;
  auto int32_at = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return static_cast<int32_t>(v);
  };
  auto next_doc = [&]() {
    int32_t length = int32_at(p);
    Document d =
        Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(bytes.data() + p), length));
    p += static_cast<size_t>(length);
    return d;
  };
  ASSERT_EQ(static_cast<uint32_t>(int32_at(0)), 0x8199e26du);
  p = 4;
  EXPECT_THAT(next_doc().ToJson(), HasSubstr(R"("concurrent_collections": 1, "version": "0.1")"));
  EXPECT_THAT(next_doc().ToJson(), HasSubstr(R"("db": "test", "collection": "a", "metadata": )"));
  EXPECT_THAT(next_doc().ToJson(), HasSubstr(R"("collection": "b")"));
  ASSERT_EQ(int32_at(p), -1);
  p += 4;
  EXPECT_EQ(next_doc().ToJson(), R"({"db": "test", "collection": "a", "EOF": false, "CRC": 0})");
  size_t data_begin = p;
  next_doc();
  next_doc();
  std::string data = bytes.substr(data_begin, p - data_begin);
  ASSERT_EQ(int32_at(p), -1);
  p += 4;
  Document eof = next_doc();
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init_find(&it, eof.bson(), "CRC"));
  EXPECT_EQ(static_cast<uint64_t>(bson_iter_int64(&it)), SlowCrc64(data));
  EXPECT_THAT(eof.ToJson(), HasSubstr(R"("EOF": true)"));
  ASSERT_EQ(int32_at(p), -1);
  p += 4;
  EXPECT_EQ(next_doc().ToJson(), R"({"db": "test", "collection": "b", "EOF": true, "CRC": 0})");
  ASSERT_EQ(int32_at(p), -1);
  EXPECT_EQ(p + 4, bytes.size());
  ASSERT_OK(source->Close());
}

TEST(ArchiveTest, DamagedDocumentFailsTheCrc) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  RunCommand(*source, Json(R"({"insert": "a", "documents": [{"_id": 1, "s": "abcdef"}]})"));
  DumpOptions dump;
  dump.archive = dir.Sub("x.archive");
  Progress progress = Quiet();
  ASSERT_OK(Dump(*source, dump, progress));
  ASSERT_OK(source->Close());
  std::string bytes = FileBytes(*dump.archive);
  size_t at = bytes.find("abcdef");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';  // still valid BSON, different bytes
  std::ofstream(*dump.archive, std::ios::binary) << bytes;
  auto target = OpenDb(dir.Sub("target"));
  RestoreOptions restore;
  restore.archive = *dump.archive;
  RestoreResult result = Restore(*target, restore, progress);
  EXPECT_THAT(result.status.message(), HasSubstr("CRC mismatch for test.a"));
  ASSERT_OK(target->Close());
}

// Writers keep inserting while the dump runs; the dump must show one instant: each writer's
// documents carry consecutive sequence numbers spread over two collections, so the dump must
// hold exactly a prefix 0..N-1 of every writer's sequence across both collections.
TEST(DumpSnapshotTest, DumpIsOneInstantWhileWritersRun) {
  TempDir dir;
  auto db = OpenDb(dir.Sub("source"));
  {
    // A large first collection makes the dump take long enough for writers to interleave.
    std::vector<Document> docs;
    std::vector<DocumentView> views;
    std::string padding(200, 'p');
    for (int i = 0; i < 20000; ++i) {
      Document d;
      BSON_APPEND_INT32(d.mutable_bson(), "_id", -1 - i);
      BSON_APPEND_UTF8(d.mutable_bson(), "pad", padding.c_str());
      docs.push_back(std::move(d));
    }
    for (const Document& d : docs) views.push_back(d.view());
    ASSERT_OK(db->Insert("test.a", views, true));
  }
  constexpr int kWriters = 3;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int64_t seq = 0; !stop.load(); ++seq) {
        Document d;
        BSON_APPEND_INT64(d.mutable_bson(), "_id", w * 1000000000LL + seq);
        BSON_APPEND_INT32(d.mutable_bson(), "writer", w);
        BSON_APPEND_INT64(d.mutable_bson(), "seq", seq);
        // Alternate collections: "b" sorts after "a", so a non-snapshot dump would see later
        // documents in b than in a.
        std::string ns = seq % 2 == 0 ? "test.a" : "test.b";
        auto r = db->Insert(ns, {d.view()}, true);
        if (!r.ok() || r->inserted != 1) {
          ADD_FAILURE() << "insert failed";
          return;
        }
        written.fetch_add(1);
      }
    });
  }
  while (written.load() < 500) std::this_thread::yield();
  DumpOptions dump;
  dump.out_dir = dir.Sub("dump");
  Progress progress = Quiet();
  auto dumped = Dump(*db, dump, progress);
  int64_t at_end = written.load();
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_OK(dumped);

  // Restore into a new directory and inspect the sequences.
  auto target = OpenDb(dir.Sub("target"));
  RestoreOptions restore;
  restore.in_dir = dump.out_dir;
  ASSERT_OK(Restore(*target, restore, progress).status);
  std::vector<std::set<int64_t>> seen(kWriters);
  {
    auto snapshot = db::DatabaseSnapshot::Take(*target);
    ASSERT_OK(snapshot);
    for (const auto& collection : snapshot->collections()) {
      for (auto it = snapshot->Records(*collection); it->Valid(); it->Next()) {
        Document d = Document::Copy(
            DocumentView(reinterpret_cast<const uint8_t*>(it->value().data()), it->value().size()));
        bson_iter_t field;
        if (!bson_iter_init_find(&field, d.bson(), "writer")) continue;
        int w = bson_iter_int32(&field);
        ASSERT_TRUE(bson_iter_init_find(&field, d.bson(), "seq"));
        seen[static_cast<size_t>(w)].insert(bson_iter_int64(&field));
      }
    }
  }  // the snapshot is released before Close
  int64_t total = 0;
  for (int w = 0; w < kWriters; ++w) {
    SCOPED_TRACE(w);
    if (seen[static_cast<size_t>(w)].empty()) continue;
    // A prefix: 0..max with nothing missing.
    EXPECT_EQ(*seen[static_cast<size_t>(w)].begin(), 0);
    EXPECT_EQ(*seen[static_cast<size_t>(w)].rbegin() + 1,
              static_cast<int64_t>(seen[static_cast<size_t>(w)].size()))
        << "the dump mixes instants: writer " << w << " has gaps";
    total += static_cast<int64_t>(seen[static_cast<size_t>(w)].size());
  }
  EXPECT_GE(total, 500);
  EXPECT_LE(total, at_end);
  ASSERT_OK(db->Close());
  ASSERT_OK(target->Close());
}

TEST(DumpFilterTest, DatabaseCollectionAndQuery) {
  TempDir dir;
  auto source = OpenDb(dir.Sub("source"));
  LoadDataSet(*source);
  DumpOptions dump;
  dump.out_dir = dir.Sub("dump");
  dump.database = "other";
  dump.collection = "small";
  dump.query = Json(R"({"a": {"$gte": 2}})");
  Progress progress = Quiet();
  auto dumped = Dump(*source, dump, progress);
  ASSERT_OK(dumped);
  ASSERT_EQ(dumped->size(), 1u);
  EXPECT_EQ((*dumped)[0].documents, 2);
  EXPECT_FALSE(fs::exists(dir.Sub("dump/test")));
  dump.query = Json(R"({"a": {"$bogus": 1}})");
  EXPECT_THAT(Dump(*source, dump, progress),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--query")));
  ASSERT_OK(source->Close());
}

// --- MongoDB's own mongodump output ---

struct Restored {
  std::unique_ptr<db::DatabaseImpl> db;
  RestoreResult result;
};

Restored RestoreInto(const std::string& path, RestoreOptions options) {
  Restored r;
  r.db = OpenDb(path);
  Progress progress = Quiet();
  r.result = Restore(*r.db, options, progress);
  return r;
}

std::string FindAll(db::DatabaseImpl& db, const std::string& db_name, const std::string& coll) {
  Document find;
  BSON_APPEND_UTF8(find.mutable_bson(), "find", coll.c_str());
  return RunCommand(db, find, db_name).ToJson();
}

std::string IndexesOf(db::DatabaseImpl& db, const std::string& ns) {
  auto indexes = db.ListIndexes(ns);
  std::string out;
  if (!indexes.ok()) return indexes.status().ToString();
  for (const Document& d : *indexes) out += d.ToJson() + "\n";
  return out;
}

TEST(MongodumpCompatibilityTest, DirectoryWithIndexes) {
  TempDir dir;
  RestoreOptions options;
  options.in_dir = kData + "/dump/coll_with_ttl_index";
  Restored r = RestoreInto(dir.Sub("db"), options);
  ASSERT_OK(r.result.status);
  ASSERT_EQ(r.result.collections.size(), 1u);
  EXPECT_EQ(r.result.collections[0].ns, "test.foo");
  EXPECT_EQ(r.result.collections[0].documents, 1);
  EXPECT_EQ(r.result.collections[0].indexes, 1);
  EXPECT_THAT(
      IndexesOf(*r.db, "test.foo"),
      HasSubstr(R"({"v": 2, "key": {"f": 1.0}, "name": "f_1", "expireAfterSeconds": 1000})"));
  ASSERT_OK(r.db->Close());
}

TEST(MongodumpCompatibilityTest, EscapedNamesAndOddFiles) {
  TempDir dir;
  RestoreOptions options;
  options.in_dir = kData + "/dump/specialcharacter";
  Restored r = RestoreInto(dir.Sub("db"), options);
  ASSERT_OK(r.result.status);
  ASSERT_EQ(r.result.collections.size(), 1u);
  EXPECT_EQ(r.result.collections[0].ns, "db1.cafés");
  EXPECT_EQ(r.result.collections[0].documents, 1);
  ASSERT_OK(r.db->Close());

  TempDir dir2;
  options.in_dir = kData + "/dump/testdirs";
  Restored odd = RestoreInto(dir2.Sub("db"), options);
  ASSERT_OK(odd.result.status);  // .txt/.bin files, a nested directory and oplog.bson skipped
  std::map<std::string, int64_t> counts;
  for (const auto& c : odd.result.collections) counts[c.ns] = c.documents;
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{
                        {"db1.c1", 100}, {"db1.c2", 0}, {"db1.c3", 0}, {"db1.c4", 10}}));
  ASSERT_OK(odd.db->Close());
}

TEST(MongodumpCompatibilityTest, Archives) {
  TempDir dir;
  RestoreOptions options;
  options.archive = kData + "/dump/dump-w-oplog.archive";
  Restored r = RestoreInto(dir.Sub("a"), options);
  ASSERT_OK(r.result.status);  // the oplog and admin.system.version are skipped
  ASSERT_EQ(r.result.collections.size(), 1u);
  EXPECT_EQ(r.result.collections[0].ns, "test.foo");
  EXPECT_EQ(r.result.collections[0].documents, 25);
  ASSERT_OK(r.db->Close());

  options.archive = kData + "/dump/test.bar.archive";
  Restored bar = RestoreInto(dir.Sub("b"), options);
  ASSERT_OK(bar.result.status);
  ASSERT_EQ(bar.result.collections.size(), 1u);
  EXPECT_EQ(bar.result.collections[0].ns, "test.bar");
  EXPECT_EQ(bar.result.collections[0].documents, 1);
  ASSERT_OK(bar.db->Close());

  options.archive = kData + "/dump/bad-format.archive";
  Restored bad = RestoreInto(dir.Sub("c"), options);
  EXPECT_FALSE(bad.result.status.ok());
  ASSERT_OK(bad.db->Close());
}

// --- corrupt input ---

std::string MakeDumpWithBson(const TempDir& dir, const std::string& bytes) {
  fs::create_directories(dir.Sub("in/t"));
  std::ofstream(dir.Sub("in/t/c.bson"), std::ios::binary) << bytes;
  return dir.Sub("in");
}

TEST(CorruptInputTest, TruncatedFileKeepsEveryCompleteDocument) {
  TempDir dir;
  RestoreOptions options;
  options.in_dir = MakeDumpWithBson(dir, FileBytes(kData + "/bsondump/partial_file.bson"));
  Restored r = RestoreInto(dir.Sub("db"), options);
  EXPECT_THAT(r.result.status.message(),
              HasSubstr("c.bson: at byte offset 164: truncated document: its length is 48 bytes "
                        "but the file ends after 13"));
  EXPECT_EQ(r.result.documents, 2);
  EXPECT_THAT(FindAll(*r.db, "t", "c"), HasSubstr("firstBatch"));
  auto count = r.db->Count("t.c", DocumentView(), 0, 0);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2);
  ASSERT_OK(r.db->Close());
}

TEST(CorruptInputTest, BadDocumentsNameOffsetAndReason) {
  const std::string sample = FileBytes(kData + "/bsondump/sample.bson");  // 4 good documents
  struct Case {
    std::string bytes;
    int64_t restored;
    std::string message;
  } cases[] = {
      {FileBytes(kData + "/bsondump/bad_type.bson"), 0,
       "at byte offset 0: invalid BSON: unknown BSON type 0xaa"},
      {FileBytes(kData + "/bsondump/random_bytes.bson"), 0,
       "at byte offset 0: document length 1625369376 exceeds"},
      {sample + FileBytes(kData + "/bsondump/bad_cstring.bson"), 4,
       "at byte offset 283: invalid BSON"},
      {sample + std::string("\x03\x00\x00\x00", 4), 4,
       "at byte offset 283: invalid document length 3"},
      {sample + "ab", 4, "at byte offset 283: truncated document: only 2 bytes left"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    TempDir dir;
    RestoreOptions options;
    options.in_dir = MakeDumpWithBson(dir, c.bytes);
    Restored r = RestoreInto(dir.Sub("db"), options);
    EXPECT_EQ(r.result.status.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(r.result.status.message(), HasSubstr(c.message));
    EXPECT_EQ(r.result.documents, c.restored);
    ASSERT_OK(r.db->Close());
  }
}

// --- namespace rules, --drop, errors ---

std::string DumpDataSet(const TempDir& dir) {
  auto source = OpenDb(dir.Sub("source"));
  LoadDataSet(*source);
  DumpOptions dump;
  dump.out_dir = dir.Sub("dump");
  Progress progress = Quiet();
  EXPECT_OK(Dump(*source, dump, progress));
  EXPECT_OK(source->Close());
  return dump.out_dir;
}

TEST(NamespaceRulesTest, IncludeExcludeAndRename) {
  TempDir dir;
  std::string dump = DumpDataSet(dir);
  RestoreOptions options;
  options.in_dir = dump;
  options.ns_include = {"test.*"};
  options.ns_exclude = {"*.empty"};
  options.ns_from = {"test.$name$"};
  options.ns_to = {"copy.$name$_restored"};
  Restored r = RestoreInto(dir.Sub("db"), options);
  ASSERT_OK(r.result.status);
  ASSERT_EQ(r.result.collections.size(), 1u);
  EXPECT_EQ(r.result.collections[0].source_ns, "test.all");
  EXPECT_EQ(r.result.collections[0].ns, "copy.all_restored");
  EXPECT_EQ(r.result.collections[0].documents, 40);
  EXPECT_EQ(r.result.collections[0].indexes, 5);
  EXPECT_EQ(r.db->catalog().Find("test.all"), nullptr);
  ASSERT_OK(r.db->Close());

  options.ns_to = {"copy.$other$"};
  Restored bad = RestoreInto(dir.Sub("db2"), options);
  EXPECT_THAT(bad.result.status.message(), HasSubstr("$other$"));
  ASSERT_OK(bad.db->Close());
}

TEST(RestoreErrorsTest, DuplicatesContinueUnlessStopOnErrorAndDropReplaces) {
  TempDir dir;
  std::string dump = DumpDataSet(dir);
  auto db = OpenDb(dir.Sub("db"));
  Progress progress = Quiet();
  RestoreOptions options;
  options.in_dir = dump;
  options.ns_include = {"other.small"};
  ASSERT_OK(Restore(*db, options, progress).status);
  RunCommand(*db, Json(R"({"insert": "small", "documents": [{"_id": 4}]})"), "other");
  // Again without --drop: every document is a duplicate _id; the restore goes on.
  RestoreResult again = Restore(*db, options, progress);
  ASSERT_OK(again.status);
  EXPECT_EQ(again.failed, 3);
  EXPECT_EQ(again.documents, 0);
  // --stopOnError stops at the first.
  options.stop_on_error = true;
  options.maintain_insertion_order = true;
  RestoreResult stopped = Restore(*db, options, progress);
  EXPECT_THAT(stopped.status.message(), HasSubstr("--stopOnError"));
  EXPECT_EQ(stopped.failed, 1);
  // --drop: the collection is replaced (the extra document is gone).
  options.stop_on_error = false;
  options.drop = true;
  RestoreResult dropped = Restore(*db, options, progress);
  ASSERT_OK(dropped.status);
  EXPECT_EQ(dropped.documents, 3);
  auto count = db->Count("other.small", DocumentView(), 0, 0);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 3);
  ASSERT_OK(db->Close());
}

TEST(RestoreErrorsTest, NoIndexRestoreAndNoOptionsRestore) {
  TempDir dir;
  std::string dump = DumpDataSet(dir);
  RestoreOptions options;
  options.in_dir = dump;
  options.ns_include = {"test.all"};
  options.no_index_restore = true;
  options.no_options_restore = true;
  Restored r = RestoreInto(dir.Sub("db"), options);
  ASSERT_OK(r.result.status);
  EXPECT_EQ(r.result.collections[0].indexes, 0);
  auto indexes = r.db->ListIndexes("test.all");
  ASSERT_OK(indexes);
  EXPECT_EQ(indexes->size(), 1u);
  EXPECT_TRUE(r.db->catalog().Find("test.all")->options.view().empty());
  ASSERT_OK(r.db->Close());
}

// DatabaseImpl::BulkInsert, restore's load path: Insert's results in one write batch.
TEST(BulkInsertTest, SameErrorsAsInsert) {
  TempDir dir;
  auto db = OpenDb(dir.Sub("db"));
  RunCommand(*db, Json(R"({"create": "v", "validator": {"a": {"$type": "int"}}})"));
  std::vector<Document> docs;
  for (const char* json : {R"({"_id": 1, "a": 1})", R"({"_id": 1, "a": 2})",
                           R"({"_id": 2, "a": "x"})", R"({"a": 3})", R"({"_id": 4, "a": 4})"}) {
    docs.push_back(Json(json));
  }
  std::vector<DocumentView> views;
  for (const Document& d : docs) views.push_back(d.view());
  auto unordered = db->BulkInsert("test.v", views, /*ordered=*/false);
  ASSERT_OK(unordered);
  EXPECT_EQ(unordered->inserted, 3);  // _id 1, the generated one, _id 4
  ASSERT_EQ(unordered->errors.size(), 2u);
  EXPECT_EQ(unordered->errors[0].index, 1);
  EXPECT_THAT(unordered->errors[0].status.message(), HasSubstr("E11000 duplicate key error"));
  EXPECT_EQ(unordered->errors[1].index, 2);
  EXPECT_THAT(unordered->errors[1].status.message(), HasSubstr("Document failed validation"));
  // Against stored documents, ordered: stops at the first failure.
  auto ordered = db->BulkInsert(
      "test.v",
      {Json(R"({"_id": 5, "a": 5})").view(), docs[4].view(), Json(R"({"_id": 6, "a": 6})").view()},
      /*ordered=*/true);
  ASSERT_OK(ordered);
  EXPECT_EQ(ordered->inserted, 1);
  ASSERT_EQ(ordered->errors.size(), 1u);
  EXPECT_EQ(ordered->errors[0].index, 1);
  auto count = db->Count("test.v", DocumentView(), 0, 0);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 4);
  // The statistics follow (collStats count and size).
  auto snapshot = db::DatabaseSnapshot::Take(*db);
  ASSERT_OK(snapshot);
  auto stats = snapshot->Stats(*snapshot->collections()[0]);
  ASSERT_OK(stats);
  EXPECT_EQ(stats->count, 4);
  // With a secondary index it is Insert (index entries kept).
  RunCommand(
      *db,
      Json(
          R"({"createIndexes": "v", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})"));
  auto indexed = db->BulkInsert("test.v", {Json(R"({"_id": 7, "a": 1})").view()}, true);
  ASSERT_OK(indexed);
  ASSERT_EQ(indexed->errors.size(), 1u);
  EXPECT_THAT(indexed->errors[0].status.message(), HasSubstr("index: a_1 dup key"));
}

TEST(MetadataTest, OperatorKeysSurviveTheJsonReader) {
  auto parsed = ParseJsonKeepingOperators(
      R"({"a": {"$type": ["int", "string"]}, "b": {"$regex": "^x", "$options": "i"},
          "c": {"$binary": "AQID", "$type": "00"}, "d": {"$in": [1]}})");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->ToJson(),
            R"({"a": {"$type": ["int", "string"]}, "b": {"$regex": "^x", "$options": "i"}, )"
            R"("c": {"$binary": {"base64": "AQID", "subType": "00"}}, "d": {"$in": [1]}})");
  EXPECT_OK(ParseMetadataJson(""));
  EXPECT_THAT(ParseMetadataJson("{\"indexes\": 5}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("indexes")));
}

TEST(EscapeTest, CollectionNamesAsMongodump) {
  EXPECT_EQ(EscapeCollectionName("cafés"), "caf%C3%A9s");
  EXPECT_EQ(EscapeCollectionName("a/b c$d"), "a%2Fb%20c$d");
  EXPECT_EQ(UnescapeCollectionName("caf%C3%A9s"), "cafés");
  EXPECT_EQ(UnescapeCollectionName("bad%G1"), std::nullopt);
}

TEST(ProgressTest, PlainLinesWithoutATerminal) {
  TempDir dir;
  std::FILE* out = std::fopen(dir.Sub("log").c_str(), "w");
  ASSERT_NE(out, nullptr);
  Progress progress(out, /*terminal=*/false);
  progress.Begin("test.c", 10, 1000);
  progress.Add(5, 500);
  progress.End("done dumping test.c (10 documents, 0.0 MB)");
  Progress bar(out, /*terminal=*/true);
  bar.Begin("test.d", 10, 1000);
  absl::SleepFor(absl::Milliseconds(120));
  bar.Add(5, 500);  // draws: more than 100 ms since Begin
  bar.End("done");
  std::fclose(out);
  std::string log = FileBytes(dir.Sub("log"));
  EXPECT_THAT(log, HasSubstr("done dumping test.c (10 documents, 0.0 MB)\n"));
  EXPECT_THAT(log, HasSubstr("test.d  [##########..........]  50.0%  5/10 docs  0.0/0.0 MB"));
  EXPECT_THAT(log, HasSubstr("ETA "));
}

// --- the CLI, as a subprocess ---

TEST(DumpCliTest, DumpAndRestoreThroughTheCommandLine) {
  TempDir dir;
  const std::string cli = STRATA_CLI_PATH;
  auto insert = ::strata::testing::RunProcess(
      {cli, "--db", dir.Sub("a"), "run"},
      R"({"insert": "c", "documents": [{"_id": 1, "x": "one"}, {"_id": 2, "x": "two"}]})"
      "\n"
      R"({"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1", "unique": true}]})"
      "\n");
  ASSERT_EQ(insert.exit_code, 0) << insert.stderr_text;
  auto dumped = ::strata::testing::RunProcess(
      {cli, "dump", "--db", dir.Sub("a"), "--archive=" + dir.Sub("x.agz"), "--gzip"});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.stderr_text;
  EXPECT_THAT(dumped.stderr_text, HasSubstr("done dumping test.c (2 documents"));
  auto restored = ::strata::testing::RunProcess(
      {cli, "restore", "--db", dir.Sub("b"), "--archive=" + dir.Sub("x.agz"), "--gzip"});
  ASSERT_EQ(restored.exit_code, 0) << restored.stderr_text;
  EXPECT_THAT(restored.stderr_text, HasSubstr("restored test.c: 2 documents"));
  EXPECT_THAT(restored.stderr_text,
              HasSubstr("2 document(s) restored successfully. 0 document(s) failed"));
  auto found =
      ::strata::testing::RunProcess({cli, "--db", dir.Sub("b"), "run"}, R"({"listIndexes": "c"})"
                                                                        "\n"
                                                                        R"({"find": "c"})"
                                                                        "\n");
  EXPECT_THAT(found.stdout_text, HasSubstr(R"("name": "x_1", "unique": true)"));
  EXPECT_THAT(found.stdout_text, HasSubstr(R"({"_id": 2, "x": "two"})"));

  // Directory layout through stdout-free paths, and a corrupt file's exit status and message.
  fs::create_directories(dir.Sub("broken/t"));
  fs::copy_file(kData + "/bsondump/partial_file.bson", dir.Sub("broken/t/c.bson"));
  auto broken = ::strata::testing::RunProcess(
      {cli, "restore", "--db", dir.Sub("c"), "--in", dir.Sub("broken")});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.stderr_text, HasSubstr("c.bson: at byte offset 164: truncated document"));
  EXPECT_THAT(broken.stderr_text, HasSubstr("2 document(s) restored successfully"));

  auto usage = ::strata::testing::RunProcess({cli, "restore", "--db", dir.Sub("c")});
  EXPECT_EQ(usage.exit_code, 2);
  auto archive_stdout =
      ::strata::testing::RunProcess({cli, "dump", "--db", dir.Sub("a"), "--archive", "--quiet"});
  ASSERT_EQ(archive_stdout.exit_code, 0);
  EXPECT_EQ(archive_stdout.stdout_text.substr(0, 4), std::string("\x6d\xe2\x99\x81", 4));
}

// STRATA_KILL_POINT for the subprocesses started while it lives (base/kill_point.h).
class ScopedKillPoint {
 public:
  explicit ScopedKillPoint(const std::string& value) {
    setenv("STRATA_KILL_POINT", value.c_str(), 1);
  }
  ~ScopedKillPoint() { unsetenv("STRATA_KILL_POINT"); }
};

// Every file under `dir`, by path relative to it, with its bytes.
std::map<std::string, std::string> FilesUnder(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), dir).string()] =
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

// Inserts `n` documents {_id: i, x: i % 97, s: "…"} into test.<coll> through the CLI.
void LoadThroughCli(const std::string& db, const std::string& coll, int n) {
  std::string commands;
  for (int begin = 0; begin < n; begin += 1000) {
    commands += R"({"insert": ")" + coll + R"(", "documents": [)";
    for (int i = begin; i < std::min(n, begin + 1000); ++i) {
      if (i > begin) commands += ",";
      commands += R"({"_id": )" + std::to_string(i) + R"(, "x": )" + std::to_string(i % 97) +
                  R"(, "s": "some text to make the document longer"})";
    }
    commands += "]}\n";
  }
  auto loaded = ::strata::testing::RunProcess({STRATA_CLI_PATH, "--db", db, "run"}, commands);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.stderr_text;
}

// A dump killed just before it renames a finished file into place (dump.before_rename) leaves
// `.partial` files and files that are whole, never a truncated file under a final name; a
// dump run again afterwards completes over it.
TEST(DumpCliTest, KilledDumpLeavesNoFileThatLooksWhole) {
  TempDir dir;
  const std::string cli = STRATA_CLI_PATH;
  LoadThroughCli(dir.Sub("db"), "c", 3000);
  LoadThroughCli(dir.Sub("db"), "d", 500);
  auto reference = ::strata::testing::RunProcess(
      {cli, "dump", "--db", dir.Sub("db"), "--out", dir.Sub("reference"), "--quiet"});
  ASSERT_EQ(reference.exit_code, 0) << reference.stderr_text;
  const auto whole = FilesUnder(dir.Sub("reference"));
  ASSERT_EQ(whole.size(), 4u);  // test/{c,d}.{bson,metadata.json}
  for (int nth = 1; nth <= 4; ++nth) {
    SCOPED_TRACE("killed before rename #" + std::to_string(nth));
    const std::string out = dir.Sub("killed" + std::to_string(nth));
    {
      ScopedKillPoint kill("dump.before_rename:" + std::to_string(nth));
      auto killed =
          ::strata::testing::RunProcess({cli, "dump", "--db", dir.Sub("db"), "--out", out});
      ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.stderr_text;
    }
    int partial = 0, final_files = 0;
    for (const auto& [name, bytes] : FilesUnder(out)) {
      if (name.ends_with(".partial")) {
        ++partial;
        continue;
      }
      ++final_files;
      ASSERT_TRUE(whole.contains(name)) << name;
      EXPECT_EQ(bytes, whole.at(name)) << name << " is under its final name but not whole";
    }
    EXPECT_EQ(partial, 1);
    EXPECT_EQ(final_files, nth - 1);
    auto again = ::strata::testing::RunProcess({cli, "dump", "--db", dir.Sub("db"), "--out", out});
    ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
    for (const auto& [name, bytes] : whole) EXPECT_EQ(FilesUnder(out)[name], bytes) << name;
  }
  // An archive file too: absent under its name until it is whole.
  {
    ScopedKillPoint kill("dump.before_rename:1");
    auto killed = ::strata::testing::RunProcess(
        {cli, "dump", "--db", dir.Sub("db"), "--archive=" + dir.Sub("a.archive")});
    ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.stderr_text;
  }
  EXPECT_FALSE(fs::exists(dir.Sub("a.archive")));
  EXPECT_TRUE(fs::exists(dir.Sub("a.archive.partial")));
  // A dump that cannot write a file fails and publishes nothing under that name.
  fs::create_directories(dir.Sub("blocked/test/c.bson.partial/x"));
  auto failed = ::strata::testing::RunProcess(
      {cli, "dump", "--db", dir.Sub("db"), "--out", dir.Sub("blocked"), "--quiet"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir.Sub("blocked/test/c.bson")));
}

// A restore killed after its second batch of documents (restore.after_batch) leaves exactly
// the whole batches written so far and none of the collection's secondary indexes (they are
// built after the documents), and the directory validates clean.
TEST(DumpCliTest, KilledRestoreLeavesWholeBatchesAndNoHalfBuiltIndex) {
  TempDir dir;
  const std::string cli = STRATA_CLI_PATH;
  LoadThroughCli(dir.Sub("db"), "c", 25000);
  auto indexed = ::strata::testing::RunProcess(
      {cli, "--db", dir.Sub("db"), "run"},
      R"({"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1"}]})"
      "\n");
  ASSERT_EQ(indexed.exit_code, 0) << indexed.stderr_text;
  auto dumped = ::strata::testing::RunProcess(
      {cli, "dump", "--db", dir.Sub("db"), "--out", dir.Sub("dump"), "--quiet"});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.stderr_text;
  {
    ScopedKillPoint kill("restore.after_batch:2");
    auto killed = ::strata::testing::RunProcess(
        {cli, "restore", "--db", dir.Sub("restored"), "--in", dir.Sub("dump")});
    ASSERT_EQ(killed.exit_code, -SIGKILL) << killed.stderr_text;
  }
  auto found = ::strata::testing::RunProcess({cli, "--db", dir.Sub("restored"), "run"},
                                             R"({"count": "c"})"
                                             "\n"
                                             R"({"listIndexes": "c"})"
                                             "\n"
                                             R"({"validate": "c"})"
                                             "\n");
  ASSERT_EQ(found.exit_code, 0) << found.stderr_text;
  EXPECT_THAT(found.stdout_text, HasSubstr(R"("n": 20000)"));  // two batches of 10000
  EXPECT_THAT(found.stdout_text, HasSubstr(R"("name": "_id_")"));
  EXPECT_THAT(found.stdout_text, ::testing::Not(HasSubstr("x_1")));
  EXPECT_THAT(found.stdout_text, HasSubstr(R"("valid": true)"));
}

}  // namespace
}  // namespace strata::tools::dump
