# RLE Lossless: our own C (lib/rle) + src/dicomcodecs/_rle.pyx.
add_library(dc_rle STATIC lib/rle/dc_rle.c)
target_compile_options(dc_rle PRIVATE ${DC_WARN})
target_link_libraries(dc_rle PUBLIC dc_common)
dc_cython_extension(_rle LIBS dc_rle)
