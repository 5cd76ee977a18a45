# Run by ctest (label `install`): installs the hwnas build tree into a scratch prefix, configures and builds
# examples/custom_space on its own with find_package(hwnas), and loads the resulting plugin with the probe.
# Variables: HWNAS_BUILD_DIR, EXAMPLE_SOURCE_DIR, WORK_DIR, GENERATOR, CXX_COMPILER, CXX_LAUNCHER, PROBE.
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${result}): ${command}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/example-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

if(NOT EXISTS ${HWNAS_BUILD_DIR}/hwnasConfig.cmake)
  message(FATAL_ERROR "${HWNAS_BUILD_DIR} has no install rules: the top-level CMakeLists.txt must end with "
                      "include(cmake/install.cmake)")
endif()
run(${CMAKE_COMMAND} --install ${HWNAS_BUILD_DIR} --prefix ${prefix})
foreach(file lib/cmake/hwnas/hwnasConfig.cmake lib/cmake/hwnas/hwnasConfigVersion.cmake
             lib/cmake/hwnas/hwnasTargets.cmake include/hwnas/plugin/plugin_abi.h
             include/hwnas/plugin/space_plugin.h include/hwnas/spaces/search_space.h include/hwnas/core/graph.h)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "cmake --install did not install ${file}")
  endif()
endforeach()

set(configure ${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE_DIR} -B ${build} -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
              -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(CXX_LAUNCHER)
  list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
run(${configure})
run(${CMAKE_COMMAND} --build ${build})

file(GLOB plugin ${build}/*cifar_resnet_plugin*.so)
if(NOT plugin)
  message(FATAL_ERROR "the standalone build produced no cifar_resnet_plugin library in ${build}")
endif()
# ResNet-20 (d3,3,3:w16,32,64) has 272474 parameters; derivation in tests/plugin/plugin_loader_test.cpp.
run(${PROBE} ${plugin} cifar_resnet d3,3,3:w16,32,64)
if(NOT run_output MATCHES "cifar_resnet d3,3,3:w16,32,64 output=1x10 params=272474")
  message(FATAL_ERROR "unexpected probe output:\n${run_output}")
endif()
message(STATUS "standalone example plugin: ${run_output}")
