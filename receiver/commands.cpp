#include "commands.hpp"

#include <cmath>
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "config/keys.hpp"
#include "receiver/readback.hpp"
#include "ubx/messages.hpp"

namespace nanotime::rcv {
namespace {

using receiver::Generation;

void say(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// Polls `requests`; the answers go into `out`. Returns the indexes of the refused requests.
std::vector<std::size_t> poll_into(Context& c, std::vector<receiver::Request> requests,
                                   ConfigReadback& out) {
  receiver::Poll p(std::move(requests), c.timing);
  c.link.run(p);
  std::vector<std::size_t> refused;
  for (std::size_t i = 0; i < p.replies().size(); ++i) {
    if (p.replies()[i]) {
      out.rb.absorb(*p.replies()[i]);
      ++out.answered;
    } else if (p.refused(i)) {
      refused.push_back(i);
    }
  }
  return refused;
}

// Reads every setting back. A gen 9 VALGET with one key the firmware lacks is refused as a
// whole: such a chunk is asked again key by key, and the keys refused alone are left out (a
// VALSET with them would be refused as a whole too). A refused gen 8 poll: its message is
// left out.
ConfigReadback read_back_impl(Context& c, const std::vector<receiver::Setting>& settings) {
  ConfigReadback out;
  const auto requests = receiver::read_requests(settings, c.gen);
  const auto refused = poll_into(c, requests, out);
  std::vector<std::string> unknown;  // gen 8: message names; gen 9: key names
  for (const std::size_t i : refused) {
    if (c.gen == Generation::m8) {
      unknown.push_back(requests[i].what.substr(5));  // "poll CFG-GNSS"
      continue;
    }
    std::vector<receiver::Setting> chunk;
    for (const auto& s : settings) {
      const auto& p = requests[i].frame.payload;
      for (std::size_t off = 4; off + 4 <= p.size(); off += 4) {
        if (receiver::get_le(p, off, 4, false) == s.f9.id) chunk.push_back(s);
      }
    }
    std::vector<receiver::Request> singles;
    for (const auto& s : chunk) singles.push_back(receiver::read_requests({s}, c.gen).front());
    for (const std::size_t j : poll_into(c, singles, out)) unknown.push_back(chunk[j].name);
  }
  for (const auto& s : settings) {
    const bool gone = std::ranges::count(unknown, c.gen == Generation::m8 ? s.m8.message : s.name) > 0;
    if (gone) {
      out.unsupported.push_back(s.name);
    } else {
      out.usable.push_back(s);
    }
  }
  return out;
}

void say_unsupported(const ConfigReadback& r) {
  if (r.unsupported.empty()) return;
  say(fmt::format("left alone (the receiver refuses to read them: not in its firmware): {}\n",
                  fmt::join(r.unsupported, ", ")));
}

std::uint8_t layers(const Context& c) {
  return c.config.save ? (ubx::Layer::ram | ubx::Layer::bbr | ubx::Layer::flash) : ubx::Layer::ram;
}

// Copies the configuration in RAM to BBR and flash (CFG-CFG; the F9 accepts it too).
bool save_now(Context& c) {
  receiver::Poll p({{ubx::encode_cfg_cfg(ubx::cfg_save_all()), true, 0, 0, {}, "CFG-CFG save"}},
                   c.timing);
  c.link.run(p);
  return p.replies()[0].has_value();  // an ACK (a NAK or silence leaves none)
}

// Polls one message (TIM-SVIN, MON-HW, ...) that answers an empty poll.
std::optional<ubx::Frame> poll_one(Context& c, std::uint8_t cls, std::uint8_t id, const char* what) {
  receiver::Poll p({{receiver::Frame{cls, id, {}}, false, cls, id, {}, what}}, c.timing);
  c.link.run(p);
  return p.replies()[0];
}

std::optional<ubx::TimSvin> poll_svin(Context& c) {
  const auto f = poll_one(c, receiver::kClsTim, ubx::id::tim_svin, "poll TIM-SVIN");
  if (!f) return std::nullopt;
  const auto d = ubx::decode_tim_svin(*f);
  if (const auto* s = std::get_if<ubx::TimSvin>(&d)) return *s;
  return std::nullopt;
}

std::string survey_text(const ubx::TimSvin& s) {
  return fmt::format("{}, {} s, mean position known to {:.2f} m, {} observations",
                     s.valid ? "finished" : s.active ? "in progress" : "not running", s.dur_s,
                     s.accuracy_m(), s.obs);
}

}  // namespace

ConfigReadback read_back(Context& c, const std::vector<receiver::Setting>& settings) {
  return read_back_impl(c, settings);
}

int configure(Context& c, const receiver::ReceiverSettings& desired, bool dry_run) {
  const auto settings = receiver::plan(desired, c.gen);
  const ConfigReadback before = read_back(c, settings);
  if (before.answered == 0) {
    say(fmt::format("no answer to the configuration polls from {}\n", c.link.port().describe()));
    return kExitNoReceiver;
  }
  say_unsupported(before);
  const auto changes = receiver::diff(before.usable, before.rb);
  if (changes.empty()) {
    say("nothing to change: the receiver is configured as [receiver] says\n");
    return kExitOk;
  }
  say(fmt::format("{} setting{} differ{}:\n", changes.size(), changes.size() == 1 ? "" : "s",
                  changes.size() == 1 ? "s" : ""));
  for (const auto& ch : changes) say("  " + receiver::describe(ch) + "\n");
  if (dry_run) {
    say("dry run: nothing sent\n");
    return kExitOk;
  }
  receiver::Apply a(c.gen, changes, before.rb, layers(c), c.timing);
  c.link.run(a);
  say("result:\n" + a.report().text());
  if (!a.report().all_applied()) return kExitPartial;
  if (c.config.save && c.gen == Generation::m8 && !save_now(c)) {
    say("applied in RAM, but saving to BBR/flash (CFG-CFG) was not acknowledged\n");
    return kExitPartial;
  }
  if (c.config.save) say("saved to battery-backed RAM and flash\n");
  return kExitOk;
}

int survey(Context& c, bool restart, bool dry_run) {
  receiver::ReceiverSettings s = settings(c.config);
  s.mode = receiver::TimeMode::survey_in;
  s.fixed_llh.reset();
  s.fixed_ecef.reset();
  if (restart && !dry_run) {
    // A survey restarts when the mode goes through "disabled": write only that first.
    receiver::ReceiverSettings off = s;
    off.mode = receiver::TimeMode::disabled;
    auto mode = receiver::plan(off, c.gen);
    mode.resize(1);  // the time mode setting comes first in both plans
    const ConfigReadback rb = read_back(c, mode);
    const auto changes = receiver::diff(rb.usable, rb.rb);
    if (!changes.empty()) {
      receiver::Apply a(c.gen, changes, rb.rb, layers(c), c.timing);
      c.link.run(a);
      if (!a.report().all_applied()) {
        say("could not stop the running survey:\n" + a.report().text());
        return kExitPartial;
      }
    }
    say("survey-in restarted\n");
  }
  const int rc = configure(c, s, dry_run);
  if (rc != kExitOk) return rc;
  if (const auto svin = poll_svin(c)) {
    say("survey: " + survey_text(*svin) + "\n");
  } else {
    say("survey: no TIM-SVIN answer\n");
  }
  return kExitOk;
}

int fix_position(Context& c, std::optional<receiver::Llh> llh, std::optional<receiver::Ecef> ecef,
                 bool from_survey, bool force, bool dry_run) {
  if (from_survey) {
    const auto svin = poll_svin(c);
    if (!svin) {
      say("no TIM-SVIN answer: cannot read the surveyed position\n");
      return kExitPartial;
    }
    if (!svin->valid && !force) {
      say("the survey has not finished (" + survey_text(*svin) +
          "); wait for it, or --force to take the mean so far\n");
      return kExitPartial;
    }
    ecef = receiver::Ecef{svin->mean_x_cm / 100.0, svin->mean_y_cm / 100.0, svin->mean_z_cm / 100.0};
  }
  receiver::ReceiverSettings s = settings(c.config);
  s.mode = receiver::TimeMode::fixed;
  s.fixed_llh = llh;
  s.fixed_ecef = llh ? std::nullopt : ecef;
  const int rc = configure(c, s, dry_run);
  if (rc == kExitOk && !dry_run) {
    const std::string value =
        llh ? fmt::format("fixed_position_llh = [{}, {}, {}]", llh->lat_deg, llh->lon_deg, llh->height_m)
            : fmt::format("fixed_position_ecef = [{:.2f}, {:.2f}, {:.2f}]", ecef->x_m, ecef->y_m, ecef->z_m);
    say(fmt::format("to keep this position when `configure` runs again, set in [receiver]:\n  {}\n",
                    value));
  }
  return rc;
}

int save(Context& c) {
  if (!save_now(c)) {
    say("the receiver did not acknowledge CFG-CFG (save to BBR and flash)\n");
    return kExitPartial;
  }
  say("configuration saved to battery-backed RAM and flash\n");
  return kExitOk;
}

}  // namespace nanotime::rcv
