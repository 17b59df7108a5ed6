// Protobuf logs every parse of invalid UTF-8 to stderr; under a fuzzer that
// is most inputs, and the logging would dominate the run. Fuzz targets call
// this once from LLVMFuzzerInitialize.
#ifndef CARELEDGER_TESTS_FUZZ_QUIET_PROTOBUF_H_
#define CARELEDGER_TESTS_FUZZ_QUIET_PROTOBUF_H_

#include <google/protobuf/stubs/logging.h>

namespace careledger::fuzz {

inline void QuietProtobufLogs() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace careledger::fuzz

#endif  // CARELEDGER_TESTS_FUZZ_QUIET_PROTOBUF_H_
