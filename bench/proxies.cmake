# The zero-cost proxies' benches (included from bench/CMakeLists.txt): cost per architecture, and
# agreement of the shipped table with trained accuracy.
add_executable(proxy_bench ${CMAKE_CURRENT_LIST_DIR}/proxy_bench.cpp)
target_link_libraries(proxy_bench PRIVATE hwnas::predictors hwnas::spaces)
# How well the shipped NB201 proxy table ranks trained accuracy, beside the original code's figures.
add_executable(proxy_accuracy_bench ${CMAKE_CURRENT_LIST_DIR}/proxy_accuracy_bench.cpp)
target_link_libraries(proxy_accuracy_bench PRIVATE hwnas::predictors hwnas::spaces)
