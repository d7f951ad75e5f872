#include "receiver/apply.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace nanotime::receiver {
namespace {

constexpr std::uint8_t kIdAck = 0x01, kIdNak = 0x00;

}  // namespace

bool is_reset_sign(const std::string& line) {
  // The banner a u-blox receiver prints at start-up, in $GxTXT sentences.
  return line.size() > 6 && line[0] == '$' && line.compare(3, 3, "TXT") == 0 &&
         line.find("u-blox AG") != std::string::npos;
}

int answers(const Request& r, const Frame& f) {
  if (r.expect_ack) {
    if (f.msg_class != kClsAck || f.payload.size() < 2) return 0;
    if (f.payload[0] != r.frame.msg_class || f.payload[1] != r.frame.msg_id) return 0;
    return f.msg_id == kIdAck ? 1 : f.msg_id == kIdNak ? -1 : 0;
  }
  if (f.msg_class == kClsAck && f.msg_id == kIdNak && f.payload.size() >= 2 &&
      f.payload[0] == r.frame.msg_class && f.payload[1] == r.frame.msg_id) {
    return -1;  // a poll refused (e.g. VALGET of a key this firmware lacks)
  }
  if (f.msg_class != r.cls || f.msg_id != r.id || f.payload.size() < r.prefix.size()) return 0;
  return std::equal(r.prefix.begin(), r.prefix.end(), f.payload.begin()) ? 1 : 0;
}

Poll::Poll(std::vector<Request> requests, Timing t)
    : requests_(std::move(requests)), timing_(t), replies_(requests_.size()),
      refused_(requests_.size(), false) {}

const Request* Poll::pending() const { return at_ < requests_.size() ? &requests_[at_] : nullptr; }

void Poll::advance() {
  ++at_;
  tries_ = 0;
  ++step_;
}

void Poll::on_frame(const Frame& f) {
  const Request* r = pending();
  if (r == nullptr) return;
  const int a = answers(*r, f);
  if (a == 0) return;
  if (a > 0) {
    replies_[at_] = f;
  } else {
    refused_[at_] = true;
  }
  advance();
}

void Poll::on_timeout() {
  if (pending() == nullptr) return;
  if (tries_ < timing_.retries) {
    ++tries_;
    ++step_;  // the same request again
    return;
  }
  advance();
}

void Poll::abort() {
  at_ = requests_.size();
  ++step_;
}

bool Poll::any_answer() const {
  return std::ranges::any_of(replies_, [](const auto& r) { return r.has_value(); });
}

std::string to_string(Outcome o) {
  switch (o) {
    case Outcome::applied: return "applied";
    case Outcome::refused: return "refused";
    case Outcome::unanswered: return "unanswered";
    case Outcome::lost: return "lost";
    case Outcome::not_sent: return "not sent";
  }
  return "?";
}

bool Report::all_applied() const {
  return std::ranges::all_of(results, [](const auto& r) { return r.outcome == Outcome::applied; });
}

std::string Report::text() const {
  std::string out;
  std::size_t applied = 0;
  for (const SettingResult& r : results) {
    out += fmt::format("  {:<10} {}", to_string(r.outcome), describe(r.change));
    if (r.outcome == Outcome::lost) {
      out += fmt::format(" (reads {} now)", with_unit(r.read_after, r.change.setting->unit));
    }
    out += "\n";
    if (r.outcome == Outcome::applied) ++applied;
  }
  if (reset_seen) out += "  the receiver restarted during the configuration\n";
  out += fmt::format("{} of {} changes applied\n", applied, results.size());
  return out;
}

Apply::Apply(Generation g, std::vector<Change> changes, Readback before, std::uint8_t layers,
             Timing t)
    : gen_(g), timing_(t), readback_(std::move(before)) {
  for (Change& c : changes) report_.results.push_back({c, Outcome::not_sent, std::nullopt});
  acked_.assign(report_.results.size(), false);
  if (g == Generation::m8) {
    build_m8(readback_);
  } else {
    build_f9(layers);
  }
}

void Apply::build_m8(const Readback& before) {
  // Group the changes by message, in plan order; each group is written then read back.
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < report_.results.size(); ++i) {
    const std::string ident = m8_identity(report_.results[i].change.setting->m8);
    auto it = std::ranges::find_if(groups, [&](const auto& g) {
      return m8_identity(report_.results[g.front()].change.setting->m8) == ident;
    });
    if (it == groups.end()) {
      groups.push_back({i});
    } else {
      it->push_back(i);
    }
  }
  std::vector<Step> verifies;
  for (const auto& g : groups) {
    std::vector<const Setting*> settings;
    for (const std::size_t i : g) settings.push_back(report_.results[i].change.setting);
    const auto write = m8_write(settings, before);
    if (!write) continue;  // never read: stays "not sent"
    const M8Field& m = settings.front()->m8;
    steps_.push_back({Kind::write, {*write, true, 0, 0, {}, "write " + m.message}, g});
    Step verify{Kind::verify,
                {Frame{kClsCfg, m.id, m.poll}, false, kClsCfg, m.id, m.poll, "poll " + m.message}, g};
    steps_.push_back(verify);
    verifies.push_back(verify);
  }
  // Read everything back once more at the end: a reset after an earlier message loses it.
  final_verify_ = steps_.size();
  steps_.insert(steps_.end(), verifies.begin(), verifies.end());
}

