# DC_WARN: the warning flags of our C/C++ in lib/ (each family.cmake adds
# them to its library). Included by CMakeLists.txt; tests/test_packaging.py
# also runs it alone (cmake -P) to check which flags a build gets.
#
# Warnings are errors only where we choose the compiler (make test, sanitize,
# wheel: -Ccmake.define.DC_WERROR=ON). A user's build from the sdist leaves it
# OFF, so a newer compiler's new warning cannot break their pip install.
option(DC_WERROR "Treat compiler warnings in our C/C++ as errors (development and CI builds)" OFF)
if(MSVC)
  set(DC_WARN /W3)
  set(DC_WARN_AS_ERROR /WX)
else()
  set(DC_WARN -Wall -Wextra)
  set(DC_WARN_AS_ERROR -Werror)
endif()
if(DC_WERROR)
  list(APPEND DC_WARN ${DC_WARN_AS_ERROR})
endif()
message(STATUS "dicomcodecs warning flags: ${DC_WARN}")
