# Deflated Image Frame Compression: the libdeflate glue (lib/deflate) + src/dicomcodecs/_deflate.pyx.
dc_require_pkg(LIBDEFLATE libdeflate libdeflate-dev)
add_library(dc_deflate STATIC lib/deflate/dc_deflate.c)
target_compile_options(dc_deflate PRIVATE ${DC_WARN})
target_link_libraries(dc_deflate PUBLIC dc_common PkgConfig::LIBDEFLATE)
dc_cython_extension(_deflate LIBS dc_deflate)
