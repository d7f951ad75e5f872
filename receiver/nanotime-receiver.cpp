// nanotime-receiver: configures a u-blox timing receiver (LEA/NEO-M8T, ZED-F9T) for its best
// pulse -- survey-in then fixed-position time mode, TIM-TP (qErr), a pulse aligned to the second
// and only while locked, the antenna cable delay -- and enables what the daemons watch.
// Through gpsd while it runs, else directly on the serial port. Idempotent: reads back, changes
// only what differs. Exit status: 0 done / nothing to change, 1 partly applied or failed,
// 2 configuration or usage error, 3 no receiver answer / not a u-blox timing model.
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "config/config.hpp"

using namespace nanotime;
using namespace nanotime::rcv;

namespace {

struct Options {
  std::string config_path = kDefaultConfigPath;
  std::string transport = "auto";
  std::string gpsd;
  std::string device;
  int baud = 0;
  double timeout_s = 1.5;
  double deadline_s = 60;
  bool force = false;
  bool verbose = false;
};

void err(const std::string& s) { std::fprintf(stderr, "nanotime-receiver: %s\n", s.c_str()); }

// The configuration: the file (absent default file = defaults), then the command line.
std::optional<ReceiverConfig> load(const Options& o, const CLI::App& app) {
  ReceiverConfig c;
  struct stat st{};
  const bool explicit_path = app.count("--config") > 0;
  if (explicit_path || ::stat(o.config_path.c_str(), &st) == 0) {
    try {
      c = load_config_file(o.config_path);
    } catch (const config::ConfigError& e) {
      err(e.what());
      return std::nullopt;
    }
  }
  if (!o.gpsd.empty()) c.gpsd = o.gpsd;
  if (!o.device.empty()) c.device = o.device;
  if (o.baud != 0) c.baud = o.baud;
  return c;
}

std::unique_ptr<Port> connect(const Options& o, const ReceiverConfig& c) {
  const int timeout_ms = static_cast<int>(o.timeout_s * 1000);
  if (o.transport == "serial") {
    if (c.device.empty()) throw PortError("--transport serial needs --device (or device in [receiver])");
    return open_serial(c.device, c.baud);
  }
  try {
    return open_gpsd(c.gpsd, c.device, timeout_ms);
  } catch (const PortError& e) {
    if (o.transport == "gpsd" || c.device.empty()) throw;
    // gpsd is not running: the port is ours.
    std::fprintf(stderr, "nanotime-receiver: %s; using %s directly\n", e.what(), c.device.c_str());
    return open_serial(c.device, c.baud);
  }
}

std::vector<double> parse_triple(const std::string& s) {
  std::vector<double> v;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::size_t used = 0;
    try {
      v.push_back(std::stod(part, &used));
    } catch (const std::exception&) {
      throw CLI::ValidationError(fmt::format("\"{}\" is not a number", part));
    }
    if (used != part.size()) throw CLI::ValidationError(fmt::format("\"{}\" is not a number", part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (v.size() != 3) throw CLI::ValidationError("expected three comma-separated numbers");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nanotime-receiver: configure a u-blox timing receiver (M8T, F9T) for nanotime.\n"
               "Exit status 0 done or nothing to change, 1 partly applied or failed, 2 usage or "
               "configuration error, 3 no answer or not a u-blox timing receiver."};
  app.require_subcommand(1);
  Options o;
  app.add_option("-c,--config", o.config_path, "nanotime.toml with a [receiver] table")->capture_default_str();
  app.add_option("--transport", o.transport, "gpsd, serial, or auto (gpsd; serial when gpsd is not running)")
      ->check(CLI::IsMember({"auto", "gpsd", "serial"}))->capture_default_str();
  app.add_option("--gpsd", o.gpsd, "gpsd's address host:port (default from [receiver], 127.0.0.1:2947)");
  app.add_option("--device", o.device, "the receiver's serial port (through gpsd: gpsd's device path)");
  app.add_option("--baud", o.baud, "serial speed for direct access")
      ->check(CLI::IsMember({9600, 19200, 38400, 57600, 115200, 230400}));
  app.add_option("--timeout", o.timeout_s, "seconds to wait for each answer")->check(CLI::Range(0.1, 30.0))->capture_default_str();
  app.add_option("--deadline", o.deadline_s, "seconds for the whole run")->check(CLI::Range(1.0, 3600.0))->capture_default_str();
  app.add_flag("--force", o.force, "work with a receiver that is not a u-blox timing model (at your own risk)");
  app.add_flag("-v,--verbose", o.verbose, "log every frame sent and received to stderr");

  bool json = false, dry_run = false, restart = false, from_survey = false;
  std::string llh_s, ecef_s;
  auto* st = app.add_subcommand("status", "model, time mode, survey, antenna, jamming, satellites, "
                                          "TIM-TP, configured vs desired");
  st->add_flag("--json", json, "one JSON object");
  auto* cf = app.add_subcommand("configure", "apply [receiver]: change what differs");
  cf->add_flag("--dry-run", dry_run, "only print what would change");
  auto* sv = app.add_subcommand("survey", "survey-in with the configured limits, and its progress");
  sv->add_flag("--restart", restart, "start the survey again from the beginning");
  sv->add_flag("--dry-run", dry_run, "only print what would change");
  auto* fx = app.add_subcommand("fix-position", "fixed-position time mode at a known position");
  auto* g = fx->add_option_group("position", "where the antenna is")->require_option(1);
  g->add_option("--llh", llh_s, "LAT,LON,HEIGHT_M (degrees, metres above the ellipsoid)");
  g->add_option("--ecef", ecef_s, "X,Y,Z_M (metres)");
  g->add_flag("--from-survey", from_survey, "the mean position of the finished survey-in");
  fx->add_flag("--dry-run", dry_run, "only print what would change");
  app.add_subcommand("save", "copy the configuration in RAM to battery-backed RAM and flash");

  std::optional<receiver::Llh> llh;
  std::optional<receiver::Ecef> ecef;
  try {
    app.parse(argc, argv);
    if (!llh_s.empty()) {
      const auto v = parse_triple(llh_s);
      if (std::abs(v[0]) > 90 || std::abs(v[1]) > 180 || std::abs(v[2]) > 10000) {
        throw CLI::ValidationError("--llh: latitude within +-90, longitude +-180, height +-10000 m");
      }
      llh = receiver::Llh{v[0], v[1], v[2]};
    }
    if (!ecef_s.empty()) {
      const auto v = parse_triple(ecef_s);
      const double r_m = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      if (r_m < 6.3e6 || r_m > 6.4e6) throw CLI::ValidationError("--ecef: not on the Earth's surface");
      ecef = receiver::Ecef{v[0], v[1], v[2]};
    }
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  const auto config = load(o, app);
  if (!config) return kExitUsage;
  try {
    const auto port = connect(o, *config);
    Link link(*port, o.deadline_s, o.verbose);
    const receiver::Timing timing{o.timeout_s, 2};
    const auto id = identify(link, timing);
    if (!id) {
      err(fmt::format("no answer to MON-VER from {}: is a u-blox receiver connected, and "
                      "sending UBX?{}", port->describe(),
                      !port->describe().starts_with("gpsd") ? ""
                                              : " (through gpsd: gpsd must not run with -b, "
                                                "read-only, which drops every write silently)"));
      return kExitNoReceiver;
    }
    if (!id->info.timing_model && !o.force) {
      err(fmt::format("not a u-blox timing receiver ({}): nanotime-receiver configures LEA/NEO-M8T "
                      "and ZED-F9T; --force tries anyway", describe(*id)));
      return kExitNoReceiver;
    }
    if (!id->generation) {
      err(fmt::format("unsupported receiver generation ({})", describe(*id)));
      return kExitNoReceiver;
    }
    Context c{link, *id, *id->generation, timing, *config};
    if (o.verbose) std::fprintf(stderr, "receiver: %s via %s\n", describe(*id).c_str(), port->describe().c_str());
    if (*st) return status(c, json);
    if (*cf) return configure(c, settings(c.config), dry_run);
    if (*sv) return survey(c, restart, dry_run);
    if (*fx) return fix_position(c, llh, ecef, from_survey, o.force, dry_run);
    return save(c);
  } catch (const PortError& e) {
    err(e.what());
    return kExitNoReceiver;
  }
}
