# SPDX-License-Identifier: MIT
# A private Xvfb for kairo-portd's window (sourced, bash; needs $work and
# the pids array of ns_lib.sh's scratch_work).
#
# Xvfb's stock keymap binds Ctrl+Alt+F1..F12 to XKB's SwitchScreen action
# (a VT switch): the server then swallows the key press and no client ever
# sees it. start_xvfb gives its Xvfb a copy of the XKB data whose compat
# map has no such action (-xkbdir), as a desktop without VTs (or a nested
# server) delivers the keys. setxkbmap -option srvrkeys:none does not help
# there: the XTEST keyboard device keeps the server's keymap.

# start_xvfb NAME: Xvfb on a free display, DISPLAY exported; exits the test
# (status 1) if it does not come up.
start_xvfb() {
    local xkb=/usr/share/X11/xkb
    [ -f "$xkb/compat/xfree86" ] || { echo "$1: no XKB data in $xkb"; exit 1; }
    cp -r "$xkb" "$work/xkb"
    sed -i 's/SwitchScreen([^)]*)/NoAction()/' "$work/xkb/compat/xfree86"
    Xvfb -xkbdir "$work/xkb" -displayfd 3 -screen 0 1024x768x24 -nolisten tcp \
        3> "$work/display" 2> "$work/xvfb.log" &
    pids+=($!)
    local i
    for i in $(seq 150); do [ -s "$work/display" ] && break; sleep 0.1; done
    [ -s "$work/display" ] || { echo "$1: Xvfb did not start"; cat "$work/xvfb.log"; exit 1; }
    export DISPLAY=:$(head -n1 "$work/display")
}

# portd_window NAME: the id of kairo-portd's window once it is mapped (20 s).
portd_window() {
    local i w
    for i in $(seq 200); do
        w=$(xdotool search --name "^kairo-portd" 2>/dev/null | head -n1)
        [ -n "$w" ] && { echo "$w"; return 0; }
        sleep 0.1
    done
    echo "$1: no kairo-portd window" >&2
    return 1
}

# host_key WINDOW KEYS: the window takes the focus (and half a second to see
# it: SDL re-reads the modifiers on a focus-in, which would drop a Ctrl or
# Alt typed before), then xdotool types KEYS (e.g. ctrl+alt+F2) into it.
host_key() {
    xdotool windowfocus --sync "$1" 2>/dev/null || true
    sleep 0.5
    xdotool key --window "$1" "$2"
}
