// Every size limit of the ledger's input, in one place (docs/domain.md,
// "Limits"). Lengths of text are in characters (Unicode code points), never
// bytes; sizes of whole messages are in bytes of their protobuf encoding.
// Input over a limit is refused naming the field and the limit
// (ledger/input_rules.h) before anything of it is signed into the log.
#ifndef CARELEDGER_LEDGER_LIMITS_H_
#define CARELEDGER_LEDGER_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace careledger::ledger {

// ---- fields of a command (characters) ----
// Identifiers: user ids, ODS codes, device ids, command ids, request and
// alert ids, NHS numbers, audit subjects, postcodes, telephone numbers.
inline constexpr std::size_t kMaxIdLength = 128;
inline constexpr std::size_t kMaxNetworkAddressLength = 128;  // IPv6, zone and port fit
inline constexpr std::size_t kMaxPurposeLength = 200;
// Other one-line fields: names, places, doses, e-mail addresses.
inline constexpr std::size_t kMaxLineLength = 256;
// Reasons: refusal, discard, restriction, break-glass, status change.
inline constexpr std::size_t kMaxReasonLength = 1000;
// An urgent care note.
inline constexpr std::size_t kMaxNoteLength = 500;
// A patient's request.
inline constexpr std::size_t kMaxRequestLength = 2000;
// An auditor's note on an alert review.
inline constexpr std::size_t kMaxReviewNoteLength = 2000;
// Any other free text: plan section text fields, notes on commands.
inline constexpr std::size_t kMaxTextLength = 4000;
// Items of any repeated field (medications, contacts, allowed users, ...).
inline constexpr std::size_t kMaxRepeatedItems = 200;

// ---- whole messages (bytes) ----
// One plan section value (UpdatePlanSection.value), encoded.
inline constexpr std::size_t kMaxSectionBytes = 64 * 1024;
// One command, encoded.
inline constexpr std::size_t kMaxCommandBytes = 256 * 1024;
// One line of `careledger submit` (a command in JSON), before it is parsed.
inline constexpr std::size_t kMaxCommandLineBytes = 1024 * 1024;

// ---- what a refusal record keeps of untrusted input (characters) ----
// An id, subject or actor field of a refused command: escaped, then cut
// (events/text.h: RecordableText).
inline constexpr std::size_t kMaxRecordedIdLength = 64;
// The reason of a refusal (careledger's own words, which may quote bounded
// input; the longest, every missing mandatory field, is about 950).
inline constexpr std::size_t kMaxRecordedReasonLength = 2000;

// ---- refused attempts (ledger/refusal_limiter.h) ----
// Refusals recorded in full per user id and device id in one window; more
// are counted and recorded as one summary access record.
inline constexpr int kRefusalBudget = 20;
inline constexpr absl::Duration kRefusalWindow = absl::Minutes(1);
// Within a window, a summary is also recorded each time this many refusals
// have been counted since the last record, so a long flood leaves a trace as
// it goes.
inline constexpr int kRefusalSummaryEvery = 1000;
// Users and devices tracked at once; past it, refusals of new ones are
// recorded in full (each record is small: its ids are cut).
inline constexpr std::size_t kRefusalLimiterKeys = 10'000;

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_LIMITS_H_
