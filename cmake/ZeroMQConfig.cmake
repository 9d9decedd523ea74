# CMake package config for libzmq-rs, installed as <prefix>/lib/cmake/ZeroMQ/ZeroMQConfig.cmake.
# find_package(ZeroMQ) then offers the imported targets libzmq (shared) and libzmq-static, as
# libzmq's own config does, plus ZeroMQ_INCLUDE_DIR, ZeroMQ_LIBRARY and ZeroMQ_STATIC_LIBRARY.
# Paths are computed from this file's location, so the install prefix can be moved.

get_filename_component(_zmq_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

set(ZeroMQ_INCLUDE_DIR "${_zmq_prefix}/include")
set(ZeroMQ_LIBRARY "${_zmq_prefix}/lib/libzmq.so")
set(ZeroMQ_STATIC_LIBRARY "${_zmq_prefix}/lib/libzmq.a")

if(NOT TARGET libzmq)
  add_library(libzmq SHARED IMPORTED)
  set_target_properties(libzmq PROPERTIES
    IMPORTED_LOCATION "${_zmq_prefix}/lib/libzmq.so.5.2.5"
    IMPORTED_SONAME "libzmq.so.5"
    INTERFACE_INCLUDE_DIRECTORIES "${ZeroMQ_INCLUDE_DIR}")
endif()

if(NOT TARGET libzmq-static)
  find_package(Threads REQUIRED)
  add_library(libzmq-static STATIC IMPORTED)
  set_target_properties(libzmq-static PROPERTIES
    IMPORTED_LOCATION "${ZeroMQ_STATIC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ZeroMQ_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ZMQ_STATIC"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;dl;m;rt;gcc_s")
endif()

set(ZeroMQ_FOUND TRUE)
unset(_zmq_prefix)
