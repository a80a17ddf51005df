# Finds what the enas target carries as usage requirements. Kept in one file so that the
# installed enasConfig.cmake asks for exactly the same packages (see enasConfig.cmake.in).
include(GNUInstallDirs)

find_package(Torch REQUIRED)
find_package(xtensor REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
