#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/text/decimal.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace ifx {
namespace {

constexpr std::size_t kBaseLength = 16;  // 20060102T150405Z

using text::parse_decimal;

}  // namespace

// ---- portable ---------------------------------------------------------------------------------

std::string portable_base_name(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / 1'000'000'000;
  if (unix_ns < 0 && unix_ns % 1'000'000'000 != 0) --secs;  // floor, as Go's Time.Unix does
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> parse_portable_base_time(std::string_view name) {
  if (name.size() < kBaseLength || name[8] != 'T' || name[15] != 'Z') return std::nullopt;
  int v[6];
  const int pos[6][2] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {11, 2}, {13, 2}};
  for (int i = 0; i < 6; ++i) {
    auto [p, ec] = std::from_chars(name.data() + pos[i][0], name.data() + pos[i][0] + pos[i][1], v[i]);
    if (ec != std::errc{} || p != name.data() + pos[i][0] + pos[i][1]) return std::nullopt;
  }
  // days from civil (Howard Hinnant)
  int y = v[0], m = v[1], d = v[2];
  if (m < 1 || m > 12 || d < 1 || d > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return std::nullopt;
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return (days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) * 1'000'000'000LL;
}

std::optional<std::string> portable_base_of(std::string_view name) {
  if (name.size() > kBaseLength && name[kBaseLength] != '.') return std::nullopt;
  if (!parse_portable_base_time(name)) return std::nullopt;
  return std::string(name.substr(0, kBaseLength));
}

std::string portable_meta_file(std::string_view base) { return fmt::format("{}.meta", base); }
std::string portable_manifest_file(std::string_view base) { return fmt::format("{}.manifest", base); }

std::string_view portable_archive_suffix(ArchiveCompression c) {
  switch (c) {
    case ArchiveCompression::none:
      return ".tar";
    case ArchiveCompression::zstd:
      return ".tar.zst";
    case ArchiveCompression::gzip:
      break;
  }
  return ".tar.gz";
}

std::string portable_shard_file(std::string_view base, std::uint64_t id, ArchiveCompression c) {
  return fmt::format("{}.s{}{}", base, id, portable_archive_suffix(c));
}

std::string portable_shard_tar_name(std::string_view base, std::uint64_t id) {
  return portable_shard_file(base, id, ArchiveCompression::none);
}

bool is_manifest_file(std::string_view name) { return name.ends_with(".manifest"); }

std::optional<PortableFileName> parse_portable_file(std::string_view name) {
  auto base = portable_base_of(name);
  if (!base || name.size() == kBaseLength) return std::nullopt;
  const std::string_view rest = name.substr(kBaseLength);  // starts with '.'
  PortableFileName out{*base, PortableFileKind::meta, 0, ArchiveCompression::gzip};
  if (rest == ".meta") return out;
  if (rest == ".manifest") {
    out.kind = PortableFileKind::manifest;
    return out;
  }
  if (!rest.starts_with(".s")) return std::nullopt;
  for (ArchiveCompression c : {ArchiveCompression::gzip, ArchiveCompression::zstd, ArchiveCompression::none}) {
    const std::string_view suffix = portable_archive_suffix(c);
    if (!rest.ends_with(suffix)) continue;
    auto id = parse_decimal<std::uint64_t>(rest.substr(2, rest.size() - 2 - suffix.size()));
    if (!id) return std::nullopt;
    out.kind = PortableFileKind::shard_archive;
    out.shard_id = *id;
    out.compression = c;
    return out;
  }
  return std::nullopt;
}

// ---- legacy -----------------------------------------------------------------------------------

std::string legacy_meta_file(std::uint64_t nn) { return fmt::format("meta.{:02}", nn); }

std::optional<std::uint64_t> parse_legacy_meta_file(std::string_view name) {
  if (!name.starts_with("meta.")) return std::nullopt;
  return parse_decimal<std::uint64_t>(name.substr(5));
}

std::string legacy_shard_stem(std::string_view db, std::string_view rp, std::uint64_t id) {
  return fmt::format("{}.{}.{:05}", db, rp, id);
}

std::string legacy_increment_file(std::string_view stem, std::uint64_t nn) { return fmt::format("{}.{:02}", stem, nn); }

std::optional<LegacyShardFileName> parse_legacy_shard_file(std::string_view name) {
  // The last two dot-separated parts are the ID and NN; db and rp may hold dots themselves.
  const auto nn_dot = name.rfind('.');
  if (nn_dot == std::string_view::npos || nn_dot == 0) return std::nullopt;
  const auto id_dot = name.rfind('.', nn_dot - 1);
  if (id_dot == std::string_view::npos || id_dot == 0) return std::nullopt;
  const std::string_view id_text = name.substr(id_dot + 1, nn_dot - id_dot - 1);
  const std::string_view nn_text = name.substr(nn_dot + 1);
  if (id_text.size() < 5 || nn_text.size() < 2) return std::nullopt;
  auto id = parse_decimal<std::uint64_t>(id_text);
  auto nn = parse_decimal<std::uint32_t>(nn_text);
  if (!id || !nn) return std::nullopt;
  return LegacyShardFileName{std::string(name.substr(0, nn_dot)), std::string(name.substr(0, id_dot)), *id, *nn};
}

}  // namespace ifx
