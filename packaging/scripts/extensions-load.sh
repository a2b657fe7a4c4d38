# Shell functions shared by the .deb maintainer scripts and the .rpm scriptlets (build-packages.sh pastes this
# file into each of them where #EXTENSIONS_LOAD_FUNCTIONS# stands). POSIX sh: dash, busybox and bash run it.
#
# osqueryd reads /etc/osquery/extensions.load (its --extensions_autoload default) when it starts, launches every
# binary listed there, and relaunches one that exits. The file belongs to the administrator and may list other
# extensions, so we only ever add or remove our own line, and we never touch osquery.flags.

OSQUERY_BPF_EXT=/usr/lib/osquery/extensions/osquery-bpf.ext
OSQUERY_BPF_LOAD=${OSQUERY_BPF_LOAD:-/etc/osquery/extensions.load}

# Appends our line unless the file already has it; other lines are kept as they are. A last line without a
# newline gets one first, so our line does not run into it.
osquery_bpf_add_line() {
    mkdir -p "$(dirname "$OSQUERY_BPF_LOAD")"
    if [ -f "$OSQUERY_BPF_LOAD" ] && grep -qxF "$OSQUERY_BPF_EXT" "$OSQUERY_BPF_LOAD"; then
        return 0
    fi
    if [ -s "$OSQUERY_BPF_LOAD" ] && [ -n "$(tail -c 1 "$OSQUERY_BPF_LOAD")" ]; then
        printf '\n' >>"$OSQUERY_BPF_LOAD"
    fi
    printf '%s\n' "$OSQUERY_BPF_EXT" >>"$OSQUERY_BPF_LOAD"
}

# Removes every line that is exactly our path and nothing else. The file is rewritten in place (same inode,
# owner and mode); it stays even when it is left empty, since the administrator may have made it.
osquery_bpf_remove_line() {
    [ -f "$OSQUERY_BPF_LOAD" ] || return 0
    grep -qxF "$OSQUERY_BPF_EXT" "$OSQUERY_BPF_LOAD" || return 0
    osquery_bpf_kept=$(mktemp)
    grep -vxF "$OSQUERY_BPF_EXT" "$OSQUERY_BPF_LOAD" >"$osquery_bpf_kept" || true # grep fails when nothing is left
    cat "$osquery_bpf_kept" >"$OSQUERY_BPF_LOAD"
    rm -f "$osquery_bpf_kept"
}

# Sends SIGTERM to running copies of the extension in this root (not to those of a container or of the host
# around a chroot). The extension then deregisters and exits 0, and osqueryd's watcher starts the binary that is
# now at the path again (within about 3 s). $1 = "replaced": only copies whose binary was replaced by an upgrade
# (the kernel shows it as "PATH (deleted)"); "all": every copy (before removal).
osquery_bpf_stop_running() {
    for osquery_bpf_exe in /proc/[0-9]*/exe; do
        osquery_bpf_pid=${osquery_bpf_exe#/proc/}
        osquery_bpf_pid=${osquery_bpf_pid%/exe}
        osquery_bpf_target=$(readlink "$osquery_bpf_exe" 2>/dev/null) || continue
        case "$1:$osquery_bpf_target" in
            "replaced:$OSQUERY_BPF_EXT (deleted)" | "all:$OSQUERY_BPF_EXT (deleted)" | "all:$OSQUERY_BPF_EXT") ;;
            *) continue ;;
        esac
        [ "/proc/$osquery_bpf_pid/root/" -ef / ] || continue
        kill -TERM "$osquery_bpf_pid" 2>/dev/null || true
    done
}
