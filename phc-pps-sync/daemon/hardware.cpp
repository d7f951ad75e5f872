#include "daemon/hardware.hpp"

#include <string>

#include "daemon/io.hpp"
#include "daemon/link_monitor.hpp"
#include "log/log.hpp"
#include "phc/linux_ptp_clock.hpp"

namespace nanotime::ppsd {
namespace {

class Hardware final : public conductor::Backend {
 public:
  explicit Hardware(const DaemonConfig& c) {
    std::string device = c.device;
    if (!c.interface.empty()) {
      device = phc::phc_device_for_interface(phc::linux_syscalls(), c.interface);
      link_ = std::make_unique<NetlinkLinkSource>(c.interface);
    } else {
      log::info("device {} given without interface: the carrier is not watched", device);
    }
    phc_ = std::make_unique<phc::LinuxPtpClock>(phc::linux_syscalls(), device,
                                                phc::LinuxPtpClockOptions{c.max_freq_ppb});
    name_ = c.interface.empty() ? device : device + " (" + c.interface + ")";
    if (!c.temperature_file.empty()) {
      temperature_ = std::make_unique<FileTemperature>(c.temperature_file);
    }
  }

  phc::PtpClock& clock() override { return *phc_; }
  conductor::LinkSource* link() override { return link_.get(); }
  conductor::TemperatureSource* temperature() override { return temperature_.get(); }
  conductor::TodSource* tod() override { return nullptr; }
  std::string describe() const override { return name_; }

 private:
  std::unique_ptr<NetlinkLinkSource> link_;
  std::unique_ptr<phc::LinuxPtpClock> phc_;
  std::unique_ptr<FileTemperature> temperature_;
  std::string name_;
};

}  // namespace

std::unique_ptr<conductor::Backend> make_hardware(const DaemonConfig& config) {
  return std::make_unique<Hardware>(config);
}

}  // namespace nanotime::ppsd
