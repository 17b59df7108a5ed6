// Which memory allocator this program's malloc reaches. careledger links
// jemalloc (README, "Libraries, and why") except under the sanitizers, which
// bring their own; benchmarks print the answer beside their figures.
#ifndef CARELEDGER_TOOLS_ALLOCATOR_H_
#define CARELEDGER_TOOLS_ALLOCATOR_H_

#include <string>

namespace careledger::tools {

// "jemalloc <version>" when malloc is jemalloc's, checked by allocating and
// watching jemalloc's own per-thread counter move, not merely by having been
// linked; otherwise "system malloc".
std::string AllocatorName();

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_ALLOCATOR_H_
