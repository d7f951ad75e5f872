// `nanotime-receiver status`: what the receiver is and does, and how its configuration compares
// with [receiver]. Polls what it needs (so the output rates do not matter), then listens a few
// seconds for TIM-TP.
#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "config/keys.hpp"
#include "receiver/readback.hpp"
#include "ubx/messages.hpp"

namespace nanotime::rcv {
namespace {

constexpr int kListenForTimTpMs = 2500;

void poll_state(Context& c) {
  const std::uint8_t rf_id = c.gen == receiver::Generation::m8 ? ubx::id::mon_hw : ubx::id::mon_rf;
  std::vector<receiver::Request> reqs = {
      {receiver::Frame{receiver::kClsTim, ubx::id::tim_svin, {}}, false, receiver::kClsTim,
       ubx::id::tim_svin, {}, "poll TIM-SVIN"},
      {receiver::Frame{receiver::kClsMon, rf_id, {}}, false, receiver::kClsMon, rf_id, {},
       "poll MON-HW/RF"},
      {receiver::Frame{receiver::kClsNav, ubx::id::nav_pvt, {}}, false, receiver::kClsNav,
       ubx::id::nav_pvt, {}, "poll NAV-PVT"}};
  receiver::Poll p(std::move(reqs), c.timing);
  c.link.run(p);  // the replies are folded into the link's ReceiverState
}

// The configured time mode (0 disabled, 1 survey-in, 2 fixed), read from the first setting.
std::string time_mode(const std::optional<std::int64_t>& mode, const ubx::SurveyState& svin) {
  if (!mode) return "unknown";
  switch (*mode) {
    case 0: return "navigation";
    case 1: return svin.valid ? "fixed" : "survey_in";
    case 2: return "fixed";
    default: return "unknown";
  }
}

struct View {
  std::string transport, model, firmware, generation, mode, antenna, jamming_state;
  ubx::SurveyState survey;
  std::optional<int> jamming, satellites;
  bool timtp = false;
  std::vector<std::string> differences;
  std::vector<std::string> unsupported;
};

std::string opt(const std::optional<int>& v) { return v ? std::to_string(*v) : "null"; }

std::string render_json(const View& v) {
  std::string diffs;
  for (const auto& d : v.differences) diffs += (diffs.empty() ? "" : ", ") + config::quote(d);
  return fmt::format(
      "{{\"transport\": {}, \"model\": {}, \"firmware\": {}, \"generation\": {}, "
      "\"time_mode\": {}, \"survey\": {{\"active\": {}, \"valid\": {}, \"duration_s\": {}, "
      "\"accuracy_m\": {}, \"observations\": {}}}, \"antenna\": {}, \"jamming_indicator\": {}, "
      "\"jamming_state\": {}, \"satellites_used\": {}, \"timtp_present\": {}, "
      "\"configured_as_desired\": {}, \"differences\": [{}]}}\n",
      config::quote(v.transport), config::quote(v.model), config::quote(v.firmware),
      config::quote(v.generation), config::quote(v.mode), v.survey.active, v.survey.valid,
      v.survey.dur_s, config::number_literal(v.survey.accuracy_m), v.survey.observations,
      config::quote(v.antenna), opt(v.jamming), config::quote(v.jamming_state), opt(v.satellites),
      v.timtp, v.differences.empty(), diffs);
}

std::string render_text(const View& v) {
  std::string out = fmt::format("receiver    {}, firmware {}, generation {}\n", v.model,
                                v.firmware, v.generation);
  out += fmt::format("via         {}\n", v.transport);
  out += fmt::format("time mode   {}\n", v.mode);
  if (v.survey.active || v.survey.valid) {
    out += fmt::format("survey      {}, {} s, {:.2f} m, {} observations\n",
                       v.survey.valid ? "finished" : "in progress", v.survey.dur_s,
                       v.survey.accuracy_m, v.survey.observations);
  }
  out += fmt::format("antenna     {}\n", v.antenna);
  out += fmt::format("jamming     {} ({})\n", v.jamming ? std::to_string(*v.jamming) : "-",
                     v.jamming_state);
  out += fmt::format("satellites  {}\n", v.satellites ? std::to_string(*v.satellites) : "-");
  out += fmt::format("TIM-TP      {}\n", v.timtp ? "present (qErr available)" : "absent");
  if (!v.unsupported.empty()) {
    out += fmt::format("unsupported {} (not in this firmware, left alone)\n", fmt::join(v.unsupported, ", "));
  }
  if (v.differences.empty()) {
    out += "config      as [receiver] says\n";
  } else {
    out += fmt::format("config      {} setting(s) differ from [receiver] (run `nanotime receiver "
                       "configure`):\n",
                       v.differences.size());
    for (const auto& d : v.differences) out += "  " + d + "\n";
  }
  return out;
}

}  // namespace

int status(Context& c, bool json) {
  poll_state(c);
  const auto settings = receiver::plan(receiver::ReceiverSettings(rcv::settings(c.config)), c.gen);
  const ConfigReadback rb = read_back(c, settings);
  c.link.listen(kListenForTimTpMs);
  const ubx::ReceiverState& st = c.link.state();
  View v;
  v.transport = c.link.port().describe();
  v.model = c.id.info.model.empty() ? "(not reported)" : c.id.info.model;
  v.firmware = c.id.info.firmware;
  v.generation = std::string(ubx::to_string(c.id.info.generation));
  v.survey = st.survey;
  v.mode = time_mode(receiver::read_value(settings.front(), rb.rb), st.survey);
  v.antenna = std::string(ubx::to_string(st.antenna));
  if (st.jamming_indicator) v.jamming = *st.jamming_indicator;
  v.jamming_state = std::string(ubx::to_string(st.jamming_state));
  v.satellites = st.satellites_used;
  v.timtp = ubx::tim_tp_present(st, now_ms() * 1'000'000);
  for (const auto& ch : receiver::diff(rb.usable, rb.rb)) v.differences.push_back(receiver::describe(ch));
  v.unsupported = rb.unsupported;
  const std::string out = json ? render_json(v) : render_text(v);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace nanotime::rcv
