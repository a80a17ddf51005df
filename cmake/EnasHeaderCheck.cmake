# enas_header_check: one translation unit per public header that includes only that header, so a
# header that leans on an include it does not make fails here by name. Opt-in (-DENAS_HEADER_CHECK=ON;
# about 80 translation units; about 8 CPU-minutes here).
#   cmake -S . -B build-headers -DENAS_HEADER_CHECK=ON && cmake --build build-headers --target enas_header_check
file(GLOB_RECURSE _enas_headers RELATIVE "${PROJECT_SOURCE_DIR}/include" CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/include/enas/*.hpp")
list(SORT _enas_headers)
set(_enas_header_sources)
foreach(_header IN LISTS _enas_headers)
  string(REGEX REPLACE "[/.]" "_" _stem "${_header}")
  set(_source "${PROJECT_BINARY_DIR}/header_check/${_stem}.cpp")
  set(_content "#include <${_header}>\n#include <${_header}>  // and its include guard\n")
  if(EXISTS "${_source}")
    file(READ "${_source}" _old)
  else()
    set(_old "")
  endif()
  if(NOT _old STREQUAL _content)
    file(WRITE "${_source}" "${_content}")
  endif()
  list(APPEND _enas_header_sources "${_source}")
endforeach()
add_library(enas_header_check OBJECT EXCLUDE_FROM_ALL ${_enas_header_sources})
target_link_libraries(enas_header_check PRIVATE enas::enas)
target_compile_options(enas_header_check PRIVATE -Wall -Wextra)
list(LENGTH _enas_headers _count)
message(STATUS "enas_header_check: ${_count} headers, each compiled on its own")
