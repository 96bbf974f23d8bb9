#include "archive/decoded_stream.hpp"

#include "ifx/format/archive/gzip.hpp"

#include <algorithm>
#include <cstring>

namespace ifx::archive {
namespace {

// Legacy shard files are the raw tar stream (docs/FORMATS.md §2.4).
class PlainStream final : public DecodedStream {
 public:
  explicit PlainStream(std::unique_ptr<InputBuffer> in) : in_(std::move(in)) {}

  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    auto more = in_->fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) return std::size_t{0};
    std::size_t n = std::min(out.size(), in_->available());
    std::memcpy(out.data(), in_->data(), n);
    in_->consume(n);
    return n;
  }
  std::uint64_t compressed_bytes() const override { return in_->offset(); }

 private:
  std::unique_ptr<InputBuffer> in_;
};

// gzip (§3.3): the tar is the data of all the members, one after another, as gzip(1) reads it.
class GzipStream final : public DecodedStream {
 public:
  explicit GzipStream(std::unique_ptr<InputBuffer> in) : reader_(std::move(in)) {}

  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    if (out.empty()) return std::size_t{0};
    while (true) {
      if (!in_member_) {
        auto more = reader_.next_member();
        if (!more) return std::unexpected(more.error());
        if (!*more) return std::size_t{0};
        in_member_ = true;
      }
      auto n = reader_.read(out);
      if (!n || *n > 0) return n;
      in_member_ = false;
    }
  }
  std::uint64_t compressed_bytes() const override { return reader_.offset(); }

 private:
  GzipReader reader_;
  bool in_member_ = false;
};

}  // namespace

std::unique_ptr<DecodedStream> make_gzip_stream(std::unique_ptr<InputBuffer> in) {
  return std::make_unique<GzipStream>(std::move(in));
}

std::unique_ptr<DecodedStream> make_plain_stream(std::unique_ptr<InputBuffer> in) {
  return std::make_unique<PlainStream>(std::move(in));
}

Result<OpenedStream> open_decoded_stream(int fd) {
  auto in = std::make_unique<InputBuffer>(fd);
  auto more = in->fill();
  if (!more) return std::unexpected(more.error());
  // One read of a regular file returns the magic bytes whole; a pipe may not, hence the loop
  // is not worth it: a 1-3 byte first read just falls back to "plain" and fails as a tar.
  auto compression = detect_compression({in->data(), in->available()});
  switch (compression) {
    case ArchiveCompression::gzip:
      return OpenedStream{compression, make_gzip_stream(std::move(in))};
    case ArchiveCompression::zstd:
      return OpenedStream{compression, make_zstd_stream(std::move(in))};
    case ArchiveCompression::none:
      break;
  }
  return OpenedStream{compression, make_plain_stream(std::move(in))};
}

}  // namespace ifx::archive
