#include "ifx-export/output_sink.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>

#include "ifx/format/archive/gzip.hpp"
#include "ifx/format/io/atomic_file.hpp"

namespace ifx::exporter {
namespace {

class FdSink final : public OutputSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<void> write(std::string_view bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(ErrorCode::io, fmt::format("cannot write to {}: {}", name_, std::strerror(errno)));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      bytes_ += static_cast<std::uint64_t>(n);
    }
    return {};
  }
  Result<void> finish() override { return {}; }
  std::uint64_t bytes_out() const override { return bytes_; }

 private:
  int fd_;
  std::string name_;
  std::uint64_t bytes_ = 0;
};

class FileSink final : public OutputSink {
 public:
  explicit FileSink(AtomicFile file) : file_(std::move(file)) {}
  Result<void> write(std::string_view bytes) override {
    return file_.write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  Result<void> finish() override { return file_.commit(); }
  std::uint64_t bytes_out() const override { return file_.bytes_written(); }

 private:
  AtomicFile file_;
};

class StringSink final : public OutputSink {
 public:
  explicit StringSink(std::string& out) : out_(&out) {}
  Result<void> write(std::string_view bytes) override {
    out_->append(bytes);
    bytes_ += bytes.size();
    return {};
  }
  Result<void> finish() override { return {}; }
  std::uint64_t bytes_out() const override { return bytes_; }

 private:
  std::string* out_;
  std::uint64_t bytes_ = 0;
};

// gzip members of 1 MiB of line protocol each, by the one gzip writer; gzip(1) and Go's
// gzip.Reader (`influx -import -compressed`) read them all as one stream.
class GzipSink final : public OutputSink {
 public:
  GzipSink(std::unique_ptr<OutputSink> inner, GzipWriter writer)
      : inner_(std::move(inner)), writer_(std::move(writer)) {}
  Result<void> write(std::string_view bytes) override {
    return writer_.write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  Result<void> finish() override {
    if (auto r = writer_.finish(); !r) return r;
    return inner_->finish();
  }
  std::uint64_t bytes_out() const override { return inner_->bytes_out(); }

 private:
  std::unique_ptr<OutputSink> inner_;  // outlives writer_, whose output writes to it
  GzipWriter writer_;
};

}  // namespace

std::unique_ptr<OutputSink> make_fd_sink(int fd, std::string display_name) {
  return std::make_unique<FdSink>(fd, std::move(display_name));
}

Result<std::unique_ptr<OutputSink>> make_file_sink(const std::filesystem::path& path) {
  AtomicFileOptions options;
  options.replace_existing = true;
  auto file = AtomicFile::create(path, options);
  if (!file) return std::unexpected(std::move(file.error()));
  return std::make_unique<FileSink>(std::move(*file));
}

std::unique_ptr<OutputSink> make_string_sink(std::string& out) { return std::make_unique<StringSink>(out); }

Result<std::unique_ptr<OutputSink>> make_gzip_sink(std::unique_ptr<OutputSink> inner, int level) {
  GzipWriterOptions o;
  o.level = level;
  OutputSink* to = inner.get();
  auto writer = GzipWriter::create(
      [to](std::span<const std::uint8_t> member) {
        return to->write({reinterpret_cast<const char*>(member.data()), member.size()});
      },
      o);
  if (!writer) return std::unexpected(std::move(writer.error()));
  return std::make_unique<GzipSink>(std::move(inner), std::move(*writer));
}

}  // namespace ifx::exporter
