# JPEG 2000 and HTJ2K: the engine-free codestream code (dc_j2k.c), the
# OpenJPEG glue (C) and the OpenJPH shim (C++ with a C
# interface) in lib/j2k + src/dicomcodecs/_j2k.pyx.
add_library(dc_j2k STATIC lib/j2k/dc_j2k.c lib/j2k/dc_openjpeg.c lib/j2k/dc_ojph.cpp lib/j2k/dc_guard.c)
target_compile_options(dc_j2k PRIVATE ${DC_WARN})
# OpenJPH's headers are not -Wextra clean: include them as system headers.
target_include_directories(dc_j2k SYSTEM PRIVATE ${OPENJPH_INCLUDE_DIR})
target_link_libraries(dc_j2k PUBLIC dc_common PkgConfig::OPENJP2 ${OPENJPH_LIBRARY})
dc_cython_extension(_j2k LIBS dc_j2k)
