#include "daemon/hardware.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "daemon/io.hpp"
#include "daemon/link_monitor.hpp"
#include "log/log.hpp"
#include "phc/linux_ptp_clock.hpp"
#include "pps/pps_device.hpp"

namespace nanotime::ppsd {
namespace {

// The kernel's GPIO PPS (/dev/ppsN of the pps-gpio overlay) as the conductor's port.
class KernelGpioPps final : public conductor::GpioPpsSource {
 public:
  explicit KernelGpioPps(const std::string& path) : device_(open(path)) {}
  std::optional<pps::PpsTimestamp> latest_assert() override { return device_.latest_assert(); }
  std::string describe() const override { return device_.path(); }

 private:
  // The key's name in the error: the user finds what to fix in nanotime.toml.
  static pps::PpsDevice open(const std::string& path) {
    try {
      return pps::PpsDevice(phc::linux_syscalls(), path);
    } catch (const pps::PpsError& e) {
      throw std::runtime_error("gpio_pps_device = \"" + path + "\": " + e.what() +
                               " (set gpio_pps_device = \"\" to run without the GPIO PPS)");
    }
  }
  pps::PpsDevice device_;
};

}  // namespace

std::string clock_name_of(const std::string& device) {
  // /dev/ptp0 may be a udev symlink (/dev/ptp_eth0): sysfs is named after the real node.
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(device, ec);
  const std::string node = (ec ? std::filesystem::path(device) : real).filename().string();
  std::ifstream in("/sys/class/ptp/" + node + "/clock_name");
  std::string name;
  std::getline(in, name);
  return name;
}

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
    clock_name_ = clock_name_of(device);
    if (!c.gpio_pps_device.empty()) gpio_ = std::make_unique<KernelGpioPps>(c.gpio_pps_device);
    if (!c.temperature_file.empty()) {
      temperature_ = std::make_unique<FileTemperature>(c.temperature_file);
    }
  }

  phc::PtpClock& clock() override { return *phc_; }
  conductor::LinkSource* link() override { return link_.get(); }
  conductor::TemperatureSource* temperature() override { return temperature_.get(); }
  conductor::TodSource* tod() override { return nullptr; }
  std::string describe() const override { return name_; }
  std::string clock_name() const override { return clock_name_; }
  conductor::GpioPpsSource* gpio_pps() override { return gpio_.get(); }

 private:
  std::unique_ptr<NetlinkLinkSource> link_;
  std::unique_ptr<phc::LinuxPtpClock> phc_;
  std::unique_ptr<FileTemperature> temperature_;
  std::unique_ptr<KernelGpioPps> gpio_;
  std::string name_;
  std::string clock_name_;
};

}  // namespace

std::unique_ptr<conductor::Backend> make_hardware(const DaemonConfig& config) {
  return std::make_unique<Hardware>(config);
}

}  // namespace nanotime::ppsd
