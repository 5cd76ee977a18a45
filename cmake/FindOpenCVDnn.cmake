# Finds OpenCV's DNN module as Debian's libopencv-dnn-dev installs it, and defines OpenCV::dnn.
# (OpenCVConfig.cmake lives in Debian's libopencv-dev, which drags in every OpenCV module, GUI and video
# stacks included; the two libraries the opencv-cpu-t1 platform needs are found directly instead.)
include(FindPackageHandleStandardArgs)
find_path(OpenCVDnn_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4)
find_library(OpenCVDnn_CORE_LIBRARY opencv_core)
find_library(OpenCVDnn_DNN_LIBRARY opencv_dnn)
find_package_handle_standard_args(OpenCVDnn
  REQUIRED_VARS OpenCVDnn_DNN_LIBRARY OpenCVDnn_CORE_LIBRARY OpenCVDnn_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install Debian's libopencv-dnn-dev (scripts/setup.sh does)")
if(OpenCVDnn_FOUND AND NOT TARGET OpenCV::dnn)
  add_library(OpenCV::dnn INTERFACE IMPORTED)
  set_target_properties(OpenCV::dnn PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${OpenCVDnn_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${OpenCVDnn_DNN_LIBRARY};${OpenCVDnn_CORE_LIBRARY}")
endif()
