// tools/allocator.h: the program's malloc is jemalloc's when it is linked
// with it (CARELEDGER_JEMALLOC, off under the sanitizers).
#include "tools/allocator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace careledger::tools {
namespace {

using ::testing::StartsWith;

TEST(Allocator, MallocReachesTheAllocatorTheBuildLinked) {
#ifdef CARELEDGER_WITH_JEMALLOC
  EXPECT_THAT(AllocatorName(), StartsWith("jemalloc 5."));
#else
  EXPECT_EQ(AllocatorName(), "system malloc");
#endif
}

}  // namespace
}  // namespace careledger::tools
