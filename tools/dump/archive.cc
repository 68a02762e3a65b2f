#include "tools/dump/archive.h"

#include <array>
#include <bit>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"

namespace strata::tools::dump {
namespace {

constexpr absl::string_view kTerminator("\xff\xff\xff\xff", 4);

// Slicing-by-8 tables: table[0] is the classic byte table; table[k][b] is the CRC of byte b
// followed by k zero bytes, so 8 input bytes are folded per step.
using CrcTables = std::array<std::array<uint64_t, 256>, 8>;

CrcTables MakeCrcTables() {
  constexpr uint64_t kPolynomial = 0xC96C5795D7870F42ULL;  // ECMA-182, reflected
  CrcTables tables{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
    tables[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t i = 0; i < 256; ++i) {
      tables[k][i] = tables[0][tables[k - 1][i] & 0xff] ^ (tables[k - 1][i] >> 8);
    }
  }
  return tables;
}

std::string NsKey(absl::string_view db, absl::string_view collection) {
  return absl::StrCat(db, absl::string_view("\0", 1), collection);
}

absl::string_view View(const Document& doc) {
  return absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size());
}

// The string field `name` of `doc`, or nullopt.
std::optional<std::string> StringField(DocumentView doc, const char* name) {
  bson_t b;
  bson_iter_t it;
  if (!doc.AsBson(&b) || !bson_iter_init_find(&it, &b, name) || !BSON_ITER_HOLDS_UTF8(&it)) {
    return std::nullopt;
  }
  uint32_t length = 0;
  const char* text = bson_iter_utf8(&it, &length);
  return std::string(text, length);
}

}  // namespace

uint64_t Crc64(uint64_t crc, absl::string_view bytes) {
  static const CrcTables t = MakeCrcTables();
  crc = ~crc;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word = 0;
    static_assert(std::endian::native == std::endian::little, "slicing-by-8 assumes it");
    std::memcpy(&word, p, 8);
    crc ^= word;
    crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^
          t[4][(crc >> 24) & 0xff] ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^
          t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
  }
  for (; n > 0; --n, ++p) crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return ~crc;
}

absl::Status ArchiveWriter::WriteHeader(const std::vector<ArchivePreludeEntry>& prelude,
                                        absl::string_view server_version,
                                        absl::string_view tool_version) {
  const char magic[4] = {static_cast<char>(kArchiveMagic & 0xff),
                         static_cast<char>((kArchiveMagic >> 8) & 0xff),
                         static_cast<char>((kArchiveMagic >> 16) & 0xff),
                         static_cast<char>((kArchiveMagic >> 24) & 0xff)};
  if (absl::Status s = sink_->Write(absl::string_view(magic, 4)); !s.ok()) return s;
  Document header;
  bson_t* h = header.mutable_bson();
  BSON_APPEND_INT32(h, "concurrent_collections", 1);
  BSON_APPEND_UTF8(h, "version", "0.1");
  bson_append_utf8(h, "server_version", -1, server_version.data(),
                   static_cast<int>(server_version.size()));
  bson_append_utf8(h, "tool_version", -1, tool_version.data(),
                   static_cast<int>(tool_version.size()));
  if (absl::Status s = sink_->Write(View(header)); !s.ok()) return s;
  for (const ArchivePreludeEntry& entry : prelude) {
    Document doc;
    bson_t* b = doc.mutable_bson();
    bson_append_utf8(b, "db", -1, entry.db.data(), static_cast<int>(entry.db.size()));
    bson_append_utf8(b, "collection", -1, entry.collection.data(),
                     static_cast<int>(entry.collection.size()));
    bson_append_utf8(b, "metadata", -1, entry.metadata.data(),
                     static_cast<int>(entry.metadata.size()));
    // mongodump writes an int32 here; larger collections need int64 (readers take both).
    if (entry.size <= INT32_MAX) {
      BSON_APPEND_INT32(b, "size", static_cast<int32_t>(entry.size));
    } else {
      BSON_APPEND_INT64(b, "size", entry.size);
    }
    if (absl::Status s = sink_->Write(View(doc)); !s.ok()) return s;
  }
  return sink_->Write(kTerminator);
}

absl::Status ArchiveWriter::WriteNamespaceHeader(absl::string_view db, absl::string_view collection,
                                                 bool eof, uint64_t crc) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_utf8(b, "db", -1, db.data(), static_cast<int>(db.size()));
  bson_append_utf8(b, "collection", -1, collection.data(), static_cast<int>(collection.size()));
  BSON_APPEND_BOOL(b, "EOF", eof);
  BSON_APPEND_INT64(b, "CRC", static_cast<int64_t>(crc));
  return sink_->Write(View(doc));
}

absl::Status ArchiveWriter::WriteDocument(absl::string_view db, absl::string_view collection,
                                          DocumentView document) {
  std::string key = NsKey(db, collection);
  if (open_ns_ != key) {
    if (!open_ns_.empty()) {
      if (absl::Status s = sink_->Write(kTerminator); !s.ok()) return s;
    }
    if (absl::Status s = WriteNamespaceHeader(db, collection, false, 0); !s.ok()) return s;
    open_ns_ = key;
  }
  absl::string_view bytes(reinterpret_cast<const char*>(document.data()), document.size());
  uint64_t& crc = crc_[key];
  crc = Crc64(crc, bytes);
  return sink_->Write(bytes);
}

absl::Status ArchiveWriter::EndNamespace(absl::string_view db, absl::string_view collection) {
  std::string key = NsKey(db, collection);
  if (open_ns_ == key) {
    if (absl::Status s = sink_->Write(kTerminator); !s.ok()) return s;
    open_ns_.clear();
  }
  auto it = crc_.find(key);
  uint64_t crc = it == crc_.end() ? 0 : it->second;
  if (absl::Status s = WriteNamespaceHeader(db, collection, true, crc); !s.ok()) return s;
  return sink_->Write(kTerminator);
}

