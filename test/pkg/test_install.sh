#!/bin/sh
# Installs rpool into prefixes under BUILD/pkgtest, with make install and
# with cmake --install, and builds consumers the ways users do: pkg-config,
# CMake find_package, CMake add_subdirectory and FetchContent. Checks the
# versions of rpool.pc, rpoolConfigVersion.cmake and the CMakeLists.txt
# against rpool.h, and that uninstall removes exactly what install added.
# Where pkg-config, cmake or git is missing, its tests are skipped with a
# note and counted as passed (make test-install installs them first).
#
# usage: test_install.sh BUILD CC MAKE   (from the repository root)
# Ends with "N passed, M failed".
set -u
build=${1:-build}
cc=${2:-cc}
make=${3:-make}
root=$(pwd -P)
# CMake reports the paths it finds in canonical form: so must the paths
# this script compares with them, however BUILD is spelled (relative,
# absolute, with "..", "//" or a trailing slash).
mkdir -p "$build" || exit 1
work=$(cd "$build" && pwd -P)/pkgtest
log=$work/log
passed=0
failed=0

# The outer make's flags (jobserver, CC=..., BUILD=...) are not for these
# inner runs: they get exactly what they are given.
unset MAKEFLAGS MFLAGS MAKELEVEL

rm -rf "$work"
mkdir -p "$work"

pass() { echo "ok   $1"; passed=$((passed + 1)); }
skip() { echo "skip $1: $2"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1"
    [ -s "$log" ] && sed 's/^/    /' "$log" | tail -n 30
    failed=$((failed + 1))
}
# check NAME COMMAND...: the test passes when the command succeeds.
check() {
    name=$1
    shift
    if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name"; fi
}

part() { sed -n "s/^#define RPOOL_VERSION_$1 *\\([0-9][0-9]*\\).*/\\1/p" rpool.h; }
version="$(part MAJOR).$(part MINOR).$(part PATCH)"
string=$(sed -n 's/^#define RPOOL_VERSION_STRING "\(.*\)".*/\1/p' rpool.h)

# A listing of every file and directory under $1, for before/after checks.
tree() { (cd "$1" && find . | LC_ALL=C sort); }

expected_files() {
    printf '%s\n' ./include/rpool.h ./include/rpool_impl.h \
        ./lib/cmake/rpool/rpoolConfig.cmake ./lib/cmake/rpool/rpoolConfigVersion.cmake \
        ./lib/pkgconfig/rpool.pc
}

# ---- tests -----------------------------------------------------------------

version_string_matches_its_parts() {
    echo "RPOOL_VERSION_STRING \"$string\", parts $version"
    [ "$string" = "$version" ]
}

prefix=$work/prefix
install_puts_five_files_under_prefix() {
    "$make" --no-print-directory install PREFIX="$prefix" BUILD="$build" || return 1
    (cd "$prefix" && find . -type f | LC_ALL=C sort) > "$work/got"
    expected_files > "$work/want"
    diff "$work/want" "$work/got" &&
        cmp rpool.h "$prefix/include/rpool.h" &&
        cmp rpool_impl.h "$prefix/include/rpool_impl.h"
}

installed_versions_match_rpool_h() {
    pc=$(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/rpool.pc")
    cm=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' \
        "$prefix/lib/cmake/rpool/rpoolConfigVersion.cmake")
    echo "rpool.h $version, rpool.pc $pc, rpoolConfigVersion.cmake $cm"
    [ "$pc" = "$version" ] && [ "$cm" = "$version" ]
}

# $1: the prefix, $2: a name for the program.
pkg_config_consumer() {
    mv=$(PKG_CONFIG_PATH="$1/lib/pkgconfig" pkg-config --modversion rpool) || return 1
    cflags=$(PKG_CONFIG_PATH="$1/lib/pkgconfig" pkg-config --cflags rpool) || return 1
    libs=$(PKG_CONFIG_PATH="$1/lib/pkgconfig" pkg-config --libs rpool) || return 1
    echo "modversion $mv; cflags $cflags; libs $libs"
    [ "$mv" = "$version" ] || return 1
    case " $cflags " in *" -I$1/include -pthread "*) ;; *) return 1 ;; esac
    case " $libs " in *" -pthread "*) ;; *) return 1 ;; esac
    # shellcheck disable=SC2086 # word splitting of the flags is wanted
    "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror $cflags -o "$work/$2" \
        test/pkg/consumer.c $libs || return 1
    out=$("$work/$2") || return 1
    echo "$out"
    [ "$out" = "rpool $version" ]
}
pkg_config_consumer_builds_and_runs() { pkg_config_consumer "$prefix" pc_consumer; }

# $1: the prefix, $2: a build directory under $work.
find_package_consumer() {
    dir=$work/$2
    CC=$cc cmake -S test/pkg/find_package -B "$dir" -DCMAKE_PREFIX_PATH="$1" \
        -DRPOOL_VERSION="$version" || return 1
    # The package came from this prefix, not from one installed elsewhere.
    grep -q "^rpool_DIR:PATH=$1/lib/cmake/rpool\$" "$dir/CMakeCache.txt" || return 1
    cmake --build "$dir" || return 1
    out=$("$dir/consumer") || return 1
    echo "$out"
    [ "$out" = "rpool $version" ]
}
cmake_find_package_consumer_builds_and_runs() { find_package_consumer "$prefix" find_package; }

