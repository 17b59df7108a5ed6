// Unique identifiers.
#ifndef CARELEDGER_EVENTS_IDS_H_
#define CARELEDGER_EVENTS_IDS_H_

#include <string>

namespace careledger::events {

// A random (version 4) UUID from OpenSSL's CSPRNG, in canonical lower-case
// text form, e.g. "3f2b8c1e-7d4a-4e2b-9c1d-0a1b2c3d4e5f".
std::string RandomUuid();

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_IDS_H_
