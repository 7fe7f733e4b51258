# rpool_write_package_files(): writes rpool.pc, rpoolConfig.cmake and
# rpoolConfigVersion.cmake from their templates for the prefix being
# installed to. CMakeLists.txt calls it from `cmake --install`, since
# `--prefix` sets the prefix only then. The substitutions are those of the
# Makefile's `make install`, and the files come out the same.
#
#   source_dir   the rpool source tree (templates: rpool.pc.in, cmake/*.in)
#   output_dir   where to write the three files
#   version      MAJOR.MINOR.PATCH
#   includedir   where the headers go, relative to the prefix or absolute
#   cmakedir     where the CMake package goes, the same way

# Sets out to dir relative to CMAKE_INSTALL_PREFIX, or to "" when dir is an
# absolute path outside it (or the prefix itself).
function(rpool_relative_to_prefix out dir)
    if(NOT IS_ABSOLUTE "${dir}")
        set(${out} "${dir}" PARENT_SCOPE)
        return()
    endif()
    set(${out} "" PARENT_SCOPE)
    string(LENGTH "${CMAKE_INSTALL_PREFIX}/" length)
    string(FIND "${dir}" "${CMAKE_INSTALL_PREFIX}/" at)
    if(at EQUAL 0)
        string(SUBSTRING "${dir}" ${length} -1 relative)
        set(${out} "${relative}" PARENT_SCOPE)
    endif()
endfunction()

function(rpool_write_package_files source_dir output_dir version includedir cmakedir)
    # The templates' @NAME@ placeholders.
    set(VERSION "${version}")
    string(REPLACE "." ";" parts "${version}")
    list(GET parts 0 VERSION_MAJOR)
    list(GET parts 1 VERSION_MINOR)
    set(PREFIX "${CMAKE_INSTALL_PREFIX}")

    # Paths under the prefix are written relative to it: pkg-config's prefix
    # can be redefined, and the CMake package finds the prefix from its own
    # place, so a DESTDIR stage or a moved install works.
    rpool_relative_to_prefix(include_relative "${includedir}")
    if(NOT include_relative STREQUAL "")
        set(INCLUDEDIR "\${prefix}/${include_relative}")
        set(INCLUDEDIR_CMAKE "\${rpool_prefix_dir}/${include_relative}")
    else()
        set(INCLUDEDIR "${includedir}")
        set(INCLUDEDIR_CMAKE "${includedir}")
    endif()
    rpool_relative_to_prefix(cmake_relative "${cmakedir}")
    if(NOT cmake_relative STREQUAL "")
        string(REGEX REPLACE "[^/]+" ".." up "${cmake_relative}")
        set(PREFIX_FROM_HERE "\${CMAKE_CURRENT_LIST_DIR}/${up}")
    else()
        set(PREFIX_FROM_HERE "${CMAKE_INSTALL_PREFIX}")
    endif()

    configure_file("${source_dir}/rpool.pc.in" "${output_dir}/rpool.pc" @ONLY)
    configure_file("${source_dir}/cmake/rpoolConfig.cmake.in"
                   "${output_dir}/rpoolConfig.cmake" @ONLY)
    configure_file("${source_dir}/cmake/rpoolConfigVersion.cmake.in"
                   "${output_dir}/rpoolConfigVersion.cmake" @ONLY)
endfunction()
