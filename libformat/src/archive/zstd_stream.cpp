// zstd frames around the shard tar (ifxkit's own option beside gzip, §3.3). Any damage,
// truncation included, is "zstd-invalid"; frames written with a checksum are verified by zstd.
#include "archive/decoded_stream.hpp"

#include <zstd.h>

namespace ifx::archive {
namespace {

class ZstdStream final : public DecodedStream {
 public:
  explicit ZstdStream(std::unique_ptr<InputBuffer> in) : in_(std::move(in)), dctx_(ZSTD_createDCtx()) {}
  ~ZstdStream() override { ZSTD_freeDCtx(dctx_); }

  std::uint64_t compressed_bytes() const override { return in_->offset(); }

  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    if (done_ || out.empty()) return std::size_t{0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    while (output.pos == 0) {
      auto more = in_->fill();
      if (!more) return std::unexpected(more.error());
      if (!*more && !frame_open_) {  // the last frame was complete and flushed
        done_ = true;
        return std::size_t{0};
      }
      ZSTD_inBuffer input{in_->data(), in_->available(), 0};
      std::uint64_t at = in_->offset();
      std::size_t rc = ZSTD_decompressStream(dctx_, &output, &input);
      in_->consume(input.pos);
      if (ZSTD_isError(rc)) {
        return fail(ErrorCode::zstd_invalid,
                    fmt::format("the zstd data is damaged near file offset {} ({})", at, ZSTD_getErrorName(rc)), at);
      }
      frame_open_ = rc != 0;
      if (!*more && output.pos == 0) {
        return fail(ErrorCode::zstd_invalid,
                    fmt::format("the zstd stream ends at offset {} inside a frame; the file "
                                "was cut short",
                                in_->offset()),
                    in_->offset());
      }
    }
    return output.pos;
  }

 private:
  std::unique_ptr<InputBuffer> in_;
  ZSTD_DCtx* dctx_;
  bool frame_open_ = true;  // a zstd file holds at least one frame
  bool done_ = false;
};

}  // namespace

std::unique_ptr<DecodedStream> make_zstd_stream(std::unique_ptr<InputBuffer> in) {
  return std::make_unique<ZstdStream>(std::move(in));
}

}  // namespace ifx::archive
