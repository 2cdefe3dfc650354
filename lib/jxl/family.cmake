# JPEG XL (.4.110, .4.111, .4.112): the libjxl glue (lib/jxl) + src/dicomcodecs/_jxl.pyx.
dc_require_pkg(LIBJXL libjxl libjxl-dev)
dc_require_pkg(LIBJXL_THREADS libjxl_threads libjxl-dev)
add_library(dc_jxl STATIC lib/jxl/dc_jxl.c)
target_compile_options(dc_jxl PRIVATE ${DC_WARN})
target_link_libraries(dc_jxl PUBLIC dc_common PkgConfig::LIBJXL PkgConfig::LIBJXL_THREADS)
dc_cython_extension(_jxl LIBS dc_jxl)
