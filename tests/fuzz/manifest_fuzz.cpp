// Portable manifest JSON (docs/FORMATS.md §3.4, §3.6): parse_manifest on arbitrary bytes; whatever
// parses must write back to JSON that parses to the same manifest (write is a fixed point after
// one round), and a chain of manifests must merge consistently.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/backup/manifest.hpp"

using namespace ifx;

namespace {

// Deepest nesting of arrays/objects in JSON text (brackets inside strings do not count).
int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// MarshalIndent output grows with depth² (each level indents every line below it, in Go as in
// write_manifest): 4000 nested arrays in an 8 KiB input become ~32 MB of spaces. Deeper inputs
// are parsed but not rewritten, so one input cannot take seconds.
constexpr int kMaxRewriteDepth = 256;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = parse_manifest(fuzz::as_text(data, size));
  if (!parsed) {
    fuzz::check_error(parsed.error(), {"manifest-invalid"}, size);
    return 0;
  }
  if (nesting_depth(fuzz::as_text(data, size)) > kMaxRewriteDepth) return 0;
  const std::string written = write_manifest(*parsed);
  auto reparsed = parse_manifest(written);
  fuzz::check(reparsed.has_value(), "write_manifest output does not parse",
              reparsed ? std::string() : reparsed.error().message + "\n" + written);
  const std::string rewritten = write_manifest(*reparsed);
  fuzz::check(rewritten == written, "write(parse(write(m))) != write(m)", written + "\n----\n" + rewritten);

  // Two manifests of the same backup: the older one as parsed, the newer one rewritten. Which
  // files "exist" depends only on the name, so the result is deterministic.
  std::vector<std::pair<std::string, PortableManifest>> chain;
  chain.emplace_back("20200101T000000Z.manifest", *parsed);
  chain.emplace_back("20200102T000000Z.manifest", std::move(*reparsed));
  auto merged = merge_manifest_chain(std::move(chain), [](const std::string& name) { return name.size() % 3 != 0; });
  for (const auto& [id, shard] : merged.shards) {
    fuzz::check(!shard.files.empty(), "merged shard without files");
    fuzz::check(shard.influxd_choice < shard.files.size(), "influxd_choice out of range");
    for (const auto& f : shard.files) fuzz::check(f.entry.shard_id == id, "file listed under another shard");
  }
  for (const auto& m : merged.missing) fuzz::check(m.entry.file_name.size() % 3 == 0, "existing file reported missing");
  return 0;
}
