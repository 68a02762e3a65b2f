// mongodump's single-file archive format (--archive), written and read.
//
//   archive   = magic (int32 LE 0x8199e26d) header prelude-doc* terminator segment*
//   header    = {concurrent_collections: int32, version: "0.1", server_version, tool_version}
//   prelude   = {db, collection, metadata: <the .metadata.json text>, size: int32|int64}
//   segment   = {db, collection, EOF: false, CRC: int64 0} document+ terminator
//             | {db, collection, EOF: true,  CRC: int64 crc} terminator     (one per namespace)
//   terminator = ff ff ff ff
// The CRC of a namespace is CRC-64 (ECMA-182 polynomial, reflected, initial and final value
// all ones: Go's crc64.ECMA, CRC-64/XZ) over the bytes of all its documents in order.
// Segments of different namespaces may interleave; ArchiveWriter writes one namespace after
// another (as mongodump with one collection at a time), ArchiveReader accepts interleaving.
// Not thread-safe.
#ifndef STRATA_TOOLS_DUMP_ARCHIVE_H_
#define STRATA_TOOLS_DUMP_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"
#include "tools/dump/bson_stream.h"
#include "tools/dump/byte_streams.h"

namespace strata::tools::dump {

inline constexpr uint32_t kArchiveMagic = 0x8199e26d;

// CRC-64/XZ (see above) of `bytes`, continuing from `crc` (0 to start).
uint64_t Crc64(uint64_t crc, absl::string_view bytes);

struct ArchivePreludeEntry {
  std::string db;
  std::string collection;
  std::string metadata;  // Extended JSON, as in <collection>.metadata.json
  int64_t size = 0;      // uncompressed bytes of the collection's documents
};

class ArchiveWriter {
 public:
  explicit ArchiveWriter(ByteSink* sink) : sink_(sink) {}

  // Magic number, header and prelude. Call once, first.
  absl::Status WriteHeader(const std::vector<ArchivePreludeEntry>& prelude,
                           absl::string_view server_version, absl::string_view tool_version);
  // Appends one document of `db`.`collection` (a namespace header first when the previous
  // document belonged to another namespace).
  absl::Status WriteDocument(absl::string_view db, absl::string_view collection,
                             DocumentView document);
  // Closes the namespace: terminator of its open segment, then its EOF header with the CRC.
  absl::Status EndNamespace(absl::string_view db, absl::string_view collection);

 private:
  absl::Status WriteNamespaceHeader(absl::string_view db, absl::string_view collection, bool eof,
                                    uint64_t crc);
  ByteSink* sink_;
  std::string open_ns_;  // namespace of the open segment ("" when none); "db\0collection"
  std::map<std::string, uint64_t, std::less<>> crc_;
};

class ArchiveReader {
 public:
  struct Event {
    enum Kind { kDocument, kNamespaceEnd, kEnd } kind = kEnd;
    std::string db, collection;
    DocumentView document;  // kDocument: valid until the next call
    uint64_t offset = 0;    // byte offset of the document or header in the archive
  };

  // Reads the magic number, the header and the prelude. Errors: kDataLoss naming `name`, the
  // offset and what was wrong (not an archive, bad header, truncated prelude).
  static absl::StatusOr<std::unique_ptr<ArchiveReader>> Open(std::unique_ptr<ByteSource> source,
                                                             std::string name);

  DocumentView header() const { return header_.view(); }
  const std::vector<ArchivePreludeEntry>& prelude() const { return prelude_; }

  // The next document or namespace end. A namespace's CRC is checked at its EOF header
  // (kDataLoss on mismatch). kEnd at the clean end of the archive.
  absl::StatusOr<Event> Next();

 private:
  explicit ArchiveReader(std::unique_ptr<BsonStream> stream) : stream_(std::move(stream)) {}
  std::unique_ptr<BsonStream> stream_;
  Document header_;
  std::vector<ArchivePreludeEntry> prelude_;
  bool in_segment_ = false;
  std::string db_, collection_;  // of the open segment
  std::map<std::string, uint64_t, std::less<>> crc_;
};

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_ARCHIVE_H_
