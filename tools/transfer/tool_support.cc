#include "tools/transfer/tool_support.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace strata::tools {

absl::StatusOr<std::unique_ptr<Database>> OpenDataDirectory(const std::string& dir, bool create,
                                                            bool relaxed, std::ostream& err) {
  DatabaseOptions options;
  options.create_if_missing = create;
  options.durability = relaxed ? Durability::kRelaxed : Durability::kDurable;
  options.progress = [&err](std::string_view line) { err << line << "\n"; };
  auto db = Database::Open(dir, options);
  if (!db.ok()) {
    return absl::Status(db.status().code(),
                        absl::StrCat("cannot open ", dir, ": ", db.status().message()));
  }
  return db;
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool CommandOk(DocumentView reply) {
  bson_t b;
  bson_iter_t it;
  return reply.AsBson(&b) && bson_iter_init_find(&it, &b, "ok") && bson_iter_as_double(&it) == 1.0;
}

std::string CommandError(DocumentView reply) {
  bson_t b;
  bson_iter_t it;
  if (reply.AsBson(&b) && bson_iter_init_find(&it, &b, "errmsg") && BSON_ITER_HOLDS_UTF8(&it)) {
    return bson_iter_utf8(&it, nullptr);
  }
  return reply.ToJson();
}

}  // namespace strata::tools
