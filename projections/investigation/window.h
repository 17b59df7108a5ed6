// A user's audit records within a sliding window, for the rules that count
// (many_patients, repeated_refusals). Internal to the rules.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_WINDOW_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_WINDOW_H_

#include <deque>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"

namespace careledger::projections::investigation {

// The records within (at - span, at] of the latest `at` added.
struct Window {
  struct Item {
    absl::Time at;
    std::string nhs_number;
    careledger::v1::EventPosition position;
  };
  std::deque<Item> items;
  std::map<std::string, int> per_patient;
  bool over = false;  // over the threshold at the user's previous record

  // Adds `entry` (recorded at `at`, not before the previous one added) and
  // drops what fell out of the window.
  void Add(const careledger::v1::AuditEntry& entry, absl::Time at, absl::Duration span) {
    while (!items.empty() && items.front().at <= at - span) {
      auto it = per_patient.find(items.front().nhs_number);
      if (--it->second == 0) per_patient.erase(it);
      items.pop_front();
    }
    items.push_back(Item{at, entry.nhs_number(), entry.position()});
    ++per_patient[entry.nhs_number()];
  }

  // Whether the count `over_threshold` says is over now and was not at the
  // previous record: a window rule raises once per crossing.
  bool Crossed(bool over_threshold) {
    const bool crossed = over_threshold && !over;
    over = over_threshold;
    return crossed;
  }
};

}  // namespace careledger::projections::investigation

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_WINDOW_H_
