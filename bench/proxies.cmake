# Cost of the zero-cost proxies per architecture (included from bench/CMakeLists.txt).
add_executable(proxy_bench ${CMAKE_CURRENT_LIST_DIR}/proxy_bench.cpp)
target_link_libraries(proxy_bench PRIVATE hwnas::predictors hwnas::spaces)
