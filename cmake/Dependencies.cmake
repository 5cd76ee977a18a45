# Third-party dependencies, all from Debian packages (scripts/setup.sh installs them).
find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
find_package(CLI11 REQUIRED)
# Debian's libtorch-dev ships TorchConfig.cmake; its Caffe2 config pulls in optional CUDA/protobuf
# bits, which are absent here and are not needed for the CPU build.
find_package(Torch REQUIRED)
# OpenCV DNN: the opencv-cpu-t1 platform, a second inference engine to transfer predictors across.
list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_LIST_DIR})
find_package(OpenCVDnn REQUIRED)
if(HWNAS_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
