#!/bin/sh
# Runs the examples to completion and drives the echo server with
# echo_client. Each example checks its own invariants and exits non-zero
# when one breaks; this script adds the echo server's end-to-end checks.
#
#   usage: examples_test.sh EXAMPLES_DIR TEST_DIR
#
# Ends with "N passed, M failed" like every test program. Every step is
# bounded in time: `timeout` for the programs, a counted wait for the server.
ex=$1
tdir=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/rpool-examples.XXXXXX") || exit 1
passed=0
failed=0
server=

cleanup() {
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# Prints the server's output and the reason, for a failing step.
show() {
    echo "    $1"
    sed 's/^/    | /' "$out/server.txt"
}

# start_server IDLE_MS: port 0 makes the kernel pick a free port, which the
# server prints; sets $server (pid) and $port.
start_server() {
    : > "$out/server.txt"
    "$ex/echo_server" 0 "$1" > "$out/server.txt" 2>&1 &
    server=$!
    port=
    i=0
    while [ -z "$port" ] && [ $i -lt 100 ]; do
        sleep 0.05
        port=$(sed -n 's/^echo_server: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
               "$out/server.txt")
        i=$((i + 1))
    done
    [ -n "$port" ]
}

# stop_server: SIGTERM, then up to 5 s for a clean exit. Sets $status.
stop_server() {
    kill -TERM "$server"
    i=0
    while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$server" 2>/dev/null; then
        kill -KILL "$server"
        status=timeout
    else
        wait "$server"
        status=$?
    fi
    server=
}

# What the server's shutdown report must say in every run.
server_ok() {
    [ "$status" = 0 ] &&
        grep -q '^echo_server: SIGTERM, shutting down$' "$out/server.txt" &&
        grep -q '^pool: live 0,' "$out/server.txt" &&
        grep -q '^ok: [0-9]* sockets, each closed exactly once$' "$out/server.txt"
}

# accepted: the number of connections the server reports accepting.
accepted() {
    sed -n 's/^connections: \([0-9]*\) accepted.*/\1/p' "$out/server.txt"
}

t=game_entities_runs_with_its_invariants_held
if timeout 30 "$ex/game_entities" --frames 900 > "$out/game.txt" 2>&1 &&
   grep -q '^ok: [1-9][0-9]* stale target handles caught' "$out/game.txt"; then
    pass $t
else
    fail $t
    sed 's/^/    | /' "$out/game.txt"
fi

t=work_queue_processes_every_job_exactly_once
if timeout 30 "$ex/work_queue" --producers 3 --consumers 2 --jobs 20000 --queue 64 \
       > "$out/queue.txt" 2>&1 &&
   grep -q '^ok: every job processed exactly once' "$out/queue.txt"; then
    pass $t
else
    fail $t
    sed 's/^/    | /' "$out/queue.txt"
fi

# 128 connections at once, 32 of them gone mid-stream; then 32 new ones.
t=echo_server_serves_128_clients_through_abrupt_disconnects
if ! start_server 30000; then
    fail $t
    show "server did not start"
elif ! timeout 30 "$tdir/echo_client" "$port" echo 128 32 8 32; then
    stop_server
    fail $t
    show "client failed"
else
    stop_server
    # The last hang-ups may still be queued when SIGTERM comes: those
    # count as closed at exit.
    if server_ok && [ "$(accepted)" = 160 ] &&
       grep -q 'by the event loop, 0 by the idle reaper, [0-9]* at exit$' "$out/server.txt"; then
        pass $t
    else
        fail $t
        show "server exit status $status, or its report is wrong"
    fi
fi

t=echo_server_reaps_idle_connections_and_spares_busy_ones
if ! start_server 400; then
    fail $t
    show "server did not start"
elif ! timeout 30 "$tdir/echo_client" "$port" idle 40 400; then
    stop_server
    fail $t
    show "client failed"
else
    stop_server
    if server_ok && grep -q 'by the event loop, [1-9][0-9]* by the idle reaper' \
           "$out/server.txt"; then
        pass $t
    else
        fail $t
        show "server exit status $status, or its report is wrong"
    fi
fi

# Hang-ups timed to meet the reaper: the loop and the reaper release the
# same handles at the same moments. How often they collide is luck; that
# each socket is closed once, whoever wins, is checked by the server.
t=echo_server_closes_each_socket_once_when_loop_and_reaper_race
if ! start_server 3; then
    fail $t
    show "server did not start"
else
    timeout 30 "$tdir/echo_client" "$port" churn 1500 3 > /dev/null &
    c1=$!
    timeout 30 "$tdir/echo_client" "$port" churn 1500 3 > /dev/null
    r2=$?
    wait $c1
    r1=$?
    stop_server
    if [ $r1 = 0 ] && [ $r2 = 0 ] && server_ok && [ "$(accepted)" = 3000 ]; then
        pass $t
        sed -n 's/^release races lost/    release races lost/p' "$out/server.txt"
    else
        fail $t
        show "clients exited $r1 and $r2, server $status"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
