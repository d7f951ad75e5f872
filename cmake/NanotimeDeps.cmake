# Every dependency comes from a Debian 12 package (scripts/test installs them).
find_package(PkgConfig REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(LIBGPS REQUIRED IMPORTED_TARGET libgps)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(NANOTIME_TESTS)
  find_package(Catch2 2 REQUIRED)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
endif()

# nanotime_add_library(NAME SOURCES... [DEPS ...]): one static library per lib/<concern>.
function(nanotime_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(nanotime_${name} STATIC ${ARG_SOURCES})
  target_include_directories(nanotime_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
  target_link_libraries(nanotime_${name} PUBLIC nanotime_options ${ARG_DEPS})
endfunction()

# nanotime_add_unit_test(NAME SOURCES... DEPS ...): a Catch2 executable registered with ctest.
# ARGS: Catch2 test specs for the `unit` run (e.g. "~[goals]~[.]" to leave slow cases to a
# separate `bench` entry).
function(nanotime_add_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;ARGS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE nanotime_options catch2_main ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# nanotime_add_integration_test(NAME SCRIPT [TIMEOUT s] [SERIAL]): a Python test against real
# daemons. Paths of the built programs are passed in the environment (NANOTIME_BIN_DIR).
# The harnesses keep every run private (temp dirs, port 0 or a free port, namespaces named
# "ntime-<pid>-…", a private IPC namespace for SHM), and these tests mostly wait on daemons, so
# ctest runs several at once. SERIAL runs a test alone: one that uses the host's defaults
# (status ports, /etc, systemd) or compares host-wide state (`ip netns list`) before and after.
function(nanotime_add_integration_test name script)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT" "" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${Python3_EXECUTABLE} -B ${script})
  if(ARG_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "NANOTIME_BIN_DIR=${PROJECT_BINARY_DIR}/bin;NANOTIME_SOURCE_DIR=${PROJECT_SOURCE_DIR};PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/integration")
endfunction()

# All executables land in build/bin so tests and scripts find them in one place.
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
