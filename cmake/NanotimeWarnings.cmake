# Compiler flags shared by every nanotime target (applied through nanotime_options).
add_library(nanotime_options INTERFACE)
target_compile_options(nanotime_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wundef)
if(NANOTIME_WERROR)
  target_compile_options(nanotime_options INTERFACE -Werror)
endif()
# chrony on 32-bit Debian 12 uses a 32-bit time_t: the SOCK datagram must match it
# (docs/hardware-notes.md#chrony-sock).
string(FIND "${CMAKE_CXX_FLAGS} ${CMAKE_C_FLAGS} ${CMAKE_CXX_FLAGS_INIT}" "_TIME_BITS=64" _tb)
if(NOT _tb EQUAL -1)
  message(FATAL_ERROR "_TIME_BITS=64 must not be set: chrony 4.3 on bookworm armhf expects 32-bit time_t")
endif()
if(NANOTIME_SANITIZE)
  target_compile_options(nanotime_options INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(nanotime_options INTERFACE -fsanitize=address,undefined)
endif()
