#include "recording/chain.hpp"

#include <charconv>

#include <fmt/format.h>

namespace nanotime::recording {
namespace {

std::string key(const Header& h, const std::string& k) {
  const auto it = h.find(k);
  return it == h.end() ? std::string() : it->second;
}

std::optional<std::int64_t> integer(const std::string& s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Chain::Chain(std::vector<Part> parts) : parts_(std::move(parts)) {
  if (parts_.empty()) throw ChainError("a chain of recordings needs at least one part");
  for (const Part& p : parts_) {
    try {
      readers_.push_back(std::make_unique<Reader>(p.bytes));
    } catch (const FormatError& e) {
      throw ChainError(fmt::format("{}: {}", p.name, e.what()));
    }
  }
  check_headers();
}

Chain::~Chain() = default;

const Header& Chain::header() const { return readers_.front()->header(); }

// Each part after the first: `continued`, the first part's run, the part number after the one
// before it. What a missing, repeated or reordered part breaks first is the number.
void Chain::check_headers() const {
  const Header& first = header();
  for (std::size_t i = 1; i < parts_.size(); ++i) {
    const Header& prev = readers_[i - 1]->header();
    const Header& h = readers_[i]->header();
    const std::string& name = parts_[i].name;
    const std::string& prev_name = parts_[i - 1].name;
    if (key(h, "run") != key(first, "run")) {
      throw ChainError(fmt::format("{}: part of run \"{}\", not of {}'s run \"{}\"", name,
                                   key(h, "run"), parts_[0].name, key(first, "run")));
    }
    const auto n = integer(key(h, "part"));
    const auto prev_n = integer(key(prev, "part"));
    if (!n || !prev_n) {
      throw ChainError(fmt::format("{}: no part number in its header (not a rotated recording)",
                                   !n ? name : prev_name));
    }
    if (*n != *prev_n + 1) throw ChainError(misplaced(i, *prev_n + 1));
    if (key(h, "origin") != "continued") {
      throw ChainError(fmt::format("{}: not a later part of a rotated recording (origin \"{}\", "
                                   "expected \"continued\")",
                                   name, key(h, "origin")));
    }
  }
}

// Part i is not the one expected after part i − 1: the expected one is given elsewhere (out
// of order) or not at all (missing).
std::string Chain::misplaced(std::size_t i, std::int64_t expected) const {
  const std::string head =
      fmt::format("{} is part {}, but part {} should follow {}", parts_[i].name,
                  key(readers_[i]->header(), "part"), expected, parts_[i - 1].name);
  for (std::size_t j = 0; j < parts_.size(); ++j) {
    const Header& h = readers_[j]->header();
    if (key(h, "run") == key(header(), "run") && integer(key(h, "part")) == expected) {
      return fmt::format("{}: the parts are out of order (part {} is {}, given as file {} of "
                         "{}); give them as numbered, part 0 first",
                         head, expected, parts_[j].name, j + 1, parts_.size());
    }
  }
  const std::string was = key(readers_[i]->header(), "previous_part");
  return fmt::format("{}: part {} is missing{}", head, expected,
                     was.empty() || expected + 1 != integer(key(readers_[i]->header(), "part"))
                         ? std::string()
                         : fmt::format(" (it was written as {})", was));
}

// The part before next_part read to its end, and the next part continues where it ended.
void Chain::check_join(std::size_t next_part) const {
  const Reader& prev = *readers_[next_part - 1];
  const std::string& prev_name = parts_[next_part - 1].name;
  const std::string& name = parts_[next_part].name;
  if (!prev.stop_message().empty()) {
    throw ChainError(fmt::format("{}: {}; the chain cannot go on to {}", prev_name,
                                 prev.stop_message(), name));
  }
  const auto continues = integer(key(readers_[next_part]->header(), "continues_mono_ns"));
  if (!continues) {
    throw ChainError(fmt::format("{}: no continues_mono_ns in its header, so it cannot be "
                                 "joined to {}",
                                 name, prev_name));
  }
  if (!last_mono_ns_ || *continues != *last_mono_ns_) {
    throw ChainError(fmt::format(
        "{} continues a part that ends at mono {} ns, but {} ends at {}: not the part before it",
        name, *continues, prev_name,
        last_mono_ns_ ? fmt::format("mono {} ns", *last_mono_ns_) : std::string("no record")));
  }
}

std::optional<Record> Chain::next() {
  for (;;) {
    if (std::optional<Record> r = readers_[current_]->next()) {
      last_mono_ns_ = r->mono_ns;
      return r;
    }
    if (current_ + 1 == readers_.size()) {
      const std::string& msg = readers_[current_]->stop_message();
      if (!msg.empty() && stop_.empty()) stop_ = fmt::format("{}: {}", parts_[current_].name, msg);
      return std::nullopt;
    }
    check_join(current_ + 1);
    ++current_;
    last_mono_ns_.reset();
  }
}

}  // namespace nanotime::recording
