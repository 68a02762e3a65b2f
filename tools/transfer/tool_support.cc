#include "tools/transfer/tool_support.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <utility>

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

absl::StatusOr<InputText> InputText::Open(const std::string& path) {
  InputText input;
  if (!path.empty() && path != "-") {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      close(fd);
      if (p == MAP_FAILED) {
        return absl::InternalError(absl::StrCat("cannot map ", path, ": ", std::strerror(errno)));
      }
      madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
      input.mapping_ = p;
      input.mapped_size_ = static_cast<size_t>(st.st_size);
      input.text_ = std::string_view(static_cast<const char*>(p), input.mapped_size_);
      return input;
    }
    close(fd);
  }
  auto text = ReadFileOrStdin(path);
  if (!text.ok()) return text.status();
  input.owned_ = std::move(*text);
  input.text_ = input.owned_;
  return input;
}

InputText::InputText(InputText&& other) noexcept
    : owned_(std::move(other.owned_)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_size_(std::exchange(other.mapped_size_, 0)) {
  text_ = mapping_ != nullptr ? std::string_view(static_cast<const char*>(mapping_), mapped_size_)
                              : std::string_view(owned_);
  other.text_ = {};
}

InputText::~InputText() {
  if (mapping_ != nullptr) munmap(mapping_, mapped_size_);
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
