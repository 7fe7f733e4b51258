#!/bin/sh
# Compiles every ```c block of README.md (and runs the ones with a main), so
# the README cannot drift from the code. ```cpp blocks go through the C++
# compiler when there is one. Reads CC, CXX, CPPFLAGS, CFLAGS, LDLIBS, BUILD
# from the environment (make exports them).
: "${CC:=cc}" "${CXX:=c++}" "${BUILD:=build}" "${CPPFLAGS:=-I.}"
: "${CFLAGS:=-std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -pthread}" "${LDLIBS:=-pthread}"
dir="$BUILD/readme"
rm -rf "$dir" && mkdir -p "$dir"
awk -v dir="$dir" '
    /^```(c|cpp)$/ { n++; ext = substr($0, 4); file = sprintf("%s/snippet%02d.%s", dir, n, ext); next }
    /^```/ { file = ""; next }
    file != "" { print > file }
' README.md
passed=0
failed=0
for src in "$dir"/snippet*; do
    case "$src" in
    *.cpp)
        if ! command -v "$CXX" >/dev/null 2>&1; then
            echo "skip $src: no C++ compiler"
            continue
        fi
        build="$CXX -std=c++17 -Wall -Wextra -Werror $CPPFLAGS -pthread" ;;
    *) build="$CC $CPPFLAGS $CFLAGS" ;;
    esac
    if grep -q 'int main' "$src"; then
        $build -o "${src%.*}" "$src" $LDLIBS && "${src%.*}" >/dev/null
    else
        $build -c -o "${src%.*}.o" "$src"
    fi
    if [ $? -eq 0 ]; then
        echo "ok   $src"
        passed=$((passed + 1))
    else
        echo "FAIL $src"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
