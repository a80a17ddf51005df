# Finds what the enas target carries as usage requirements. Kept in one file so that the
# installed enasConfig.cmake asks for exactly the same packages (see enasConfig.cmake.in).
include(GNUInstallDirs)

find_package(Torch REQUIRED)
find_package(xtensor REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

# A LibTorch built with CUDA compiles enas's CUDA code paths (streams, graphs, pinned host
# memory): ENAS_WITH_CUDA=1 on every target that uses enas. TorchConfig.cmake lists the CUDA
# libraries in TORCH_CUDA_LIBRARIES only when LibTorch has CUDA; the CPU builds ship the CUDA
# headers too, so the headers alone do not tell.
macro(enas_torch_cuda_flag out)
  if(TORCH_CUDA_LIBRARIES)
    set(${out} ON)
  else()
    set(${out} OFF)
  endif()
endmacro()

# LibTorch's c10d process groups (ProcessGroupGloo, TCPStore) are in libtorch_cpu, but the Gloo
# header ProcessGroupGloo.hpp includes comes with Gloo itself (Debian: libgloo-dev; a PyTorch
# installation's LibTorch ships it in its include folder). Found: ENAS_WITH_GLOO=1, and the
# programs can run as several processes (dist/process_group.hpp).
include(CheckIncludeFileCXX)
macro(enas_gloo_flag out)
  set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS})
  set(CMAKE_REQUIRED_QUIET ON)
  check_include_file_cxx("gloo/algorithm.h" ENAS_HAS_GLOO_HEADERS)
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_QUIET)
  if(ENAS_HAS_GLOO_HEADERS)
    set(${out} ON)
  else()
    set(${out} OFF)
  endif()
endmacro()