# rpool's own CMake build, installed to a prefix given only at install time
# (--prefix): the same five files as make install's, byte for byte; then
# consumers build against that prefix. LIBDIR is named because
# GNUInstallDirs picks lib64 on some systems, where make install uses lib.
cmake_prefix=$work/cmake_prefix
cmake_install_writes_what_make_install_does() {
    dir=$work/cmake_build
    CC=$cc cmake -S "$root" -B "$dir" -DCMAKE_INSTALL_LIBDIR=lib || return 1
    cmake --build "$dir" || return 1
    cmake --install "$dir" --prefix "$cmake_prefix" || return 1
    "$make" --no-print-directory install DESTDIR="$work/make_copy" PREFIX="$cmake_prefix" \
        BUILD="$build" || return 1
    diff -r "$work/make_copy$cmake_prefix" "$cmake_prefix"
}
cmake_installed_pkg_config_consumer_builds_and_runs() {
    pkg_config_consumer "$cmake_prefix" cmake_pc_consumer
}
cmake_installed_find_package_consumer_builds_and_runs() {
    find_package_consumer "$cmake_prefix" cmake_find_package
}

# $1: add_subdirectory or FetchContent, $2...: more cmake arguments.
cmake_source_consumer() {
    dir=$work/$1
    via=$1
    shift
    CC=$cc cmake -S test/pkg/from_source -B "$dir" -DRPOOL_SOURCE_DIR="$root" \
        -DRPOOL_VIA="$via" -DRPOOL_VERSION="$version" "$@" || return 1
    cmake --build "$dir" || return 1
    out=$("$dir/app") || return 1
    echo "$out"
    [ "$out" = "rpool $version" ] || return 1
    # Taken as source, rpool adds nothing to its user's install.
    cmake --install "$dir" --prefix "$dir/installed" || return 1
    [ -z "$(find "$dir/installed" -type f 2>/dev/null)" ]
}
cmake_add_subdirectory_consumer_builds_and_runs() { cmake_source_consumer add_subdirectory; }

