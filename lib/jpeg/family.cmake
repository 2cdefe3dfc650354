# JPEG (.4.50/.4.51/.4.57/.4.70): our lossless + 12-bit codec (lib/jpeg/ljpeg_*.c),
# the libjpeg-turbo glue for 8-bit (lib/jpeg/dc_turbo.c), src/dicomcodecs/_jpeg.pyx.
file(GLOB DC_LJPEG_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/lib/jpeg/ljpeg_*.c)
add_library(dc_ljpeg STATIC ${DC_LJPEG_SOURCES})
target_compile_options(dc_ljpeg PRIVATE ${DC_WARN})
target_link_libraries(dc_ljpeg PUBLIC dc_common)

add_library(dc_turbo STATIC lib/jpeg/dc_turbo.c)
target_compile_options(dc_turbo PRIVATE ${DC_WARN})
target_link_libraries(dc_turbo PUBLIC dc_common PkgConfig::LIBJPEG)

dc_cython_extension(_jpeg LIBS dc_ljpeg dc_turbo)
