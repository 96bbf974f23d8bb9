#include "support/archive_builder.hpp"

#include "support/bytes.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "support/must.hpp"

namespace ifx::test {

namespace fs = std::filesystem;

namespace {

// `digits` octal digits and a NUL, as a USTAR numeric field holds them.
std::string octal(std::uint64_t v, std::size_t digits) { return fmt::format("{:0{}o}", v, digits) + '\0'; }

}  // namespace

void write_archive_entries(ShardArchiveWriter& writer, const std::vector<ArchiveFile>& files) {
  constexpr std::size_t kPiece = 777;  // odd: writes straddle tar blocks and compression chunks
  for (const auto& f : files) {
    must(writer.begin_entry({f.name, f.data.size(), f.mode, f.mtime}), "entry " + f.name);
    for (std::size_t at = 0; at < f.data.size(); at += kPiece)
      must(writer.write(bytes_of(std::string_view(f.data).substr(at, kPiece))), "entry " + f.name);
  }
}

std::uint64_t write_shard_archive(const fs::path& path, const std::vector<ArchiveFile>& files,
                                  ShardArchiveWriterOptions options) {
  options.file.replace_existing = true;
  auto w = must(ShardArchiveWriter::create(path, options), "archive " + path.string());
  write_archive_entries(w, files);
  return must(w.finish(), "archive " + path.string());
}

std::vector<ArchiveFile> read_shard_archive(const fs::path& path) {
  auto reader = must(ShardArchiveReader::open(path), "archive " + path.string());
  std::vector<ArchiveFile> out;
  std::vector<std::uint8_t> buf(64 * 1024);
  ArchiveEntry e;
  while (must(reader.next(e), "archive " + path.string())) {
    ArchiveFile f{e.name, {}, e.mode, e.mtime};
    while (const std::size_t n = must(reader.read(buf), "entry " + e.name))
      f.data.append(reinterpret_cast<const char*>(buf.data()), n);
    out.push_back(std::move(f));
  }
  return out;
}

std::string entry_data(const fs::path& archive, std::string_view suffix) {
  for (auto& f : read_shard_archive(archive))
    if (f.name.ends_with(suffix)) return std::move(f.data);
  throw std::runtime_error(fmt::format("no entry of {} ends with {}", archive.string(), suffix));
}

// ---- raw tar ------------------------------------------------------------------------------------

std::string ustar_header(const TarEntry& entry) {
  const std::uint64_t size = entry.declared_size.value_or(entry.data.size());
  std::string h(512, '\0');
  auto put = [&](std::size_t off, const std::string& v) { h.replace(off, v.size(), v); };
  put(0, entry.name.substr(0, 100));
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  if (size >= (1ull << 33)) {  // 11 octal digits end at 8 GiB: base-256, a leading 0x80 byte
    std::string b(12, '\0');
    b[0] = static_cast<char>(0x80);
    for (int i = 11; i >= 4; --i) b[i] = static_cast<char>((size >> (8 * (11 - i))) & 0xff);
    put(124, b);
  } else {
    put(124, octal(size, 11));
  }
  put(136, octal(kArchiveMtime, 11));
  h[156] = entry.type;
  put(157, entry.link.substr(0, 100));
  put(257, std::string("ustar\0"
                       "00",
                       8));
  put(265, "root");
  put(297, "root");
  put(345, entry.prefix.substr(0, 155));
  put(148, std::string(8, ' '));  // the checksum is summed with its own field as spaces
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put(148, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
  return h;
}

std::string tar_padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

std::string tar_entry(const TarEntry& entry) { return ustar_header(entry) + tar_padded(entry.data); }

std::string tar_of(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += tar_entry(e);
  return out + kTarEnd;
}

// ---- gzip and zstd -----------------------------------------------------------------------------

struct ZlibGzipStream::State {
  z_stream z{};
  std::string out;
  void feed(std::string_view data, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    char buf[1 << 16];
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      const int rc = deflate(&z, flush);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) throw std::runtime_error("zlib deflate failed");
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0 || z.avail_in > 0);
  }
};

ZlibGzipStream::ZlibGzipStream(int level, int mem_level) : state_(std::make_unique<State>()) {
  if (deflateInit2(&state_->z, level, Z_DEFLATED, 31, mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib deflateInit2 failed");
}

ZlibGzipStream::~ZlibGzipStream() { deflateEnd(&state_->z); }

void ZlibGzipStream::add(std::string_view data, bool sync_flush) {
  state_->feed(data, sync_flush ? Z_SYNC_FLUSH : Z_NO_FLUSH);
}

void ZlibGzipStream::add_zeros(std::uint64_t count) {
  const std::string mib(1 << 20, '\0');
  for (std::uint64_t done = 0; done < count; done += mib.size())
    add(std::string_view(mib).substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(mib.size(), count - done))));
}

std::string ZlibGzipStream::finish() {
  state_->feed({}, Z_FINISH);
  return std::move(state_->out);
}

std::string zlib_gzip(std::string_view data, std::size_t sync_flush_every, int level) {
  ZlibGzipStream gz(level);
  if (sync_flush_every == 0) {
    gz.add(data);
  } else {
    for (std::size_t at = 0; at < data.size(); at += sync_flush_every) gz.add(data.substr(at, sync_flush_every), true);
    if (data.empty()) gz.add({}, true);
  }
  return gz.finish();
}

std::optional<std::string> zlib_gunzip(std::string_view gz) {
  z_stream z{};
  inflateInit2(&z, 31);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // another member follows
      continue;
    }
    if (rc != Z_OK) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string zstd_compress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace ifx::test
