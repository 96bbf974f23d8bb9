// EXPECT_HAS(text, needle): the test fails, showing the whole text, unless `needle` occurs in it.
// For messages and tool output, where the exact sentence may change but a fact it states may not.
#pragma once

#include <gtest/gtest.h>

#include <string>

#define EXPECT_HAS(text, needle) \
  EXPECT_NE((text).find(needle), std::string::npos) << "expected \"" << (needle) << "\" in:\n" << (text)