# The README's FetchContent block, run as written but for its <url>: that
# of a git repository holding this tree's CMake build on a branch "main".
cmake_fetchcontent_consumer_builds_and_runs() {
    block=$work/readme_fetchcontent.cmake
    awk '/^```cmake$/ { text = ""; inside = 1; next }
         /^```$/ && inside { if (text ~ /FetchContent_Declare/) printf "%s", text; inside = 0 }
         inside { text = text $0 "\n" }' README.md > "$block.readme"
    cat "$block.readme"
    [ "$(grep -c '<url>' "$block.readme")" -eq 1 ] || return 1
    origin=$work/origin
    mkdir -p "$origin" && cp -R CMakeLists.txt rpool.h rpool_impl.h rpool.pc.in cmake "$origin" ||
        return 1
    git -C "$origin" init -q && git -C "$origin" symbolic-ref HEAD refs/heads/main &&
        git -C "$origin" add . &&
        git -C "$origin" -c user.name=test -c user.email=test@example.invalid \
            -c commit.gpgsign=false commit -q -m "rpool for the FetchContent test" || return 1
    sed "s|<url>|file://$origin|" "$block.readme" > "$block" || return 1
    cmake_source_consumer FetchContent -DRPOOL_README_BLOCK="$block"
}

# Foreign files in the directories rpool shares survive install + uninstall,
# and the tree is exactly as before.
uninstall_removes_exactly_what_install_added() {
    p=$work/shared
    mkdir -p "$p/include" "$p/lib/pkgconfig" "$p/lib/cmake/other"
    echo '/* not ours */' > "$p/include/other.h"
    echo 'Name: other' > "$p/lib/pkgconfig/other.pc"
    echo '# not ours' > "$p/lib/cmake/other/otherConfig.cmake"
    tree "$p" > "$work/before"
    "$make" --no-print-directory install PREFIX="$p" BUILD="$build" || return 1
    "$make" --no-print-directory install PREFIX="$p" BUILD="$build" || return 1 # twice: repeatable
    [ -f "$p/include/rpool.h" ] || return 1
    "$make" --no-print-directory uninstall PREFIX="$p" BUILD="$build" || return 1
    tree "$p" > "$work/after"
    diff "$work/before" "$work/after"
}

# Into a prefix that has only an empty include/ (as /usr/local has on a new
# system): uninstall removes lib/ and everything install created under it,
# and keeps include/.
uninstall_removes_the_directories_install_created() {
    p=$work/created
    mkdir -p "$p/include"
    tree "$p" > "$work/before"
    "$make" --no-print-directory install PREFIX="$p" BUILD="$build" || return 1
    [ -f "$p/lib/cmake/rpool/rpoolConfig.cmake" ] || return 1
    "$make" --no-print-directory uninstall PREFIX="$p" BUILD="$build" || return 1
    tree "$p" > "$work/after"
    diff "$work/before" "$work/after"
}

# DESTDIR stages the files under PREFIX inside it; rpool.pc names the real
# prefix, and pkg-config's sysroot and the relocatable CMake package reach
# the staged copy.
destdir_stages_under_prefix() {
    stage=$work/stage
    "$make" --no-print-directory install DESTDIR="$stage" PREFIX=/opt/rpool BUILD="$build" ||
        return 1
    (cd "$stage/opt/rpool" && find . -type f | LC_ALL=C sort) > "$work/got"
    expected_files > "$work/want"
    diff "$work/want" "$work/got" || return 1
    grep -qx 'prefix=/opt/rpool' "$stage/opt/rpool/lib/pkgconfig/rpool.pc" || return 1
    [ "$(find "$stage" -type f | wc -l)" -eq 5 ] || return 1
    if command -v pkg-config >/dev/null 2>&1; then
        cflags=$(PKG_CONFIG_PATH="$stage/opt/rpool/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" \
            pkg-config --cflags rpool) || return 1
        echo "staged cflags: $cflags"
        case " $cflags " in *" -I$stage/opt/rpool/include "*) ;; *) return 1 ;; esac
    fi
    if command -v cmake >/dev/null 2>&1; then
        dir=$work/staged_cmake
        CC=$cc cmake -S test/pkg/find_package -B "$dir" -DCMAKE_PREFIX_PATH="$stage/opt/rpool" \
            -DRPOOL_VERSION="$version" || return 1
        cmake --build "$dir" && "$dir/consumer" || return 1
    fi
    "$make" --no-print-directory uninstall DESTDIR="$stage" PREFIX=/opt/rpool BUILD="$build" ||
        return 1
    # The stage did not exist: install created it, uninstall removes it.
    [ ! -e "$stage" ]
}

# Every file make install and cmake write (generated files, records, build
# trees) goes under BUILD or the prefix: the rest of the source tree is the
# same after this script as before. build/ is left out too, since other
# runs may write their BUILD there meanwhile.
bdir=$(cd "$build" && pwd -P)
case $bdir in
"$root"/*) build_in_tree=./${bdir#"$root"/} ;;
*) build_in_tree=./build ;;
esac
source_tree() {
    (cd "$root" && find . \( -path ./.git -o -path ./build -o -path "$build_in_tree" \) -prune \
        -o -print | LC_ALL=C sort)
}
source_tree > "$work/source_before"
install_writes_nothing_in_the_source_tree_outside_build() {
    source_tree > "$work/source_after"
    diff "$work/source_before" "$work/source_after"
}

# ---- run -------------------------------------------------------------------

check version_string_matches_its_parts version_string_matches_its_parts
check install_puts_five_files_under_prefix install_puts_five_files_under_prefix
check installed_versions_match_rpool_h installed_versions_match_rpool_h
if command -v pkg-config >/dev/null 2>&1; then
    check pkg_config_consumer_builds_and_runs pkg_config_consumer_builds_and_runs
else
    skip pkg_config_consumer_builds_and_runs "pkg-config is not installed"
fi
if command -v cmake >/dev/null 2>&1; then
    check cmake_find_package_consumer_builds_and_runs cmake_find_package_consumer_builds_and_runs
    check cmake_add_subdirectory_consumer_builds_and_runs \
        cmake_add_subdirectory_consumer_builds_and_runs
    if command -v git >/dev/null 2>&1; then
        check cmake_fetchcontent_consumer_builds_and_runs \
            cmake_fetchcontent_consumer_builds_and_runs
    else
        skip cmake_fetchcontent_consumer_builds_and_runs "git is not installed"
    fi
    check cmake_install_writes_what_make_install_does cmake_install_writes_what_make_install_does
    if command -v pkg-config >/dev/null 2>&1; then
        check cmake_installed_pkg_config_consumer_builds_and_runs \
            cmake_installed_pkg_config_consumer_builds_and_runs
    else
        skip cmake_installed_pkg_config_consumer_builds_and_runs "pkg-config is not installed"
    fi
    check cmake_installed_find_package_consumer_builds_and_runs \
        cmake_installed_find_package_consumer_builds_and_runs
else
    for name in cmake_find_package_consumer_builds_and_runs \
        cmake_add_subdirectory_consumer_builds_and_runs \
        cmake_fetchcontent_consumer_builds_and_runs \
        cmake_install_writes_what_make_install_does \
        cmake_installed_pkg_config_consumer_builds_and_runs \
        cmake_installed_find_package_consumer_builds_and_runs; do
        skip "$name" "cmake is not installed"
    done
fi
check uninstall_removes_exactly_what_install_added uninstall_removes_exactly_what_install_added
check uninstall_removes_the_directories_install_created \
    uninstall_removes_the_directories_install_created
check destdir_stages_under_prefix destdir_stages_under_prefix
check install_writes_nothing_in_the_source_tree_outside_build \
    install_writes_nothing_in_the_source_tree_outside_build

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
