#include "ifx-export/output_sink.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

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
        return fail("io", fmt::format("cannot write to {}: {}", name_, std::strerror(errno)));
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

// zlib's deflate with the gzip wrapper (windowBits 15 + 16). libdeflate has no streaming API.
class GzipSink final : public OutputSink {
 public:
  explicit GzipSink(std::unique_ptr<OutputSink> inner) : inner_(std::move(inner)), out_(1 << 18) {}
  ~GzipSink() override {
    if (initialised_) deflateEnd(&z_);
  }
  Result<void> init(int level) {
    z_ = {};
    if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return fail("io", "cannot initialise the gzip compressor (zlib deflateInit2 failed)");
    initialised_ = true;
    return {};
  }
  Result<void> write(std::string_view bytes) override { return pump(bytes, Z_NO_FLUSH); }
  Result<void> finish() override {
    if (auto r = pump({}, Z_FINISH); !r) return r;
    return inner_->finish();
  }
  std::uint64_t bytes_out() const override { return inner_->bytes_out(); }

 private:
  Result<void> pump(std::string_view in, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    while (true) {
      z_.next_out = out_.data();
      z_.avail_out = static_cast<uInt>(out_.size());
      const int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return fail("io", "gzip compression failed (zlib stream error)");
      const std::size_t have = out_.size() - z_.avail_out;
      if (have > 0)
        if (auto r = inner_->write({reinterpret_cast<const char*>(out_.data()), have}); !r) return r;
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
    }
    return {};
  }

  std::unique_ptr<OutputSink> inner_;
  std::vector<Bytef> out_;
  z_stream z_{};
  bool initialised_ = false;
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

std::unique_ptr<OutputSink> make_string_sink(std::string& out) {
  return std::make_unique<StringSink>(out);
}

Result<std::unique_ptr<OutputSink>> make_gzip_sink(std::unique_ptr<OutputSink> inner, int level) {
  auto sink = std::make_unique<GzipSink>(std::move(inner));
  if (auto r = sink->init(level); !r) return std::unexpected(std::move(r.error()));
  return sink;
}

}  // namespace ifx::exporter
