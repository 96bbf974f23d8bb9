// A fixed-size byte buffer that is not zeroed: read buffers are overwritten before they are
// read, and zeroing 64 KiB per archive or tombstone file opened was most of the work of opening
// small files (and far more under the fuzzers' per-iteration instrumentation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ifx {

class ByteBuffer {
 public:
  explicit ByteBuffer(std::size_t size) : data_(std::make_unique_for_overwrite<std::uint8_t[]>(size)), size_(size) {}
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  std::uint8_t& operator[](std::size_t i) { return data_[i]; }
  operator std::span<std::uint8_t>() { return {data_.get(), size_}; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_;
};

}  // namespace ifx
