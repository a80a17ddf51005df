# Installs the enas build tree into a temporary prefix and builds examples/consumer against it
# with find_package(enas), then runs the consumer. Invoked by ctest (package.consumer).
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/consumer-build")
file(REMOVE_RECURSE "${WORK_DIR}")

execute_process(COMMAND "${CMAKE_COMMAND}" --install "${ENAS_BINARY_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install of enas into ${prefix} failed")
endif()
if(NOT EXISTS "${prefix}/share/cmake/enas/enasConfig.cmake" OR NOT EXISTS "${prefix}/include/enas/enas.hpp")
  message(FATAL_ERROR "the install lacks share/cmake/enas/enasConfig.cmake or include/enas/enas.hpp")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${build}"
                        "-DCMAKE_PREFIX_PATH=${prefix};${CMAKE_PREFIX_PATH_FOR_DEPS}" -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer against the installed enas failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer against the installed enas failed")
endif()
execute_process(COMMAND "${build}/enas_consumer" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message(STATUS "consumer printed: ${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1")
  message(FATAL_ERROR "the consumer did not run correctly (exit ${rc})")
endif()
