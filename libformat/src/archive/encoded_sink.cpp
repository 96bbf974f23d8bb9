#include "archive/encoded_sink.hpp"

#include "ifx/format/checksum.hpp"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace ifx::archive {
namespace {

constexpr std::size_t kOutBuffer = 64 * 1024;

// Legacy shard files: the raw tar (§2.4). Buffered so 512-byte headers are not one write each.
class PlainSink final : public EncodedSink {
 public:
  explicit PlainSink(AtomicFile& file) : file_(file) { buf_.reserve(kOutBuffer); }
  Result<void> write(std::span<const std::uint8_t> bytes) override {
    if (buf_.size() + bytes.size() > kOutBuffer) {
      if (auto r = flush(); !r) return r;
      if (bytes.size() >= kOutBuffer) return file_.write(bytes);
    }
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    return {};
  }
  Result<void> finish() override { return flush(); }

 private:
  Result<void> flush() {
    auto r = file_.write(buf_);
    buf_.clear();
    return r;
  }
  AtomicFile& file_;
  std::vector<std::uint8_t> buf_;
};

// RFC 1952 member as influxd writes it (§3.3): 1f 8b 08 FLG MTIME XFL=0 OS=255 [FNAME\0],
// raw deflate, CRC-32 and ISIZE little-endian.
class GzipSink final : public EncodedSink {
 public:
  GzipSink(AtomicFile& file, const ShardArchiveWriterOptions& o) : file_(file), out_(kOutBuffer) {
    int level = o.level < 0 ? 6 : o.level;
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    std::uint32_t t = o.gzip_mtime;
    header_ = {0x1f, 0x8b, 0x08, static_cast<std::uint8_t>(o.gzip_name.empty() ? 0 : 0x08),
               static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(t >> 8),
               static_cast<std::uint8_t>(t >> 16), static_cast<std::uint8_t>(t >> 24), 0x00, 0xff};
    if (!o.gzip_name.empty()) {
      header_.insert(header_.end(), o.gzip_name.begin(), o.gzip_name.end());
      header_.push_back(0);
    }
  }
  ~GzipSink() override { deflateEnd(&z_); }

  Result<void> start() {
    if (!ok_) return fail("invalid-argument", "cannot initialise zlib deflate (bad level?)");
    return file_.write(header_);
  }

  Result<void> write(std::span<const std::uint8_t> bytes) override {
    crc_ = ifx::crc32(bytes, crc_);
    size_ += bytes.size();
    constexpr std::size_t kMaxChunk = std::size_t{1} << 30;  // zlib counts in 32-bit uInt
    while (bytes.size() > kMaxChunk) {
      if (auto r = deflate_some(bytes.first(kMaxChunk), Z_NO_FLUSH); !r) return r;
      bytes = bytes.subspan(kMaxChunk);
    }
    return deflate_some(bytes, Z_NO_FLUSH);
  }

  Result<void> finish() override {
    if (auto r = deflate_some({}, Z_FINISH); !r) return r;
    std::uint8_t t[8];
    for (int i = 0; i < 4; ++i) {
      t[i] = static_cast<std::uint8_t>(crc_ >> (8 * i));
      t[4 + i] = static_cast<std::uint8_t>(size_ >> (8 * i));  // ISIZE: size mod 2^32
    }
    return file_.write(t);
  }

 private:
  Result<void> deflate_some(std::span<const std::uint8_t> in, int flush) {
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    while (true) {
      z_.next_out = out_.data();
      z_.avail_out = static_cast<uInt>(out_.size());
      int rc = ::deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return fail("invalid-argument", "zlib deflate failed");
      std::size_t n = out_.size() - z_.avail_out;
      if (n > 0) {
        if (auto r = file_.write({out_.data(), n}); !r) return r;
      }
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out > 0)) break;
    }
    return {};
  }

  AtomicFile& file_;
  z_stream z_{};
  bool ok_ = false;
  std::vector<std::uint8_t> header_;
  std::vector<std::uint8_t> out_;
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

// zstd with a content checksum so the reader can detect damage ("zstd-invalid").
class ZstdSink final : public EncodedSink {
 public:
  ZstdSink(AtomicFile& file, const ShardArchiveWriterOptions& o)
      : file_(file), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
    level_ = o.level < 0 ? 3 : o.level;
  }
  ~ZstdSink() override { ZSTD_freeCCtx(cctx_); }

  Result<void> start() {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1))) {
      return fail("invalid-argument", fmt::format("zstd rejects compression level {}", level_));
    }
    return {};
  }

  Result<void> write(std::span<const std::uint8_t> bytes) override {
    return compress(bytes, ZSTD_e_continue);
  }
  Result<void> finish() override { return compress({}, ZSTD_e_end); }

 private:
  Result<void> compress(std::span<const std::uint8_t> bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      std::size_t rc = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(rc)) {
        return fail("invalid-argument", fmt::format("zstd compression failed: {}", ZSTD_getErrorName(rc)));
      }
      if (out.pos > 0) {
        if (auto r = file_.write({out_.data(), out.pos}); !r) return r;
      }
      if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size) break;
    }
    return {};
  }

  AtomicFile& file_;
  ZSTD_CCtx* cctx_;
  int level_;
  std::vector<std::uint8_t> out_;
};

}  // namespace

Result<std::unique_ptr<EncodedSink>> make_encoded_sink(AtomicFile& file,
                                                      const ShardArchiveWriterOptions& options) {
  switch (options.compression) {
    case ArchiveCompression::gzip: {
      auto sink = std::make_unique<GzipSink>(file, options);
      if (auto r = sink->start(); !r) return std::unexpected(r.error());
      return sink;
    }
    case ArchiveCompression::zstd: {
      auto sink = std::make_unique<ZstdSink>(file, options);
      if (auto r = sink->start(); !r) return std::unexpected(r.error());
      return sink;
    }
    case ArchiveCompression::none: break;
  }
  return std::unique_ptr<EncodedSink>(std::make_unique<PlainSink>(file));
}

}  // namespace ifx::archive
