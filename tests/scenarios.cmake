# tests/scenarios.cmake - scenario runs as ctest cases (label scenario).
# Each built-in scenario runs with a few seeds and every variant; the run
# must exit 0 (all invariants held).  Added as scenarios land.
set(KVMSIM_SCENARIO_RUNS "")
foreach(run IN LISTS KVMSIM_SCENARIO_RUNS)
    string(REPLACE " " "_" tname "scenario_${run}")
    separate_arguments(args UNIX_COMMAND "${run}")
    add_test(NAME ${tname} COMMAND kvmsim run ${args})
    set_tests_properties(${tname} PROPERTIES LABELS scenario)
endforeach()
