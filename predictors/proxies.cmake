# Zero-cost proxies (grad_norm, snip, grasp, fisher, jacob_cov, synflow, naswot, zen, plain, l2_norm,
# params, flops) and their CSV tables. Included from predictors/CMakeLists.txt; they run the graphs
# through the LibTorch bridge (hwnas::nn's internal GraphModule).
target_sources(hwnas_predictors PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/proxies/graph_variants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/proxies/zero_cost_proxies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/proxies/proxy_table.cpp)
target_link_libraries(hwnas_predictors PRIVATE hwnas::nn)
