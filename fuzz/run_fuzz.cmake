# Run one libFuzzer target briefly and reproducibly for CTest:
#   cmake -DFUZZER=... -DSEEDS=dir -DWORK=dir -DRUNS=n -P run_fuzz.cmake
# The working corpus starts empty every time (so a run does not depend
# on earlier ones) and crash artifacts land in WORK, not in the sources.
foreach(var FUZZER SEEDS WORK RUNS)
	if(NOT DEFINED ${var})
		message(FATAL_ERROR "run_fuzz.cmake: ${var} not set")
	endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
execute_process(
	COMMAND ${FUZZER} -seed=1 -runs=${RUNS} -max_len=4096
		-max_total_time=25 -timeout=10 -print_final_stats=1
		-artifact_prefix=${WORK}/ ${WORK}/corpus ${SEEDS}
	RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "${FUZZER} failed (${rc}); artifacts in ${WORK}")
endif()
