#include "tools/allocator.h"

#include <cstdint>
#include <cstdlib>

#ifdef CARELEDGER_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace careledger::tools {

#ifdef CARELEDGER_WITH_JEMALLOC
namespace {

// jemalloc's count of bytes this thread has allocated, or 0 if unreadable.
std::uint64_t ThreadAllocatedBytes() {
  std::uint64_t allocated = 0;
  std::size_t size = sizeof(allocated);
  if (mallctl("thread.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return allocated;
}

}  // namespace

std::string AllocatorName() {
  const std::uint64_t before = ThreadAllocatedBytes();
  // volatile: the compiler may not elide a malloc/free pair it can see.
  void* volatile probe = std::malloc(4096);
  const std::uint64_t after = ThreadAllocatedBytes();
  std::free(probe);
  const char* version = nullptr;
  std::size_t size = sizeof(version);
  if (after < before + 4096 || mallctl("version", &version, &size, nullptr, 0) != 0) {
    return "system malloc";
  }
  return std::string("jemalloc ") + version;
}
#else
std::string AllocatorName() { return "system malloc"; }
#endif

}  // namespace careledger::tools
