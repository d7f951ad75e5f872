# Runs `phc-pps-sync --simulate` as a user would: a bad profile exits 78 naming file:line; a
# good one writes the report with the contract's keys, identical on a second run.
# cmake -DBIN=<phc-pps-sync> -DPROFILE=<good.toml> -DWORK=<dir> -P check_simulate_command.cmake
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/bad.toml "[sim]\nduration_s = 100\n\n[gnss]\njitter_ns = 1\nsawtooth = 3\n")
execute_process(COMMAND ${BIN} --simulate ${WORK}/bad.toml RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 78)
  message(FATAL_ERROR "bad profile: exit ${rc}, expected 78\n${out}${err}")
endif()
if(NOT err MATCHES "bad.toml:6:1: \\[gnss\\] sawtooth: unknown key")
  message(FATAL_ERROR "bad profile: message lacks file:line and key: ${err}")
endif()
message(STATUS "bad profile: exit 78, ${err}")

execute_process(COMMAND ${BIN} --simulate ${WORK}/missing.toml RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 78 OR NOT err MATCHES "missing.toml")
  message(FATAL_ERROR "missing profile: exit ${rc}: ${err}")
endif()

foreach(run a b)
  execute_process(COMMAND ${BIN} --simulate ${PROFILE} --servo pi --seed 3 --duration 900 --report -
                  RESULT_VARIABLE rc OUTPUT_VARIABLE json_${run} ERROR_VARIABLE summary)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "simulate: exit ${rc}\n${summary}")
  endif()
endforeach()
if(NOT json_a STREQUAL json_b)
  message(FATAL_ERROR "same profile, seed and servo gave different reports")
endif()
foreach(key "\"servo\": \"pi\"" "\"seed\": 3" "\"duration_s\": 900" "\"lock_time_s\":"
            "\"true_error_ns\": {\"rms\":" "\"residual_ns\": {\"rms\":" "\"holdover\": ["
            "\"chrony\": {\"samples\":" "\"samples_over_1us\":" "\"pulses\": {\"seen\":"
            "\"lost\":" "\"outliers_rejected\":" "\"mislabelled\":" "\"steps\":")
  string(FIND "${json_a}" "${key}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "report lacks ${key}:\n${json_a}")
  endif()
endforeach()
if(NOT summary MATCHES "lock time" OR NOT summary MATCHES "true error")
  message(FATAL_ERROR "summary (stderr with --report -) lacks lock time / true error: ${summary}")
endif()
execute_process(COMMAND ${BIN} --simulate ${PROFILE} --servo no-such-servo --duration 10
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 64)
  message(FATAL_ERROR "unknown servo: exit ${rc}, expected 64: ${err}")
endif()
message(STATUS "report:\n${json_a}")
