// gzip (RFC 1952): the one reader and the one writer of every gzip stream ifxkit reads or
// writes: shard archives (docs/FORMATS.md §3.3), tombstone files v3/v4 (§6.6), ifx-export's
// `--compress gzip` output and the bodies of HTTP writes. A stream is one or more members, each
// a header, raw deflate data and a trailer (CRC-32 and ISIZE of its data); readers of gzip
// (gzip(1), Go's gzip.Reader, ours) read all the members of a stream one after another.
//
// Reading inflates with ISA-L (igzip) and parses the header and trailer itself, so that each
// defect is reported with its file offset: "gzip-truncated" (the input ends inside a member),
// "gzip-crc" (header CRC-16, trailer CRC-32 or ISIZE differ from the data), "gzip-invalid"
// (anything else: magic, flags, deflate data, bytes after the last member).
//
// Writing cuts the input into members of `member_bytes` (1 MiB) and compresses each whole
// buffer: with ISA-L igzip level 1 by default (a member whose data hardly shrinks is stored),
// with libdeflate at an explicit level 1-12. Members can be compressed in parallel.
#pragma once

#include "ifx/format/error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ifx {

namespace archive {
class InputBuffer;
}

// One member's header as read (RFC 1952 §2.3.1).
struct GzipMemberHeader {
  static constexpr std::uint8_t kText = 0x01, kHeaderCrc = 0x02, kExtra = 0x04, kName = 0x08, kComment = 0x10;
  std::uint64_t offset = 0;  // file offset of the member's first byte (1f)
  std::uint8_t flags = 0;    // FLG
  std::uint32_t mtime = 0;   // MTIME as stored (influxd's is not a time, §3.3)
  std::uint8_t xfl = 0;
  std::uint8_t os = 0;
  std::vector<std::uint8_t> extra;  // FEXTRA's bytes (at most 65,535)
  // FNAME and FCOMMENT without their terminating zero; only their first 64 KiB are kept (the
  // rest is still read and covered by the header CRC).
  std::string name;
  std::string comment;
};

class GzipReader {
 public:
  // Reads `fd` (not owned: the caller closes it) from its current position, which is file
  // offset `start_offset`: error offsets are file offsets. A pipe works.
  explicit GzipReader(int fd, std::uint64_t start_offset = 0);
  // Over a buffer that may already hold bytes of the stream (the archive reader looked at its
  // magic bytes first).
  explicit GzipReader(std::unique_ptr<archive::InputBuffer> in);
  GzipReader(GzipReader&&) noexcept;
  GzipReader& operator=(GzipReader&&) noexcept;
  ~GzipReader();

  // Reads the next member's header; false at the end of the input after a whole member (an
  // empty input has no member: whether that is allowed is the caller's rule). Bytes after a
  // member that do not start another one are "gzip-invalid". The current member's data must
  // have been read to its end first.
  Result<bool> next_member();
  // The header of the member next_member() started.
  const GzipMemberHeader& member() const;
  // The current member's data into `out`: at least one byte while there is any, 0 at the end of
  // the member, once its trailer was checked. After an error every call returns that error.
  Result<std::size_t> read(std::span<std::uint8_t> out);
  // File offset of the next byte not yet used (after the last member: the end of its trailer).
  std::uint64_t offset() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct GzipWriterOptions {
  // ISA-L igzip level 1, with a member whose first 32 KiB shrink by less than 5% stored instead
  // (see gzip_writer.cpp for the measurements). An explicit level 1-12 is libdeflate's, on every
  // member.
  static constexpr int kDefaultLevel = std::numeric_limits<int>::min();
  int level = kDefaultLevel;
  // Input bytes per member: write() cuts the data there (and end_member() wherever the caller
  // wants). Memory is about twice this per thread.
  std::size_t member_bytes = 1 << 20;
  // Members compressed at once (1: in the caller's thread).
  int threads = 1;
  // The first member's FNAME (none when empty) and MTIME; later members carry neither (MTIME 0).
  std::string name;
  std::uint32_t mtime = 0;
};

// Receives the compressed stream in order, whole members at a time.
using GzipOutput = std::function<Result<void>(std::span<const std::uint8_t>)>;

// Every member is `1f 8b 08 FLG MTIME XFL=0 OS=255 [FNAME 00]`, raw deflate, CRC-32, ISIZE: the
// header influxd writes (§3.3, §6.6).
class GzipWriter {
 public:
  // "invalid-argument" for a level outside 1-12.
  static Result<GzipWriter> create(GzipOutput out, GzipWriterOptions options = {});
  GzipWriter(GzipWriter&&) noexcept;
  GzipWriter& operator=(GzipWriter&&) noexcept;
  ~GzipWriter();  // waits for members being compressed; writes nothing more

  Result<void> write(std::span<const std::uint8_t> data);
  // Closes the member being filled (if it holds any byte): what was written so far is in
  // members of its own, whatever comes next.
  Result<void> end_member();
  // Closes the last member and hands every member to the output. A writer given no byte at all
  // writes one empty member: an empty input is still a gzip stream.
  Result<void> finish();
  // Members closed so far.
  std::uint64_t members() const;

 private:
  struct State;
  explicit GzipWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// `data` gzipped in one call (an HTTP body), by the same writer.
Result<std::string> gzip_compress(std::string_view data, const GzipWriterOptions& options = {});

}  // namespace ifx
