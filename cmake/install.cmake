# Installation and the hwnas CMake package. Include at the END of the top-level CMakeLists.txt, after every
# add_subdirectory, so that all targets exist:   include(cmake/install.cmake)
#
# Installs the module libraries (static), their public headers, the `hwnas` program, and
# <prefix>/lib/cmake/hwnas/hwnasConfig.cmake so that another project can
#     find_package(hwnas REQUIRED)                    # hwnas::core, spaces, search, plugin, plugin_sdk
#     find_package(hwnas REQUIRED COMPONENTS torch)   # also nn, devices, predictors, frontends (LibTorch)
# The libraries are static: a library that links LibTorch privately still needs LibTorch when a consumer
# links it, so those live in a second export set (hwnasTorchTargets) loaded only with the `torch`
# component. A search-space plugin needs only hwnas::plugin_sdk (core + spaces + plugin headers).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HWNAS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hwnas)

# Modules in dependency order, so a module's dependencies are classified before it.
set(_hwnas_modules core spaces nn devices predictors frontends search plugin plugin_sdk)
set(_hwnas_plain_targets)
set(_hwnas_torch_targets)
set(_hwnas_torch_modules)
set(_hwnas_include_dirs)
foreach(_module IN LISTS _hwnas_modules)
  set(_target hwnas_${_module})
  if(NOT TARGET ${_target})
    continue()
  endif()
  # Torch-linked: links `torch` itself or depends on a module that does.
  get_target_property(_type ${_target} TYPE)
  set(_links)
  if(NOT _type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(_links ${_target} LINK_LIBRARIES)
  endif()
  get_target_property(_interface_links ${_target} INTERFACE_LINK_LIBRARIES)
  set(_uses_torch FALSE)
  foreach(_lib IN LISTS _links _interface_links)
    string(REGEX REPLACE "^hwnas::" "" _dep "${_lib}")
    if(_lib STREQUAL "torch" OR _lib MATCHES "LINK_ONLY:torch>" OR _dep IN_LIST _hwnas_torch_modules)
      set(_uses_torch TRUE)
    endif()
  endforeach()
  set_target_properties(${_target} PROPERTIES EXPORT_NAME ${_module})
  if(_uses_torch)
    list(APPEND _hwnas_torch_modules ${_module})
    list(APPEND _hwnas_torch_targets ${_target})
  else()
    list(APPEND _hwnas_plain_targets ${_target})
  endif()
  get_target_property(_source_dir ${_target} SOURCE_DIR)
  if(EXISTS ${_source_dir}/include)
    list(APPEND _hwnas_include_dirs ${_source_dir}/include)
  endif()
endforeach()
list(REMOVE_DUPLICATES _hwnas_include_dirs)
message(STATUS "hwnas install: ${_hwnas_plain_targets}; with LibTorch (component torch): ${_hwnas_torch_targets}")

install(TARGETS ${_hwnas_plain_targets} EXPORT hwnasTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET hwnas)
  install(TARGETS hwnas EXPORT hwnasTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT hwnasTargets NAMESPACE hwnas:: DESTINATION ${HWNAS_INSTALL_CMAKEDIR})

set(HWNAS_HAS_TORCH_TARGETS FALSE)
if(_hwnas_torch_targets)
  set(HWNAS_HAS_TORCH_TARGETS TRUE)
  install(TARGETS ${_hwnas_torch_targets} EXPORT hwnasTorchTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT hwnasTorchTargets NAMESPACE hwnas:: DESTINATION ${HWNAS_INSTALL_CMAKEDIR})
endif()

foreach(_dir IN LISTS _hwnas_include_dirs)
  install(DIRECTORY ${_dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

# The plugin ABI version, for plugin build scripts (hwnas_PLUGIN_ABI_VERSION).
set(HWNAS_PLUGIN_ABI_VERSION 0)
if(EXISTS ${PROJECT_SOURCE_DIR}/plugin/include/hwnas/plugin/plugin_abi.h)
  file(STRINGS ${PROJECT_SOURCE_DIR}/plugin/include/hwnas/plugin/plugin_abi.h _abi_line
       REGEX "^#define HWNAS_PLUGIN_ABI_VERSION ")
  string(REGEX MATCH "[0-9]+" HWNAS_PLUGIN_ABI_VERSION "${_abi_line}")
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hwnasConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hwnasConfig.cmake INSTALL_DESTINATION ${HWNAS_INSTALL_CMAKEDIR})
# 0.x: minor versions may break the API, so a consumer asking for 0.1 accepts 0.1.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hwnasConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
# FindOpenCVDnn.cmake travels with the config: the torch component's devices library links OpenCV DNN.
install(FILES ${PROJECT_BINARY_DIR}/hwnasConfig.cmake ${PROJECT_BINARY_DIR}/hwnasConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindOpenCVDnn.cmake
  DESTINATION ${HWNAS_INSTALL_CMAKEDIR})

# Shipped data (tables, default predictor sets). An installed hwnas finds it through HWNAS_DATA_DIR
# (core's compiled-in default is the source tree's data/). A proxy table still being completed
# (data/proxies/pending/) is read by nothing but the run that completes it, so it stays behind.
if(EXISTS ${PROJECT_SOURCE_DIR}/data)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/hwnas/data
          PATTERN "pending" EXCLUDE)
endif()
