#include "ifx-export/series_lines.hpp"

#include <algorithm>

#include "ifx/format/text/line_protocol.hpp"

namespace ifx::exporter {
namespace {

lp::FieldValue value_at(const tsm::DecodedBlock& b, std::size_t i) {
  switch (b.type) {
    case tsm::BlockType::Float:
      return b.floats[i];
    case tsm::BlockType::Integer:
      return b.integers[i];
    case tsm::BlockType::Unsigned:
      return b.unsigneds[i];
    case tsm::BlockType::Boolean:
      return b.booleans[i] != 0;
    case tsm::BlockType::String:
      return std::string_view(b.strings[i]);
  }
  return b.floats[i];
}

// The in-range points of one key, a batch at a time.
class FieldStream {
 public:
  FieldStream(tsm::KeyCursor cursor, ExportRange range) : cursor_(std::move(cursor)), range_(range) {}

  // Positions on the next in-range point (fetching batches as needed); done() after the last.
  Result<void> settle() {
    while (!done_) {
      if (pos_ < batch_.size()) {
        if (batch_.times[pos_] < range_.min) {
          auto it = std::lower_bound(batch_.times.begin() + static_cast<std::ptrdiff_t>(pos_), batch_.times.end(),
                                     range_.min);
          pos_ = static_cast<std::size_t>(it - batch_.times.begin());
          continue;
        }
        if (batch_.times[pos_] > range_.max) done_ = true;  // a key's points ascend
        return {};
      }
      auto more = cursor_.next(batch_);
      if (!more) return std::unexpected(std::move(more.error()));
      pos_ = 0;
      if (!*more) done_ = true;
    }
    return {};
  }
  bool done() const { return done_; }
  std::int64_t time() const { return batch_.times[pos_]; }
  lp::FieldValue value() const { return value_at(batch_, pos_); }
  void advance() { ++pos_; }

 private:
  tsm::KeyCursor cursor_;
  ExportRange range_;
  tsm::DecodedBlock batch_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

Result<SeriesCounts> write_per_point(const tsm::ShardPoints& points, const std::vector<tsm::KeyInfo>& keys,
                                     ExportRange range, LineBuffer& out) {
  SeriesCounts counts;
  std::vector<FieldStream> streams;
  std::vector<std::string_view> names;
  streams.reserve(keys.size());
  for (const auto& k : keys) {
    streams.emplace_back(points.open_cursor(k), range);
    names.push_back(tsm::split_composite_key(k.key).field);
    if (auto r = streams.back().settle(); !r) return std::unexpected(std::move(r.error()));
  }
  const std::string_view series_key = tsm::split_composite_key(keys.front().key).series_key;
  lp::LineWriter writer(out.text());
  std::vector<lp::Field> fields;
  fields.reserve(keys.size());
  std::vector<std::size_t> at_t;
  while (true) {
    bool any = false;
    std::int64_t t = 0;
    for (const auto& s : streams)
      if (!s.done() && (!any || s.time() < t)) {
        t = s.time();
        any = true;
      }
    if (!any) break;
    fields.clear();
    at_t.clear();
    // Keys are in field-name order, so the fields of a line come out sorted by key bytes.
    for (std::size_t i = 0; i < streams.size(); ++i)
      if (!streams[i].done() && streams[i].time() == t) {
        fields.push_back(lp::Field{names[i], streams[i].value()});
        at_t.push_back(i);
      }
    writer.write_point(series_key, fields, t);
    ++counts.points;
    ++counts.lines;
    counts.values += fields.size();
    // Only now may a stream fetch its next batch: the line above viewed strings in the old one.
    for (std::size_t i : at_t) {
      streams[i].advance();
      if (auto r = streams[i].settle(); !r) return std::unexpected(std::move(r.error()));
    }
    if (auto r = out.flush_if_full(); !r) return std::unexpected(std::move(r.error()));
  }
  return counts;
}

Result<SeriesCounts> write_per_field(const tsm::ShardPoints& points, const std::vector<tsm::KeyInfo>& keys,
                                     ExportRange range, LineBuffer& out) {
  SeriesCounts counts;
  lp::LineWriter writer(out.text());
  for (const auto& k : keys) {
    const tsm::CompositeKey ck = tsm::split_composite_key(k.key);
    writer.select_field(ck.series_key, ck.field);
    FieldStream s(points.open_cursor(k), range);
    while (true) {
      if (auto r = s.settle(); !r) return std::unexpected(std::move(r.error()));
      if (s.done()) break;
      writer.write_value(s.value(), s.time());
      ++counts.values;
      ++counts.lines;
      s.advance();
      if (auto f = out.flush_if_full(); !f) return std::unexpected(std::move(f.error()));
    }
  }
  return counts;
}

}  // namespace

Result<void> LineBuffer::flush() {
  if (text_.empty()) return {};
  auto r = sink_->write(text_);
  produced_ += text_.size();
  text_.clear();
  return r;
}

bool restrict_to_range(tsm::KeyInfo& key, ExportRange range) {
  bool any = false;
  for (auto& source : key.sources) {
    std::erase_if(source.entries,
                  [&](const tsm::IndexEntry& e) { return e.max_time < range.min || e.min_time > range.max; });
    any = any || !source.entries.empty();
  }
  std::erase_if(key.sources, [](const tsm::KeyInfo::Source& s) { return s.entries.empty(); });
  return any;
}

Result<SeriesCounts> write_series(const tsm::ShardPoints& points, const std::vector<tsm::KeyInfo>& keys,
                                  ExportRange range, bool per_field, LineBuffer& out) {
  if (keys.empty()) return SeriesCounts{};
  return per_field ? write_per_field(points, keys, range, out) : write_per_point(points, keys, range, out);
}

}  // namespace ifx::exporter
