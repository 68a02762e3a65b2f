// CoveredDocumentBuilder: rebuilds, from one typed index entry (index/key_types.h), the part of
// its document a covered query reads — the PROJECTION_COVERED stage's input. The filter, sort
// and projection then run on this document exactly as they would on the fetched one, because
// the planner only covers queries that read nothing else (query/planner/covered_plan.h).
//
// The document holds the wanted key parts in key pattern order; a dotted path becomes nested
// documents ({"a.b": 1, "a.c": 2} → {a: {b: 1, c: 2}}), as MongoDB returns covered results; a
// part whose path is missing from the document is left out, its existing leading components
// kept as (possibly empty) documents, so an inclusion projection answers as on the original.
//
// Thread safety: immutable after construction; Build may run concurrently.
#ifndef STRATA_QUERY_EXEC_COVERED_PROJECTION_H_
#define STRATA_QUERY_EXEC_COVERED_PROJECTION_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/index_spec.h"
#include "strata/document.h"

namespace strata::query::exec {

class CoveredDocumentBuilder {
 public:
  // `parts`: the index's key parts; `wanted`: which of them to rebuild (same size).
  CoveredDocumentBuilder(std::vector<index::KeyPart> parts, std::vector<bool> wanted);

  // The document of the entry with index key `key` and type codes `key_types` (one per part).
  // nullopt when a wanted part is not rebuildable: the caller fetches the document instead.
  // kDataLoss for a malformed key or codes.
  absl::StatusOr<std::optional<Document>> Build(absl::string_view key,
                                                absl::string_view key_types) const;

 private:
  const std::vector<index::KeyPart> parts_;
  const std::vector<bool> wanted_;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_COVERED_PROJECTION_H_
