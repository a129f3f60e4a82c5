# C++ messages for the containerd shim, generated at build time with protoc
# from the .proto files Debian's golang-github-containerd-*-dev and
# golang-github-gogo-protobuf-dev packages install (never copied into the
# repository), plus our own ttrpc framing messages (src/shim/ttrpc.proto).
# Defines the library whirl_shim_proto, or WHIRL_SHIM_PROTOS_FOUND=OFF.
# Static: the shim binary is exec'd for every `start` and `delete`; no
# relocation of a shared libprotobuf on each run.
set(Protobuf_USE_STATIC_LIBS ON)
find_package(Protobuf)
set(WHIRL_GOCODE_DIRS /usr/share/gocode/src /usr/share/go/src CACHE STRING "Where Go sources with .proto files live")
find_path(WHIRL_CONTAINERD_PROTO_ROOT github.com/containerd/containerd/runtime/v2/task/shim.proto PATHS ${WHIRL_GOCODE_DIRS} NO_DEFAULT_PATH)
find_path(WHIRL_CGROUPS_PROTO_ROOT github.com/containerd/cgroups/stats/v1/metrics.proto PATHS ${WHIRL_GOCODE_DIRS} NO_DEFAULT_PATH)
find_path(WHIRL_GOGO_PROTO_ROOT gogoproto/gogo.proto
  PATHS ${WHIRL_GOCODE_DIRS} PATH_SUFFIXES github.com/gogo/protobuf NO_DEFAULT_PATH)

set(WHIRL_SHIM_PROTOS_FOUND OFF)
if(NOT (Protobuf_FOUND AND Protobuf_PROTOC_EXECUTABLE AND WHIRL_CONTAINERD_PROTO_ROOT AND WHIRL_CGROUPS_PROTO_ROOT AND WHIRL_GOGO_PROTO_ROOT))
  message(WARNING "containerd shim not built: needs protoc, libprotobuf and the containerd/cgroups/gogo .proto files (scripts/install-deps.sh)")
  return()
endif()
set(WHIRL_SHIM_PROTOS_FOUND ON)

set(gen ${CMAKE_BINARY_DIR}/gen/proto)
file(MAKE_DIRECTORY ${gen})
# (import root, file relative to it)
set(WHIRL_SHIM_PROTO_FILES
  "${WHIRL_GOGO_PROTO_ROOT}|gogoproto/gogo.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/protobuf/plugin/fieldpath.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/api/types/mount.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/api/types/task/task.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/runtime/v2/task/shim.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/api/events/task.proto"
  "${WHIRL_CONTAINERD_PROTO_ROOT}|github.com/containerd/containerd/api/services/ttrpc/events/v1/events.proto"
  "${WHIRL_CGROUPS_PROTO_ROOT}|github.com/containerd/cgroups/stats/v1/metrics.proto"
  "${WHIRL_CGROUPS_PROTO_ROOT}|github.com/containerd/cgroups/v2/stats/metrics.proto"
  "${CMAKE_SOURCE_DIR}/src|shim/ttrpc.proto")

# protoc's C++ generator rejects `import weak` (a Google-internal feature),
# so each file is copied into the build tree with plain imports first.
set(src_tree ${CMAKE_BINARY_DIR}/gen/proto-src)
set(proto_srcs)
set(staged)
foreach(entry ${WHIRL_SHIM_PROTO_FILES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 root)
  list(GET parts 1 rel)
  get_filename_component(reldir ${rel} DIRECTORY)
  add_custom_command(OUTPUT ${src_tree}/${rel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${src_tree}/${reldir}
    COMMAND sed -e "s/^import weak /import /" ${root}/${rel} > ${src_tree}/${rel}
    DEPENDS ${root}/${rel})
  list(APPEND staged ${src_tree}/${rel})
endforeach()
foreach(entry ${WHIRL_SHIM_PROTO_FILES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 1 rel)
  string(REGEX REPLACE "\\.proto$" "" base "${rel}")
  add_custom_command(OUTPUT ${gen}/${base}.pb.cc ${gen}/${base}.pb.h
    COMMAND ${Protobuf_PROTOC_EXECUTABLE} --cpp_out=${gen} -I${src_tree} -I${Protobuf_INCLUDE_DIRS} ${src_tree}/${rel}
    DEPENDS ${staged} VERBATIM)
  list(APPEND proto_srcs ${gen}/${base}.pb.cc)
endforeach()

add_library(whirl_shim_proto STATIC ${proto_srcs})
target_include_directories(whirl_shim_proto SYSTEM PUBLIC ${gen} ${Protobuf_INCLUDE_DIRS})
target_link_libraries(whirl_shim_proto PUBLIC protobuf::libprotobuf)
# Generated code is not ours to warn about (or to sanitize-check for style).
target_compile_options(whirl_shim_proto PRIVATE -w)
