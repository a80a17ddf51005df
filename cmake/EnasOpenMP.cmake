# enas's own CPU loops (the PTB cell's nodes of one group, the channels-last batch norm) split
# their work with at::parallel_for. That function is inline in LibTorch's headers: with an
# OpenMP build of LibTorch it opens an OpenMP parallel region in the code that calls it, and only
# if that code is compiled with OpenMP; without the flag it runs the loop on one thread. So the
# targets that use enas get OpenMP when LibTorch's threads are OpenMP's and the compiler's
# runtime is the one LibTorch loads (GNU libgomp: Debian's LibTorch). Not with a PyTorch wheel,
# which bundles its own copy of libgomp under another name: a second runtime in the process
# would start a second pool of threads. Used by CMakeLists.txt and the installed enasConfig.cmake.
#
# enas_openmp_flag(<out>): ON when the OpenMP::OpenMP_CXX target should be linked.
include_guard(GLOBAL)

function(enas_openmp_flag out)
  set(flag OFF)
  set(why "")
  set(config_h "")
  foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
    if(EXISTS "${dir}/ATen/Config.h")
      set(config_h "${dir}/ATen/Config.h")
      break()
    endif()
  endforeach()
  if(config_h)
    file(STRINGS "${config_h}" parallel REGEX "^#define AT_PARALLEL_OPENMP 1")
  endif()
  # A wheel's copy: torch/lib/libgomp*.so* (or auditwheel's torch.libs/ beside torch/).
  file(GLOB bundled "${TORCH_INSTALL_PREFIX}/lib/libgomp*.so*" "${TORCH_INSTALL_PREFIX}/../torch.libs/libgomp*.so*")
  if(NOT parallel)
    set(why "LibTorch's threads are not OpenMP's")
  elseif(bundled)
    set(why "LibTorch bundles its own OpenMP runtime")
  else()
    find_package(OpenMP QUIET COMPONENTS CXX)
    if(NOT OpenMP_CXX_FOUND)
      set(why "the compiler has no OpenMP")
    elseif(NOT "gomp" IN_LIST OpenMP_CXX_LIB_NAMES)
      set(why "the compiler's OpenMP runtime (${OpenMP_CXX_LIB_NAMES}) is not LibTorch's libgomp")
    else()
      set(flag ON)
    endif()
  endif()
  set(${out} ${flag} PARENT_SCOPE)
  set(${out}_REASON "${why}" PARENT_SCOPE)
endfunction()
