# JPEG-LS (.4.80/.4.81): our own codec in lib/jpegls + src/dicomcodecs/_jpegls.pyx.
add_library(dc_jpegls STATIC lib/jpegls/dc_jpegls.c lib/jpegls/jls_core.c
            lib/jpegls/jls_decode.c lib/jpegls/jls_encode.c)
target_compile_options(dc_jpegls PRIVATE ${DC_WARN})
target_link_libraries(dc_jpegls PUBLIC dc_common)
dc_cython_extension(_jpegls LIBS dc_jpegls)