absl::StatusOr<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(
    std::unique_ptr<ByteSource> source, std::string name) {
  auto stream = std::make_unique<BsonStream>(std::move(source), name);
  char magic[4];
  if (absl::Status s = stream->ReadRaw(magic, 4); !s.ok()) {
    return absl::DataLossError(absl::StrCat(name, ": not a mongodump archive (too short)"));
  }
  uint32_t value = static_cast<uint8_t>(magic[0]) | (static_cast<uint8_t>(magic[1]) << 8) |
                   (static_cast<uint8_t>(magic[2]) << 16) |
                   (static_cast<uint32_t>(static_cast<uint8_t>(magic[3])) << 24);
  if (value != kArchiveMagic) {
    return absl::DataLossError(absl::StrCat(
        name, ": not a mongodump archive (wrong magic number; compressed? use --gzip)"));
  }
  std::unique_ptr<ArchiveReader> reader(new ArchiveReader(std::move(stream)));
  BsonStream& in = *reader->stream_;
  auto item = in.Next();
  if (!item.ok()) return item.status();
  if (*item != BsonStream::Item::kDocument) {
    return absl::DataLossError(absl::StrCat(name, ": archive ends before its header"));
  }
  reader->header_ = Document::Copy(in.document());
  while (true) {
    item = in.Next(/*terminator_allowed=*/true);
    if (!item.ok()) return item.status();
    if (*item == BsonStream::Item::kTerminator) break;
    if (*item == BsonStream::Item::kEnd) {
      return absl::DataLossError(absl::StrCat(name, ": archive ends inside its prelude"));
    }
    DocumentView doc = in.document();
    ArchivePreludeEntry entry;
    auto db = StringField(doc, "db");
    auto collection = StringField(doc, "collection");
    auto metadata = StringField(doc, "metadata");
    if (!db || !collection) {
      return absl::DataLossError(absl::StrCat(name, ": at byte offset ", in.item_offset(),
                                              ": prelude entry without db/collection"));
    }
    entry.db = *db;
    entry.collection = *collection;
    entry.metadata = metadata.value_or("");
    bson_t b;
    bson_iter_t it;
    if (doc.AsBson(&b) && bson_iter_init_find(&it, &b, "size") && BSON_ITER_HOLDS_NUMBER(&it)) {
      entry.size = bson_iter_as_int64(&it);
    }
    reader->prelude_.push_back(std::move(entry));
  }
  return reader;
}

absl::StatusOr<ArchiveReader::Event> ArchiveReader::Next() {
  BsonStream& in = *stream_;
  while (true) {
    auto item = in.Next(/*terminator_allowed=*/true);
    if (!item.ok()) return item.status();
    Event event;
    event.offset = in.item_offset();
    if (in_segment_) {
      if (*item == BsonStream::Item::kEnd) {
        return absl::DataLossError(absl::StrCat(in.name(), ": at byte offset ", in.offset(),
                                                ": archive ends inside a segment of ", db_, ".",
                                                collection_));
      }
      if (*item == BsonStream::Item::kTerminator) {
        in_segment_ = false;
        continue;
      }
      event.kind = Event::kDocument;
      event.db = db_;
      event.collection = collection_;
      event.document = in.document();
      uint64_t& crc = crc_[NsKey(db_, collection_)];
      crc = Crc64(crc, absl::string_view(reinterpret_cast<const char*>(event.document.data()),
                                         event.document.size()));
      return event;
    }
    if (*item == BsonStream::Item::kEnd) {
      event.kind = Event::kEnd;
      return event;
    }
    if (*item == BsonStream::Item::kTerminator) {
      return absl::DataLossError(
          absl::StrCat(in.name(), ": at byte offset ", event.offset,
                       ": terminator where a namespace header was expected"));
    }
    // A namespace header.
    DocumentView header = in.document();
    auto db = StringField(header, "db");
    auto collection = StringField(header, "collection");
    if (!db || !collection) {
      return absl::DataLossError(absl::StrCat(in.name(), ": at byte offset ", event.offset,
                                              ": namespace header without db/collection"));
    }
    bson_t b;
    bson_iter_t it;
    header.AsBson(&b);
    bool eof =
        bson_iter_init_find(&it, &b, "EOF") && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
    if (!eof) {
      in_segment_ = true;
      db_ = *db;
      collection_ = *collection;
      continue;
    }
    std::optional<uint64_t> expected;  // archives of old tools may lack it
    if (bson_iter_init_find(&it, &b, "CRC") && BSON_ITER_HOLDS_NUMBER(&it)) {
      expected = static_cast<uint64_t>(bson_iter_as_int64(&it));
    }
    auto found = crc_.find(NsKey(*db, *collection));
    uint64_t actual = found == crc_.end() ? 0 : found->second;
    if (expected.has_value() && actual != *expected) {
      return absl::DataLossError(absl::StrCat(in.name(), ": at byte offset ", event.offset,
                                              ": CRC mismatch for ", *db, ".", *collection,
                                              " (the archive's documents are damaged)"));
    }
    auto term = in.Next(/*terminator_allowed=*/true);
    if (!term.ok()) return term.status();
    if (*term != BsonStream::Item::kTerminator) {
      return absl::DataLossError(absl::StrCat(in.name(), ": at byte offset ", in.item_offset(),
                                              ": missing terminator after the EOF header of ", *db,
                                              ".", *collection));
    }
    event.kind = Event::kNamespaceEnd;
    event.db = *db;
    event.collection = *collection;
    return event;
  }
}

}  // namespace strata::tools::dump
