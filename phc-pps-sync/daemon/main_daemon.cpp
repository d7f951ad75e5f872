// Temporary stand-alone entry point of the daemon mode (phc-pps-sync-daemon), for testing until
// phc-pps-sync/main.cpp dispatches to nanotime::ppsd::run_daemon.
#include "daemon/daemon.hpp"

int main(int argc, char** argv) { return nanotime::ppsd::daemon_main(argc, argv); }