void Apply::build_f9(std::uint8_t layers) {
  std::vector<const Setting*> keys;
  std::vector<std::size_t> all;
  std::vector<Setting> copies;
  for (std::size_t i = 0; i < report_.results.size(); ++i) {
    keys.push_back(report_.results[i].change.setting);
    all.push_back(i);
  }
  if (keys.empty()) return;
  for (Frame& f : f9_valset(keys, layers)) {
    steps_.push_back({Kind::write, {std::move(f), true, 0, 0, {}, "VALSET"}, all});
  }
  final_verify_ = steps_.size();
  // VALGET in the chunks read_requests makes (same order, same size).
  std::vector<Setting> plain;
  for (const Setting* s : keys) plain.push_back(*s);
  std::size_t first = 0;
  for (Request& r : read_requests(plain, Generation::f9)) {
    const std::size_t n = (r.frame.payload.size() - 4) / 4;
    std::vector<std::size_t> idx;
    for (std::size_t i = first; i < first + n; ++i) idx.push_back(i);
    first += n;
    steps_.push_back({Kind::verify, std::move(r), std::move(idx)});
  }
}

const Request* Apply::pending() const { return at_ < steps_.size() ? &steps_[at_].request : nullptr; }

void Apply::advance() {
  ++at_;
  tries_ = 0;
  ++step_;
}

void Apply::on_text(const std::string& line) {
  if (is_reset_sign(line)) report_.reset_seen = true;
}

void Apply::on_frame(const Frame& f) {
  if (pending() == nullptr) return;
  const int a = answers(steps_[at_].request, f);
  if (a != 0) finish_step(a, &f);
}

void Apply::on_verify_reply(const Step& s, const Frame& reply) {
  Readback rb;
  rb.absorb(reply);
  for (const std::size_t i : s.settings) {
    SettingResult& r = report_.results[i];
    if (!acked_[i]) continue;
    r.read_after = read_value(*r.change.setting, rb);
    r.outcome = r.read_after == r.change.to ? Outcome::applied : Outcome::lost;
  }
}

void Apply::finish_step(int answer, const Frame* reply) {
  const Step& s = steps_[at_];
  if (s.kind == Kind::write) {
    for (const std::size_t i : s.settings) {
      if (answer > 0) {
        acked_[i] = true;
      } else {
        report_.results[i].outcome = Outcome::refused;
      }
    }
    if (answer < 0 && gen_ == Generation::f9) {
      // The transaction is void: skip its remaining frames, still read back what is there.
      while (at_ + 1 < steps_.size() && steps_[at_ + 1].kind == Kind::write) ++at_;
    }
    if (answer < 0 && gen_ == Generation::m8) ++at_;  // nothing to read back for this message
  } else if (answer > 0) {
    on_verify_reply(s, *reply);
  } else {
    for (const std::size_t i : s.settings) {
      if (acked_[i]) report_.results[i].outcome = Outcome::unanswered;
    }
  }
  advance();
}

void Apply::give_up() {
  const Step& s = steps_[at_];
  for (const std::size_t i : s.settings) {
    SettingResult& r = report_.results[i];
    if (r.outcome == Outcome::not_sent || (acked_[i] && s.kind == Kind::verify)) {
      r.outcome = Outcome::unanswered;
    }
  }
  for (std::size_t i = 0; i < report_.results.size(); ++i) {
    if (acked_[i] && report_.results[i].outcome == Outcome::not_sent) {
      report_.results[i].outcome = Outcome::unanswered;
    }
  }
  // No more writes; but if the receiver merely restarted, the final read back still tells
  // which of the earlier changes it lost. Once that goes unanswered too, stop.
  at_ = at_ < final_verify_ ? final_verify_ : steps_.size();
  tries_ = 0;
  ++step_;
}

void Apply::on_timeout() {
  if (pending() == nullptr) return;
  if (tries_ < timing_.retries) {
    ++tries_;
    ++step_;
    return;
  }
  give_up();
}

void Apply::abort() {
  if (pending() != nullptr) give_up();
}

}  // namespace nanotime::receiver
