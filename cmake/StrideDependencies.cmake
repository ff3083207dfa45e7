# Third-party libraries of the engine, all from the system (Debian packages by name; see
# packaging/debian-packages.txt). CMAKE_PREFIX_PATH may point at a folder of unpacked packages.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

find_path(UTF8PROC_INCLUDE_DIR utf8proc.h REQUIRED)
find_library(UTF8PROC_LIBRARY NAMES utf8proc REQUIRED)
add_library(stride::utf8proc UNKNOWN IMPORTED)
set_target_properties(stride::utf8proc PROPERTIES
  IMPORTED_LOCATION "${UTF8PROC_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${UTF8PROC_INCLUDE_DIR}")

find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h REQUIRED)
find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece REQUIRED)
add_library(stride::sentencepiece UNKNOWN IMPORTED)
set_target_properties(stride::sentencepiece PROPERTIES
  IMPORTED_LOCATION "${SENTENCEPIECE_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${SENTENCEPIECE_INCLUDE_DIR}")

if(STRIDE_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
