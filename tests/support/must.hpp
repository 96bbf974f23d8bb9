// The builders' way with a failed libformat call: an exception carrying the error's description
// (gtest reports it and ends the test), so a test states its inputs without checking each step.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "ifx/format/error.hpp"

namespace ifx::test {

inline void must(Result<void> r, std::string_view what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().describe());
}

template <class T>
T must(Result<T> r, std::string_view what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().describe());
  return std::move(*r);
}

}  // namespace ifx::test
