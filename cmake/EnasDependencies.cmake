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
