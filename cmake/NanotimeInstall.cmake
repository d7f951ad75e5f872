# Install rules: what `cmake --install` (and so the Debian package, debian/rules) puts where.
# Included at the end of the top-level CMakeLists.txt, after every target exists.
#
#   /usr/sbin/phc-pps-sync, /usr/sbin/gps-sock-bridge      the daemons
#   /usr/sbin/nanotime-setup, /usr/sbin/nanotime-doctor    administration (root) tools
#   /usr/sbin/nanotime-record                              `nanotime record` (root)
#   /usr/share/nanotime/python/nanotime/                   their Python modules
#   /etc/nanotime/nanotime.toml                            the daemons' configuration
#   /lib/systemd/system/{phc-pps-sync,gps-sock-bridge}.service
#   /usr/share/nanotime/chrony/nanotime.conf               chrony drop-in   } copied into /etc
#   /usr/share/nanotime/ptp4l/*.cfg                        ptp4l GM configs } by nanotime-setup
#   /usr/share/nanotime/systemd/ptp4l@.service.d/nanotime.conf  drop-in for Debian's ptp4l@
#   /usr/bin/nanotime                                      front-end (scripts/nanotime.sh)
#   /usr/share/man/man8/*.8, /usr/share/man/man1/*.1
# (nanotime-status and nanotime-receiver install themselves, from status/ and receiver/, to
# /usr/bin.)
#
# The chrony and ptp4l files are NOT installed into /etc/chrony or /etc/systemd directly: they
# would change chronyd's and ptp4l's behaviour on `apt install`, before the box is set up (an
# unconfigured ptp4l@ would not start at all: the drop-in's ConditionPathExists). nanotime-setup
# copies them, once it knows the board, the interface and the receiver.

include(GNUInstallDirs)

# Debian bookworm still ships units in /lib/systemd/system (dh_installsystemd looks there).
set(NANOTIME_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH
    "where the systemd units are installed")
set(NANOTIME_DATADIR "${CMAKE_INSTALL_DATADIR}/nanotime")

# A missing piece is a warning here (another part of the tree may be mid-edit); the package
# test (tests/integration/package) fails if a file is missing from the .deb.
function(nanotime_install_target target destination)
  if(TARGET ${target})
    install(TARGETS ${target} RUNTIME DESTINATION ${destination})
  else()
    message(WARNING "install: target ${target} does not exist, not installed")
  endif()
endfunction()

function(nanotime_install_file kind file destination)  # kind: FILES or PROGRAMS
  if(EXISTS ${PROJECT_SOURCE_DIR}/${file})
    install(${kind} ${PROJECT_SOURCE_DIR}/${file} DESTINATION ${destination})
  else()
    message(WARNING "install: ${file} does not exist, not installed")
  endif()
endfunction()

# --- programs ---
nanotime_install_target(phc-pps-sync ${CMAKE_INSTALL_SBINDIR})
nanotime_install_target(gps-sock-bridge ${CMAKE_INSTALL_SBINDIR})
nanotime_install_file(PROGRAMS scripts/nanotime-setup ${CMAKE_INSTALL_SBINDIR})
nanotime_install_file(PROGRAMS scripts/nanotime-doctor ${CMAKE_INSTALL_SBINDIR})
nanotime_install_file(PROGRAMS scripts/nanotime-record ${CMAKE_INSTALL_SBINDIR})
# The user's front-end, `nanotime status|doctor|setup|...` (nanotime(1)).
if(EXISTS ${PROJECT_SOURCE_DIR}/scripts/nanotime.sh)
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/nanotime.sh DESTINATION ${CMAKE_INSTALL_BINDIR}
          RENAME nanotime)
else()
  message(WARNING "install: scripts/nanotime.sh does not exist, not installed")
endif()
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/nanotime)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/nanotime
          DESTINATION ${NANOTIME_DATADIR}/python
          FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
endif()

# --- configuration and data ---
install(FILES ${PROJECT_SOURCE_DIR}/etc/nanotime.toml
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/nanotime)
nanotime_install_file(FILES chrony-confs/nanotime.conf ${NANOTIME_DATADIR}/chrony)
file(GLOB _nanotime_ptp4l_cfgs ${PROJECT_SOURCE_DIR}/ptp4l-configs/*.cfg)
install(FILES ${_nanotime_ptp4l_cfgs} DESTINATION ${NANOTIME_DATADIR}/ptp4l)
nanotime_install_file(FILES ptp4l-configs/ptp4l@.service.d/nanotime.conf
                      ${NANOTIME_DATADIR}/systemd/ptp4l@.service.d)

# --- systemd units ---
nanotime_install_file(FILES systemd/phc-pps-sync.service ${NANOTIME_SYSTEMD_UNITDIR})
nanotime_install_file(FILES systemd/gps-sock-bridge.service ${NANOTIME_SYSTEMD_UNITDIR})

# --- manual pages ---
foreach(page gps-sock-bridge/gps-sock-bridge.8 phc-pps-sync/phc-pps-sync.8
             scripts/nanotime-setup.8 scripts/nanotime-doctor.8)
  nanotime_install_file(FILES ${page} ${CMAKE_INSTALL_MANDIR}/man8)
endforeach()
# nanotime-status and nanotime (user commands): their pages.
file(GLOB _nanotime_status_pages ${PROJECT_SOURCE_DIR}/status/*.1)
install(FILES ${_nanotime_status_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
nanotime_install_file(FILES scripts/nanotime.1 ${CMAKE_INSTALL_MANDIR}/man1)
nanotime_install_file(FILES receiver/nanotime-receiver.1 ${CMAKE_INSTALL_MANDIR}/man1)

# --- nanotime_package: what the Debian package build compiles ---
# Only the installed programs and, with tests, the unit tests (what `ctest -L unit` runs) and
# refclock-feed (the armhf SOCK datagram check, scripts/package): not sim/bench/integration
# tools. Halves a cross build. `make install` must then not build `all` first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
add_custom_target(nanotime_package)
foreach(target phc-pps-sync gps-sock-bridge nanotime-status nanotime-receiver)
  if(TARGET ${target})
    add_dependencies(nanotime_package ${target})
  endif()
endforeach()

function(nanotime_collect_targets dir out)  # every target defined in dir and below
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    nanotime_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

if(NANOTIME_TESTS)
  file(GLOB _nanotime_unit_dirs LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/tests/unit/*)
  foreach(dir ${_nanotime_unit_dirs})
    if(EXISTS ${dir}/CMakeLists.txt)
      nanotime_collect_targets(${dir} _nanotime_unit_targets)
      foreach(target ${_nanotime_unit_targets})
        get_target_property(type ${target} TYPE)
        if(type STREQUAL "EXECUTABLE")
          add_dependencies(nanotime_package ${target})
        endif()
      endforeach()
    endif()
  endforeach()
  if(TARGET refclock-feed)
    add_dependencies(nanotime_package refclock-feed)
  endif()
endif()
