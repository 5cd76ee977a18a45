# Zero-cost proxies and their tables (included from tests/predictors/CMakeLists.txt). The proxy API is
# torch-free, so the test compiles as a plain executable.
hwnas_add_test(test_proxies
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/proxies_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/proxies_table_test.cpp
  DEPS hwnas::predictors hwnas::spaces)
