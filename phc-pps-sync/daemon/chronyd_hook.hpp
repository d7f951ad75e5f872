#pragma once
// chronyd's view (lib/chrony's poller) onto /metrics and /status "chronyd". Pure.

#include "chrony/chronyd_view.hpp"
#include "status/chronyd_metrics.hpp"

namespace nanotime::ppsd {

// Unreachable: reachable 0 and the rest absent. Reachable: every figure, phc_reach absent when
// chronyd has no source named like the PHC refclock.
void publish_chronyd(const chrony::ChronydView& view, status::ChronydMetrics& m);

}  // namespace nanotime::ppsd
