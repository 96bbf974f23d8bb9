// Go's archive/tar choices, observed and described in docs/FORMATS.md §4.1 (own code, not Go's):
// numbers are zero-padded octal with one NUL, strings NUL-padded, checksum "NNNNNN\0 ",
// magic "ustar\0" "00"; USTAR preferred; PAX only for what USTAR cannot hold.
#include "archive/tar_header.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace ifx::archive {
namespace {

constexpr std::size_t kBlock = 512;
// USTAR field offsets and sizes (POSIX.1-1988).
struct Field {
  std::size_t offset, size;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChksum{148, 8}, kType{156, 1}, kMagic{257, 6}, kVersion{263, 2}, kUname{265, 32}, kGname{297, 32},
    kDevMajor{329, 8}, kDevMinor{337, 8}, kPrefix{345, 155};

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != 0; });
}

// Go drops every non-ASCII character (and NUL) from strings that must go into a USTAR field.
std::string ascii_only(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80 && c != 0) out.push_back(static_cast<char>(c));
  }
  // Continuation bytes of a multi-byte character are >= 0x80 too, so the whole character goes.
  return out;
}

bool fits_octal(std::size_t field_size, std::int64_t v) {
  return v >= 0 && (field_size - 1) * 3 < 63 && v < (std::int64_t{1} << ((field_size - 1) * 3));
}

void put_string(std::string& blk, Field f, const std::string& s) {
  std::size_t n = std::min(s.size(), f.size);
  std::memcpy(blk.data() + f.offset, s.data(), n);  // the rest is already NUL
  // A truncated name must not end in '/', or readers take the file for a directory.
  if (s.size() > f.size && blk[f.offset + f.size - 1] == '/') {
    std::size_t end = f.offset + f.size;
    while (end > f.offset && blk[end - 1] == '/') --end;
    blk[end] = '\0';
  }
}

// Zero-padded octal leaving room for the NUL; 0 when it does not fit (the PAX record holds it).
void put_octal(std::string& blk, Field f, std::int64_t v) {
  if (!fits_octal(f.size, v)) v = 0;
  put_string(blk, f, fmt::format("{:0{}o}", v, f.size - 1));
}

void finish_block(std::string& blk) {
  std::memcpy(blk.data() + kMagic.offset, "ustar\0", 6);
  std::memcpy(blk.data() + kVersion.offset, "00", 2);
  std::memset(blk.data() + kChksum.offset, ' ', kChksum.size);
  unsigned sum = 0;
  for (unsigned char c : blk) sum += c;
  put_string(blk, {kChksum.offset, 8}, fmt::format("{:06o}", sum) + '\0' + ' ');
}

// USTAR's prefix/name split: the longest prefix (<= 155 bytes) ending at a '/', the rest
// (<= 100 bytes, non-empty) as name.
bool split_ustar_path(const std::string& name, std::string& prefix, std::string& rest) {
  if (name.size() <= kName.size || !is_ascii(name)) return false;
  std::size_t limit = std::min(name.size(), kPrefix.size + 1);
  if (limit == name.size() && name.back() == '/') --limit;
  std::size_t slash = name.rfind('/', limit - 1);
  if (slash == std::string::npos || slash == 0) return false;
  std::size_t rest_len = name.size() - slash - 1;
  if (rest_len == 0 || rest_len > kName.size || slash > kPrefix.size) return false;
  prefix = name.substr(0, slash);
  rest = name.substr(slash + 1);
  return true;
}

// "%d %s=%s\n" where %d counts the whole record, itself included.
std::string pax_record(const std::string& key, const std::string& value) {
  std::size_t base = key.size() + value.size() + 3;
  std::size_t total = base + fmt::formatted_size("{}", base);
  if (fmt::formatted_size("{}", total) + base != total) total = base + fmt::formatted_size("{}", total);
  return fmt::format("{} {}={}\n", total, key, value);
}

std::string main_block(const GoTarHeader& h, const std::string& name, const std::string& prefix, bool ascii_strings) {
  std::string blk(kBlock, '\0');
  auto str = [&](Field f, const std::string& s) { put_string(blk, f, ascii_strings ? ascii_only(s) : s); };
  str(kName, name);
  put_octal(blk, kMode, h.mode);
  put_octal(blk, kUid, h.uid);
  put_octal(blk, kGid, h.gid);
  put_octal(blk, kSize, static_cast<std::int64_t>(h.size));
  put_octal(blk, kMtime, h.mtime);
  blk[kType.offset] = '0';
  str(kUname, h.uname);
  str(kGname, h.gname);
  put_octal(blk, kDevMajor, 0);
  put_octal(blk, kDevMinor, 0);
  if (!prefix.empty()) put_string(blk, kPrefix, prefix);
  finish_block(blk);
  return blk;
}

}  // namespace

std::string encode_go_tar_header(const GoTarHeader& h) {
  std::map<std::string, std::string> pax;  // sorted keys, as Go writes them
  std::string prefix, rest;
  bool name_fits = h.name.size() <= kName.size && is_ascii(h.name);
  bool can_split = !name_fits && split_ustar_path(h.name, prefix, rest);
  if (!name_fits && !can_split) pax["path"] = h.name;
  auto check_string = [&](const std::string& s, std::size_t size, const char* key) {
    if (!is_ascii(s) || s.size() > size) pax[key] = s;
  };
  check_string(h.uname, kUname.size, "uname");
  check_string(h.gname, kGname.size, "gname");
  if (!fits_octal(kSize.size, static_cast<std::int64_t>(h.size))) pax["size"] = fmt::format("{}", h.size);
  if (!fits_octal(kUid.size, h.uid)) pax["uid"] = fmt::format("{}", h.uid);
  if (!fits_octal(kGid.size, h.gid)) pax["gid"] = fmt::format("{}", h.gid);
  if (!fits_octal(kMtime.size, h.mtime)) pax["mtime"] = fmt::format("{}", h.mtime);

  if (pax.empty()) return main_block(h, can_split ? rest : h.name, can_split ? prefix : "", false);

  // PAX: an 'x' entry named <dir>/PaxHeaders.0/<file> whose data are the records, then the
  // main block with the fields squeezed into USTAR as well as they go (no prefix split).
  std::string records;
  for (const auto& [k, v] : pax) records += pax_record(k, v);
  std::size_t slash = h.name.rfind('/');
  std::string dir = slash == std::string::npos ? "" : h.name.substr(0, slash);
  std::string file = slash == std::string::npos ? h.name : h.name.substr(slash + 1);
  std::string pax_name = ascii_only((dir.empty() ? "" : dir + "/") + "PaxHeaders.0/" + file);
  if (pax_name.size() > kName.size) pax_name.resize(kName.size);
  while (!pax_name.empty() && pax_name.back() == '/') pax_name.pop_back();

  std::string out(kBlock, '\0');
  put_string(out, kName, pax_name);
  put_octal(out, kMode, 0);
  put_octal(out, kUid, 0);
  put_octal(out, kGid, 0);
  put_octal(out, kSize, static_cast<std::int64_t>(records.size()));
  put_octal(out, kMtime, 0);
  out[kType.offset] = 'x';
  finish_block(out);
  out += records;
  out.resize((out.size() + kBlock - 1) / kBlock * kBlock, '\0');
  out += main_block(h, h.name, "", true);
  return out;
}

}  // namespace ifx::archive
