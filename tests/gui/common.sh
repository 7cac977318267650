# SPDX-License-Identifier: MIT
# Shared by the gui tests (sourced): a private Xvfb, a headless reference
# run of the guest for the glyphs, a kairo window, and reading its text.
# The caller sets kairo, reader, xclose, image and tmp, and defines nothing
# else it needs cleaned up: cleanup() kills what was started here.
xvfb_pid= kairo_pid= ref_pid= win=

cleanup() {
    for p in $kairo_pid $ref_pid $xvfb_pid; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}

fail() {
    echo "$test_name: $*"
    for f in kairo.err ref.err xvfb.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -20 "$tmp/$f"; }
    done
    [ -s "$tmp/screen.txt" ] && { echo "--- last text read off the window"; cat "$tmp/screen.txt"; }
    exit 1
}

# Poll CONDITION (a shell command) every 0.3 s for up to SECONDS.
wait_for() {
    secs=$1
    shift
    i=0
    while [ "$i" -lt $((secs * 10 / 3)) ]; do
        eval "$*" && return 0
        sleep 0.3
        i=$((i + 1))
    done
    return 1
}

# The reference for the glyphs: the image booted headless to its prompt
# (in the background; ref_wait collects it).
ref_start() {
    "$kairo" -display none -fda "$tmp/disk.img" -snapshot --deterministic \
        --max-insns 450000000 --dump-text -screendump "$tmp/ref.png" \
        > "$tmp/ref.txt" 2> "$tmp/ref.err" &
    ref_pid=$!
}
ref_wait() {
    wait "$ref_pid" 2>/dev/null
    ref_pid=
    grep -qF 'A:\>' "$tmp/ref.txt" || fail "the headless reference run did not reach A:\\>"
}

# A private X server on a free display number (Xvfb picks it).
xvfb_start() {
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3> "$tmp/display" \
        2> "$tmp/xvfb.log" &
    xvfb_pid=$!
    wait_for 15 '[ -s "$tmp/display" ]' || fail "Xvfb did not start"
    DISPLAY=:$(head -n1 "$tmp/display")
    export DISPLAY
}

# kairo -display sdl ARGS..., and its window.
find_window() {
    win=$(xdotool search --name '^Kairo' 2>/dev/null | head -n1)
    [ -n "$win" ]
}
kairo_start() {
    "$kairo" -display sdl -fda "$tmp/disk.img" -snapshot --timeout 120 "$@" \
        > "$tmp/exit.txt" 2> "$tmp/kairo.err" &
    kairo_pid=$!
    wait_for 20 find_window || fail "no Kairo window"
    echo "$test_name: window $win on $DISPLAY"
}

# From the guest image to its A:\> prompt in a focused window: the image
# copied, the headless reference run, Xvfb, and kairo -display sdl ARGS...
boot_to_prompt() {
    cp "$image" "$tmp/disk.img" || fail "cannot copy $image"
    chmod u+w "$tmp/disk.img"
    ref_start
    xvfb_start
    kairo_start "$@"
    ref_wait
    wait_for 40 'capture && grep -qF "A:\>" "$tmp/screen.txt"' || fail "no A:\\> prompt in the window"
    xdotool windowfocus --sync "$win" || fail "cannot focus the window"
}

# The window's text, read from its pixels into $tmp/screen.txt.
capture() {
    xwd -id "$win" -silent > "$tmp/window.xwd" 2>/dev/null &&
        "$reader" text "$tmp/window.xwd" "$tmp/ref.png" "$tmp/ref.txt" 9x16 > "$tmp/screen.txt"
}

# Close the window as a window manager would; kairo must end with 0
# through the window path within 10 s.
close_window() {
    "$xclose" "$win" || fail "cannot close the window"
    i=0
    while [ $i -lt 100 ] && kill -0 "$kairo_pid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 "$kairo_pid" 2>/dev/null && fail "kairo still running 10 s after the window closed"
    wait "$kairo_pid"
    status=$?
    kairo_pid=
    grep -q "display window closed" "$tmp/kairo.err" || fail "kairo did not end through the window"
    [ "$status" -eq 0 ] || fail "kairo exited with $status after the window closed, want 0"
}
