# hwnas_add_library(NAME module SOURCES ... DEPS ... [TORCH])
# One static library per module with public headers under <module>/include. TORCH marks a module that
# compiles against LibTorch: it gets the precompiled torch header so each source does not re-parse it.
function(hwnas_add_library)
  cmake_parse_arguments(ARG "TORCH" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(hwnas_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(hwnas::${ARG_NAME} ALIAS hwnas_${ARG_NAME})
  target_include_directories(hwnas_${ARG_NAME} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  target_link_libraries(hwnas_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(hwnas_${ARG_NAME} PRIVATE -Wall -Wextra)
  target_compile_features(hwnas_${ARG_NAME} PUBLIC cxx_std_20)
  if(ARG_TORCH)
    target_link_libraries(hwnas_${ARG_NAME} PRIVATE torch)
    hwnas_use_torch_pch(hwnas_${ARG_NAME})
  endif()
endfunction()

# A single precompiled torch header shared by every torch-using target.
function(hwnas_use_torch_pch target)
  if(NOT TARGET hwnas_torch_pch)
    add_library(hwnas_torch_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
    target_link_libraries(hwnas_torch_pch PRIVATE torch)
    target_compile_options(hwnas_torch_pch PRIVATE -Wall -Wextra)
    target_precompile_headers(hwnas_torch_pch PRIVATE <torch/torch.h> <torch/script.h>)
  endif()
  target_precompile_headers(${target} REUSE_FROM hwnas_torch_pch)
endfunction()
