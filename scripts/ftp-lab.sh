# shellcheck shell=bash
# scripts/ftp-lab.sh — a sourced bash library that builds a small, private FTP
# lab: two network namespaces (server, client) joined by one veth pair, real
# FTP servers (pure-ftpd, vsftpd) in the server namespace, and packet captures
# on the veth ("a real wire": Ethernet frames, MTU 1500, segments <= MSS,
# correct checksums).
#
# Needs root. Traffic stays inside the namespaces this library creates; the
# only addresses used are 198.51.100.0/24 and 2001:db8::/64 (documentation
# ranges). Nothing on the host's own network stack is touched.
#
# Usage (fixtures/record.sh is a full example):
#
#   source scripts/ftp-lab.sh
#   ftplab_init mylab                # names, work dir, EXIT/INT/TERM trap
#   ftplab_require                   # apt-installs missing tools, unpacks vsftpd
#   ftplab_up                        # namespaces + veth + addresses
#   ftplab_make_served_files         # deterministic files (see files.tsv)
#   ftplab_start_pureftpd            # or: ftplab_start_vsftpd --port 2121 --tls
#   ftplab_capture_start cap1 /tmp/x.pcap
#   ftplab_cli curl -s ftp://student:lab-pass-2026@198.51.100.1/ >/dev/null
#   ftplab_capture_stop cap1         # prints "N packets -> /tmp/x.pcap"
#   ftplab_down                      # also run automatically by the trap
#
# Functions (all return non-zero and print "ftp-lab: ERROR: ..." on failure,
# so callers can use set -e):
#   ftplab_init NAME [WORKDIR]   NAME 1-10 chars [a-z0-9]; namespaces NAME-srv,
#                                NAME-cli; veth NAME-s / NAME-c; WORKDIR default
#                                /tmp/ftp-lab.NAME; installs the cleanup trap
#   ftplab_on_exit CMD           extra cleanup run (eval) before ftplab_down
#   ftplab_require               install missing Debian packages + vsftpd
#   ftplab_require_vsftpd        only the vsftpd download/unpack
#   ftplab_versions              "name<TAB>version" of servers, clients, tools
#   ftplab_up / ftplab_down      build / tear down the lab (idempotent)
#   ftplab_srv CMD... / ftplab_cli CMD...   run a command in a namespace
#   ftplab_make_served_files     (re)create served trees + $FTPLAB_DIR/files.tsv
#   ftplab_add_file ROLE REL SIZE SEED      one more deterministic file
#   ftplab_gen_file PATH SIZE SEED / ftplab_gen_text PATH LINES SEED
#   ftplab_file_info PATH        "size<TAB>sha256"
#   ftplab_start_pureftpd [--port N] [--anon|--anon-only] [--id ID] [-- ARGS]
#   ftplab_start_vsftpd [--port N] [--anon] [--tls] [--id ID] [-- KEY=VAL...]
#   ftplab_stop_server ID / ftplab_stop_servers
#   ftplab_wait_listen PORT      wait until a server listens (done by start_*)
#   ftplab_capture_start ID FILE [--where srv|cli] [--iface IF|any]
#        [--linktype SLL|SLL2] [--nano] [--pcapng] [--filter EXPR]
#   ftplab_capture_stop ID       1 s tail, SIGINT, wait, fail on kernel drops
#   ftplab_impair [--where srv|cli] [--ports LO-HI] [--loss PCT] [--reorder PCT]
#                                lossy, reordering link without netem (nftables
#                                drops + a slow HTB class); ftplab_impair_clear
#
# Variables after ftplab_init: FTPLAB_SRV_NS FTPLAB_CLI_NS FTPLAB_SRV_IF
# FTPLAB_CLI_IF FTPLAB_DIR FTPLAB_RUN (logs, pids, configs) FTPLAB_HOME
# (student's home: served files, uploads/) FTPLAB_ANON FTPLAB_CLIENT
# (upload/ = files to send, download/ = scratch). Constants: FTPLAB_USER,
# FTPLAB_PASS, FTPLAB_SRV4/CLI4/SRV6/CLI6, FTPLAB_PY (/usr/bin/python3).
# Server logs: $FTPLAB_RUN/srv-ID.log and $FTPLAB_RUN/ID-xfer.log.
# Tunables (set before use): FTPLAB_CAPTURE_FILTER (default "not ip6
# multicast"), FTPLAB_CAPTURE_TAIL (seconds before stopping, default 1),
# FTPLAB_SERVERS_DIR (where vsftpd is unpacked; default fixtures/.servers).

# ----------------------------------------------------------------------------
# constants (callers may read them; override only before ftplab_init)
# ----------------------------------------------------------------------------
FTPLAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FTPLAB_REPO=$(dirname "$FTPLAB_LIB_DIR")
: "${FTPLAB_SERVERS_DIR:=$FTPLAB_REPO/fixtures/.servers}"

FTPLAB_USER=student
FTPLAB_PASS=lab-pass-2026
FTPLAB_UID=2026
FTPLAB_GID=2026
FTPLAB_ANON_UID=2027     # the "ftp" account (anonymous root)
FTPLAB_PRIVSEP_UID=2028  # pure-ftpd's privilege-separation account

FTPLAB_SRV4=198.51.100.1
FTPLAB_CLI4=198.51.100.2
FTPLAB_SRV6=2001:db8::1
FTPLAB_CLI6=2001:db8::2
FTPLAB_SRV_MAC=02:46:54:50:00:01   # locally administered, fixed => same frames every run
FTPLAB_CLI_MAC=02:46:54:50:00:02
FTPLAB_MTU=1500
FTPLAB_PASV_MIN=30000
FTPLAB_PASV_MAX=30099
# Default capture filter: everything except IPv6 multicast (MLD reports,
# router solicitations, DAD), whose timing is not deterministic.
: "${FTPLAB_CAPTURE_FILTER:=not ip6 multicast}"

FTPLAB_PY=/usr/bin/python3   # Debian's python (ftplib), not a pyenv shim

# ----------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------
_ftplab_log() { echo "ftp-lab: $*" >&2; }
_ftplab_die() { echo "ftp-lab: ERROR: $*" >&2; return 1; }

# wait up to $1 seconds (tenths granularity) for command "$@" to succeed
_ftplab_wait_for() {
  local secs=$1; shift
  local i
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ----------------------------------------------------------------------------
# ftplab_init NAME [WORKDIR]
#   NAME: 1-10 chars [a-z0-9]; namespaces NAME-srv / NAME-cli, veth NAME-s /
#   NAME-c. WORKDIR (default /tmp/ftp-lab.NAME) holds served files, configs,
#   logs and pids. Installs an EXIT/INT/TERM trap that runs ftplab_down.
#   Callers with their own cleanup: ftplab_on_exit 'my_cleanup_cmd'.
# ----------------------------------------------------------------------------
ftplab_init() {
  local name=${1:-}
  [[ $name =~ ^[a-z0-9]{1,10}$ ]] || { _ftplab_die "ftplab_init: NAME must be 1-10 chars [a-z0-9]"; return 1; }
  [[ $(id -u) == 0 ]] || { _ftplab_die "must run as root"; return 1; }
  FTPLAB_NAME=$name
  FTPLAB_SRV_NS=$name-srv
  FTPLAB_CLI_NS=$name-cli
  FTPLAB_SRV_IF=$name-s
  FTPLAB_CLI_IF=$name-c
  FTPLAB_DIR=${2:-/tmp/ftp-lab.$name}
  FTPLAB_RUN=$FTPLAB_DIR/run          # pids, logs, configs
  FTPLAB_HOME=$FTPLAB_DIR/home/$FTPLAB_USER   # student's FTP home (server side)
  FTPLAB_ANON=$FTPLAB_DIR/anon        # anonymous FTP root (server side)
  FTPLAB_CLIENT=$FTPLAB_DIR/client    # client-side files (uploads, downloads)
  FTPLAB_ETC=$FTPLAB_DIR/etc          # private passwd/shadow/group/pam.d
  FTPLAB_EXIT_HOOKS=()
  mkdir -p "$FTPLAB_RUN"
  trap '_ftplab_on_exit' EXIT
  trap '_ftplab_on_exit; trap - EXIT; exit 130' INT
  trap '_ftplab_on_exit; trap - EXIT; exit 143' TERM
}

# ftplab_on_exit CMD — run CMD (eval'd) before the lab is torn down at exit
ftplab_on_exit() { FTPLAB_EXIT_HOOKS+=("$1"); }

_ftplab_on_exit() {
  local rc=$? h
  for h in "${FTPLAB_EXIT_HOOKS[@]}"; do eval "$h" || true; done
  FTPLAB_EXIT_HOOKS=()
  ftplab_down || true
  return $rc
}

# ----------------------------------------------------------------------------
# ftplab_require — install what is missing (Debian packages), unpack vsftpd.
#   pure-ftpd, vsftpd and proftpd conflict as Debian packages, so only
#   pure-ftpd is installed; vsftpd is `apt-get download`ed and unpacked with
#   `dpkg -x` into $FTPLAB_SERVERS_DIR/vsftpd (git-ignored) and run from there.
# ----------------------------------------------------------------------------
ftplab_require() {
  local -A need=([tcpdump]=tcpdump [tshark]=tshark [dumpcap]=tshark [capinfos]=tshark
                 [lftp]=lftp [curl]=curl [pure-ftpd]=pure-ftpd [ethtool]=ethtool
                 [ip]=iproute2 [openssl]=openssl [ss]=iproute2 [unshare]=util-linux [ping]=iputils-ping)
  local cmd pkgs=()
  for cmd in "${!need[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || pkgs+=("${need[$cmd]}")
  done
  [[ -x $FTPLAB_PY ]] || pkgs+=(python3)
  if ((${#pkgs[@]})); then
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    _ftplab_log "installing: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${pkgs[@]}" >&2 ||
      { apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
        apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${pkgs[@]}" >&2; } ||
      { _ftplab_die "apt-get install ${pkgs[*]} failed"; return 1; }
  fi
  ftplab_require_vsftpd
}

FTPLAB_VSFTPD_BIN=
ftplab_require_vsftpd() {
  local root=$FTPLAB_SERVERS_DIR/vsftpd
  FTPLAB_VSFTPD_BIN=$root/usr/sbin/vsftpd
  [[ -x $FTPLAB_VSFTPD_BIN ]] && return 0
  local tmp; tmp=$(mktemp -d)
  chmod 755 "$tmp"   # apt's _apt user downloads into it
  _ftplab_log "downloading vsftpd (apt-get download) into $root"
  (cd "$tmp" && { apt-get download vsftpd >&2 || { apt-get update >&2 && apt-get download vsftpd >&2; }; }) ||
    { rm -rf "$tmp"; _ftplab_die "apt-get download vsftpd failed"; return 1; }
  mkdir -p "$root"
  dpkg -x "$tmp"/vsftpd_*.deb "$root" && cp "$tmp"/vsftpd_*.deb "$root/"
  rm -rf "$tmp"
  [[ -x $FTPLAB_VSFTPD_BIN ]] || { _ftplab_die "vsftpd not found after unpack"; return 1; }
}

# ftplab_versions — print "name<TAB>version" lines for every server/client/tool
ftplab_versions() {
  local deb
  ftplab_require_vsftpd >/dev/null 2>&1 || true
  printf 'pure-ftpd\t%s (Debian %s)\n' "$(pure-ftpd --help 2>&1 | head -1 | sed 's/^pure-ftpd //')" \
    "$(dpkg-query -W -f='${Version}' pure-ftpd 2>/dev/null)"
  deb=$(ls "$FTPLAB_SERVERS_DIR"/vsftpd/vsftpd_*.deb 2>/dev/null | head -1)
  printf 'vsftpd\t%s (Debian %s, unpacked with dpkg -x)\n' \
    "$(dpkg-deb -f "$deb" Version 2>/dev/null | sed 's/-.*//')" "$(dpkg-deb -f "$deb" Version 2>/dev/null)"
  printf 'lftp\t%s (Debian %s)\n' "$(lftp --version | head -1 | sed -n 's/.*Version \([^ ]*\).*/\1/p')" \
    "$(dpkg-query -W -f='${Version}' lftp)"
  printf 'curl\t%s (Debian %s)\n' "$(curl --version | head -1 | awk '{print $2}')" "$(dpkg-query -W -f='${Version}' curl)"
  local pypkg; pypkg=python$("$FTPLAB_PY" -c 'import sys;print("%d.%d"%sys.version_info[:2])')
  printf 'python\t%s (%s, Debian %s %s)\n' "$("$FTPLAB_PY" -c 'import platform;print(platform.python_version())')" \
    "$FTPLAB_PY" "$pypkg" "$(dpkg-query -W -f='${Version}' "$pypkg" 2>/dev/null)"
  printf 'tcpdump\t%s / %s\n' "$(tcpdump --version 2>&1 | sed -n 's/^tcpdump version //p')" \
    "$(tcpdump --version 2>&1 | sed -n 's/^libpcap version \([^ ]*\).*/libpcap \1/p')"
  printf 'dumpcap\t%s\n' "$(dumpcap --version 2>&1 | head -1 | sed 's/^Dumpcap (Wireshark) //; s/\.$//')"
  printf 'tshark\t%s\n' "$(tshark --version 2>/dev/null | head -1 | sed 's/^TShark (Wireshark) //; s/\.$//')"
  printf 'openssl\t%s\n' "$(openssl version | awk '{print $2}')"
  printf 'kernel\t%s\n' "$(uname -r)"
}

# ----------------------------------------------------------------------------
# ftplab_up — create (fresh) namespaces, veth, addresses, static neighbours.
# ----------------------------------------------------------------------------
ftplab_up() {
  [[ -n ${FTPLAB_NAME:-} ]] || { _ftplab_die "call ftplab_init first"; return 1; }
  # pid files left by an earlier, crashed run are stale: never kill by them
  # (ftplab_down kills what is still inside the lab's namespaces instead)
  rm -f "$FTPLAB_RUN"/*.pid
  ftplab_down 2>/dev/null || true
  mkdir -p "$FTPLAB_RUN"
  local s=$FTPLAB_SRV_NS c=$FTPLAB_CLI_NS si=$FTPLAB_SRV_IF ci=$FTPLAB_CLI_IF ns
  ip netns add "$s" && ip netns add "$c" || { _ftplab_die "ip netns add failed"; return 1; }
  ip link add "$si" type veth peer name "$ci" || { _ftplab_die "veth create failed"; return 1; }
  ip link set "$si" netns "$s" && ip link set "$ci" netns "$c" || return 1
  _ftplab_if_setup "$s" "$si" "$FTPLAB_SRV_MAC" "$FTPLAB_SRV4" "$FTPLAB_SRV6" || return 1
  _ftplab_if_setup "$c" "$ci" "$FTPLAB_CLI_MAC" "$FTPLAB_CLI4" "$FTPLAB_CLI6" || return 1
  # static (permanent) neighbours: no ARP / neighbour discovery inside
  # captures, so every recording of a scenario has the same frames.
  ip -n "$s" neigh replace "$FTPLAB_CLI4" lladdr "$FTPLAB_CLI_MAC" dev "$si" nud permanent
  ip -n "$s" neigh replace "$FTPLAB_CLI6" lladdr "$FTPLAB_CLI_MAC" dev "$si" nud permanent
  ip -n "$c" neigh replace "$FTPLAB_SRV4" lladdr "$FTPLAB_SRV_MAC" dev "$ci" nud permanent
  ip -n "$c" neigh replace "$FTPLAB_SRV6" lladdr "$FTPLAB_SRV_MAC" dev "$ci" nud permanent
  _ftplab_wait_for 10 ip netns exec "$c" ping -c1 -W1 "$FTPLAB_SRV4" ||
    { _ftplab_die "no IPv4 connectivity in lab"; return 1; }
  _ftplab_wait_for 10 ip netns exec "$c" ping -6 -c1 -W1 "$FTPLAB_SRV6" ||
    { _ftplab_die "no IPv6 connectivity in lab"; return 1; }
  sleep 1  # let link-up multicast chatter (MLD) pass before any capture
  _ftplab_log "lab up: ${s}[$si $FTPLAB_SRV4 $FTPLAB_SRV6] <-> ${c}[$ci $FTPLAB_CLI4 $FTPLAB_CLI6]"
}

_ftplab_if_setup() {
  local ns=$1 ifc=$2 mac=$3 a4=$4 a6=$5
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.router_solicitations=0 "net.ipv6.conf.$ifc.router_solicitations=0" \
    "net.ipv6.conf.$ifc.accept_ra=0" >/dev/null
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$ifc" address "$mac" mtu "$FTPLAB_MTU"
  ip -n "$ns" addr add "$a4/24" dev "$ifc"
  ip -n "$ns" addr add "$a6/64" dev "$ifc" nodad
  # segments <= MSS on the wire (no TSO/GSO/GRO) and checksums computed in
  # software before the capture point (tx checksum offload off)
  ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
    ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off >/dev/null ||
    { _ftplab_die "ethtool -K $ifc failed"; return 1; }
  ip -n "$ns" link set "$ifc" up
}

# ftplab_srv CMD... / ftplab_cli CMD... — run a command in a namespace
ftplab_srv() { ip netns exec "$FTPLAB_SRV_NS" "$@"; }
ftplab_cli() { ip netns exec "$FTPLAB_CLI_NS" "$@"; }

# ----------------------------------------------------------------------------
# ftplab_down — stop captures and servers, kill whatever is left in the lab's
# namespaces, delete them (the veth goes with them). Idempotent.
# ----------------------------------------------------------------------------
ftplab_down() {
  [[ -n ${FTPLAB_NAME:-} ]] || return 0
  local f pid ns
  for f in "$FTPLAB_RUN"/cap-*.pid; do
    [[ -e $f ]] || continue
    ftplab_capture_stop "$(basename "$f" .pid | sed 's/^cap-//')" >/dev/null 2>&1 || true
  done
  ftplab_stop_servers 2>/dev/null || true
  for ns in "$FTPLAB_SRV_NS" "$FTPLAB_CLI_NS"; do
    if ip netns list 2>/dev/null | grep -qw -- "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
      sleep 0.2
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  # a veth left in the root namespace by a failed ftplab_up
  ip link del "$FTPLAB_SRV_IF" 2>/dev/null || true
  return 0
}

# ----------------------------------------------------------------------------
# deterministic files
# ----------------------------------------------------------------------------
# ftplab_gen_file PATH SIZE SEED — SIZE bytes: sha256("SEED:0") || sha256("SEED:1") || ...
ftplab_gen_file() {
  "$FTPLAB_PY" - "$1" "$2" "$3" <<'EOF'
import hashlib, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out, i = bytearray(), 0
while len(out) < size:
    out += hashlib.sha256(f"{seed}:{i}".encode()).digest(); i += 1
open(path, "wb").write(bytes(out[:size]))
EOF
}

# ftplab_gen_text PATH LINES SEED — LF-terminated ASCII lines, deterministic
ftplab_gen_text() {
  "$FTPLAB_PY" - "$1" "$2" "$3" <<'EOF'
import hashlib, sys
path, lines, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = ("packet segment window handshake passive active listing transfer "
         "control data reply command student lab capture wire frame").split()
with open(path, "w", newline="\n") as f:
    for i in range(lines):
        h = hashlib.sha256(f"{seed}:{i}".encode()).digest()
        f.write(f"{i + 1:04d} " + " ".join(words[b % len(words)] for b in h[:8]) + "\n")
EOF
}

# ftplab_file_info PATH — "size<TAB>sha256"
ftplab_file_info() { printf '%s\t%s\n' "$(stat -c %s "$1")" "$(sha256sum "$1" | cut -d' ' -f1)"; }

# ftplab_make_served_files — (re)create the served trees and client files.
#   $FTPLAB_HOME  (student, writable; uploads/ for STOR)
#   $FTPLAB_ANON  (anonymous root)
#   $FTPLAB_CLIENT/upload (files to upload), $FTPLAB_CLIENT/download (empty)
#   Writes $FTPLAB_DIR/files.tsv: role<TAB>relative-path<TAB>size<TAB>sha256
#   Callers may add files with ftplab_gen_file before starting a server.
ftplab_make_served_files() {
  rm -rf "${FTPLAB_DIR:?}/home" "${FTPLAB_ANON:?}" "${FTPLAB_CLIENT:?}"
  mkdir -p "$FTPLAB_HOME/uploads" "$FTPLAB_ANON/pub" "$FTPLAB_CLIENT/upload" "$FTPLAB_CLIENT/download"
  local h=$FTPLAB_HOME a=$FTPLAB_ANON u=$FTPLAB_CLIENT/upload
  ftplab_gen_file "$h/lab-data-24k.bin" 24576 "ftp-inspect:lab-data-24k"
  ftplab_gen_file "$h/active-32k.bin" 32768 "ftp-inspect:active-32k"
  ftplab_gen_file "$h/ipv6-epsv-20k.bin" 20480 "ftp-inspect:ipv6-epsv-20k"
  ftplab_gen_file "$h/ipv6-eprt-16k.bin" 16384 "ftp-inspect:ipv6-eprt-16k"
  ftplab_gen_file "$h/port2121-16k.bin" 16384 "ftp-inspect:port2121-16k"
  ftplab_gen_file "$h/tls-8k.bin" 8192 "ftp-inspect:tls-8k"
  ftplab_gen_text "$h/lab-notes.txt" 120 "ftp-inspect:lab-notes"
  ftplab_gen_file "$u/upload-32k.bin" 32768 "ftp-inspect:upload-32k"
  printf 'Welcome to the ftp-inspect lab (anonymous area).\r\nFiles are in /pub.\r\n' >"$a/welcome.txt"
  ftplab_gen_file "$a/pub/anon-8k.bin" 8192 "ftp-inspect:anon-8k"
  # fixed mtimes so directory listings are the same every run
  find "$FTPLAB_DIR/home" "$FTPLAB_ANON" "$FTPLAB_CLIENT/upload" -type f -exec touch -h -d '2026-01-15 12:00:00Z' {} +
  chown -R "$FTPLAB_UID:$FTPLAB_GID" "$FTPLAB_HOME"
  chmod 755 "$FTPLAB_DIR" "$FTPLAB_DIR/home" "$FTPLAB_HOME" "$FTPLAB_ANON" "$FTPLAB_ANON/pub"
  chown -R root:root "$FTPLAB_ANON"
  ftplab_files_tsv >"$FTPLAB_DIR/files.tsv"
  _ftplab_write_etc
}

# ftplab_add_file ROLE RELPATH SIZE SEED — one more deterministic file in a
#   served tree (ROLE: home | anon | client), after ftplab_make_served_files;
#   updates $FTPLAB_DIR/files.tsv. Prints "size<TAB>sha256".
ftplab_add_file() {
  local role=$1 rel=$2 size=$3 seed=$4 dir
  case $role in
    home) dir=$FTPLAB_HOME ;; anon) dir=$FTPLAB_ANON ;; client) dir=$FTPLAB_CLIENT/upload ;;
    *) _ftplab_die "ftplab_add_file: ROLE must be home, anon or client"; return 1 ;;
  esac
  mkdir -p "$(dirname "$dir/$rel")"
  ftplab_gen_file "$dir/$rel" "$size" "$seed" || return 1
  touch -h -d '2026-01-15 12:00:00Z' "$dir/$rel"
  [[ $role == home ]] && chown -R "$FTPLAB_UID:$FTPLAB_GID" "$FTPLAB_HOME"
  ftplab_files_tsv >"$FTPLAB_DIR/files.tsv"
  ftplab_file_info "$dir/$rel"
}

# ftplab_files_tsv — list every generated file: role path size sha256
ftplab_files_tsv() {
  local role dir f
  for role in home anon client; do
    case $role in home) dir=$FTPLAB_HOME ;; anon) dir=$FTPLAB_ANON ;; client) dir=$FTPLAB_CLIENT/upload ;; esac
    (cd "$dir" && find . -type f -printf '%P\n' | LC_ALL=C sort) | while read -r f; do
      printf '%s\t%s\t%s\n' "$role" "$f" "$(ftplab_file_info "$dir/$f")"
    done
  done
}

# private passwd/shadow/group/pam.d, bind-mounted over /etc only inside the
# server processes' own mount namespace: the host's accounts are untouched.
_ftplab_write_etc() {
  local e=$FTPLAB_ETC hash
  rm -rf "$e"; mkdir -p "$e/pam.d" "$FTPLAB_RUN/empty"
  chmod 755 "$FTPLAB_RUN/empty"
  hash=$(openssl passwd -6 -salt ftplab2026 "$FTPLAB_PASS")
  grep -vE '^(student|ftp|_pure-ftpd):' /etc/passwd >"$e/passwd"
  grep -vE '^(student|ftp|_pure-ftpd):' /etc/shadow >"$e/shadow"
  grep -vE '^(student|ftp|_pure-ftpd):' /etc/group >"$e/group"
  cat >>"$e/passwd" <<EOF
$FTPLAB_USER:x:$FTPLAB_UID:$FTPLAB_GID:FTP lab student:$FTPLAB_HOME:/bin/sh
ftp:x:$FTPLAB_ANON_UID:$FTPLAB_ANON_UID:anonymous FTP:$FTPLAB_ANON:/usr/sbin/nologin
_pure-ftpd:x:$FTPLAB_PRIVSEP_UID:65534:pure-ftpd privsep:$FTPLAB_RUN/empty:/usr/sbin/nologin
EOF
  cat >>"$e/shadow" <<EOF
$FTPLAB_USER:$hash:20000:0:99999:7:::
ftp:*:20000:0:99999:7:::
_pure-ftpd:*:20000:0:99999:7:::
EOF
  cat >>"$e/group" <<EOF
$FTPLAB_USER:x:$FTPLAB_GID:
ftp:x:$FTPLAB_ANON_UID:
EOF
  chmod 644 "$e/passwd" "$e/group"; chmod 640 "$e/shadow"
  cat >"$e/pam.d/ftplab" <<'EOF'
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_permit.so
EOF
  cp /etc/pam.d/other "$e/pam.d/other" 2>/dev/null || true
  for f in common-auth common-account common-session common-password; do
    [[ -e /etc/pam.d/$f ]] && cp "/etc/pam.d/$f" "$e/pam.d/"
  done
  # vsftpd TLS: a self-signed certificate, made once per work dir
  if [[ ! -s $e/vsftpd.pem ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ftp.lab.example" \
      -keyout "$e/vsftpd.pem" -out "$e/vsftpd.pem" >/dev/null 2>&1 ||
      { _ftplab_die "openssl req failed"; return 1; }
    chmod 600 "$e/vsftpd.pem"
  fi
}

# run "$@" in the server namespace, in a private mount namespace that sees the
# lab's passwd/shadow/group/pam.d. Backgrounded; pid into $FTPLAB_RUN/srv-ID.pid
_ftplab_srv_spawn() {
  local id=$1 log=$FTPLAB_RUN/srv-$1.log; shift
  [[ -s $FTPLAB_ETC/passwd ]] || { _ftplab_die "call ftplab_make_served_files first"; return 1; }
  ip netns exec "$FTPLAB_SRV_NS" unshare --mount --propagation private sh -c '
    e=$1; shift
    mount --bind "$e/passwd" /etc/passwd && mount --bind "$e/shadow" /etc/shadow &&
    mount --bind "$e/group" /etc/group && mount --bind "$e/pam.d" /etc/pam.d || exit 97
    exec "$@"' sh "$FTPLAB_ETC" "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$FTPLAB_RUN/srv-$id.pid"
}

# ftplab_wait_listen PORT — wait (10 s) until something listens on TCP PORT in the server namespace
ftplab_wait_listen() { _ftplab_wait_listen "$@"; }
_ftplab_wait_listen() { # port
  _ftplab_wait_for 10 sh -c "ip netns exec '$FTPLAB_SRV_NS' ss -Hltn 'sport = :$1' | grep -q ."
}

# ----------------------------------------------------------------------------
# ftplab_start_pureftpd [--port N] [--anon] [--anon-only] [--id ID] [-- EXTRA...]
#   pure-ftpd on all addresses (IPv4 and IPv6) of the server namespace, unix
#   accounts (student / lab-pass-2026), chroot, passive ports 30000-30099,
#   no TLS (so AUTH TLS is refused). --anon also allows anonymous (root:
#   $FTPLAB_ANON). Server id defaults to pure-ftpd-PORT.
# ----------------------------------------------------------------------------
ftplab_start_pureftpd() {
  local port=21 anon=0 id='' extra=()
  while (($#)); do
    case $1 in
      --port) port=$2; shift 2 ;;
      --anon) anon=1; shift ;;
      --anon-only) anon=2; shift ;;
      --id) id=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) _ftplab_die "ftplab_start_pureftpd: unknown option $1"; return 1 ;;
    esac
  done
  id=${id:-pure-ftpd-$port}
  local args=(-S "$port" -l unix -A -H -p "$FTPLAB_PASV_MIN:$FTPLAB_PASV_MAX" -u 1000 -Y 0
              -c 20 -C 20 -I 60 -U 133:022 -O "clf:$FTPLAB_RUN/$id-xfer.log")
  case $anon in 0) args+=(-E) ;; 2) args+=(-e) ;; esac
  _ftplab_srv_spawn "$id" /usr/sbin/pure-ftpd "${args[@]}" "${extra[@]}" || return 1
  _ftplab_wait_listen "$port" || { cat "$FTPLAB_RUN/srv-$id.log" >&2; _ftplab_die "pure-ftpd not listening on $port"; return 1; }
  _ftplab_log "pure-ftpd up (id $id, port $port, anon=$anon)"
}

# ----------------------------------------------------------------------------
# ftplab_start_vsftpd [--port N] [--anon] [--tls] [--id ID] [-- KEY=VALUE...]
#   vsftpd (from $FTPLAB_SERVERS_DIR) listening on :: (IPv6 + IPv4-mapped),
#   local user student, write enabled, passive 30000-30099, active data from
#   port 20. --tls: ssl_enable with a self-signed cert; TLS allowed but not
#   forced. Extra KEY=VALUE lines are appended to the config.
# ----------------------------------------------------------------------------
ftplab_start_vsftpd() {
  local port=21 anon=NO tls=NO id='' extra=()
  while (($#)); do
    case $1 in
      --port) port=$2; shift 2 ;;
      --anon) anon=YES; shift ;;
      --tls) tls=YES; shift ;;
      --id) id=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) _ftplab_die "ftplab_start_vsftpd: unknown option $1"; return 1 ;;
    esac
  done
  ftplab_require_vsftpd || return 1
  id=${id:-vsftpd-$port}
  local conf=$FTPLAB_RUN/$id.conf
  {
    echo "listen=NO"
    echo "listen_ipv6=YES"
    echo "listen_port=$port"
    echo "background=NO"
    echo "seccomp_sandbox=NO"
    echo "local_enable=YES"
    echo "write_enable=YES"
    echo "local_umask=022"
    echo "anonymous_enable=$anon"
    echo "anon_root=$FTPLAB_ANON"
    echo "no_anon_password=NO"
    echo "ftp_username=ftp"
    echo "nopriv_user=nobody"
    echo "pam_service_name=ftplab"
    echo "secure_chroot_dir=$FTPLAB_RUN/empty"
    echo "chroot_local_user=YES"
    echo "allow_writeable_chroot=YES"
    echo "pasv_enable=YES"
    echo "pasv_min_port=$FTPLAB_PASV_MIN"
    echo "pasv_max_port=$FTPLAB_PASV_MAX"
    echo "port_enable=YES"
    echo "connect_from_port_20=YES"
    echo "dirmessage_enable=NO"
    echo "use_localtime=NO"
    echo "xferlog_enable=YES"
    echo "xferlog_std_format=NO"
    echo "log_ftp_protocol=YES"
    echo "vsftpd_log_file=$FTPLAB_RUN/$id-xfer.log"
    echo "ssl_enable=$tls"
    if [[ $tls == YES ]]; then
      echo "rsa_cert_file=$FTPLAB_ETC/vsftpd.pem"
      echo "rsa_private_key_file=$FTPLAB_ETC/vsftpd.pem"
      echo "force_local_logins_ssl=NO"
      echo "force_local_data_ssl=NO"
      echo "allow_anon_ssl=YES"
      echo "require_ssl_reuse=NO"
      echo "ssl_tlsv1=NO"
      echo "ssl_sslv2=NO"
      echo "ssl_sslv3=NO"
    fi
    printf '%s\n' "${extra[@]}"
  } >"$conf"
  chmod 600 "$conf"
  _ftplab_srv_spawn "$id" "$FTPLAB_VSFTPD_BIN" "$conf" || return 1
  _ftplab_wait_listen "$port" || { cat "$FTPLAB_RUN/srv-$id.log" >&2; _ftplab_die "vsftpd not listening on $port"; return 1; }
  _ftplab_log "vsftpd up (id $id, port $port, anon=$anon, tls=$tls)"
}

# ftplab_stop_server ID — stop one server (ids: pure-ftpd-PORT, vsftpd-PORT or --id)
ftplab_stop_server() {
  local f=$FTPLAB_RUN/srv-$1.pid pid
  [[ -e $f ]] || return 0
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  _ftplab_wait_for 5 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$f"
}

# ftplab_stop_servers — stop every server started by this lab (and their
# per-session children, which live in the server namespace)
ftplab_stop_servers() {
  local f
  for f in "$FTPLAB_RUN"/srv-*.pid; do
    [[ -e $f ]] || continue
    ftplab_stop_server "$(basename "$f" .pid | sed 's/^srv-//')"
  done
  local pid
  for pid in $(ip netns pids "$FTPLAB_SRV_NS" 2>/dev/null); do
    # leftover session processes of pure-ftpd / vsftpd (not captures)
    grep -qE 'pure-ftpd|vsftpd' "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  return 0
}

# ----------------------------------------------------------------------------
# ftplab_capture_start ID FILE [options]
#   --where srv|cli         namespace to capture in (default srv)
#   --iface IF|any          interface (default: that namespace's veth)
#   --linktype SLL|SLL2|... tcpdump -y (for --iface any: LINUX_SLL / LINUX_SLL2)
#   --nano                  nanosecond time stamps (pcap magic a1b23c4d)
#   --pcapng                use dumpcap, write pcapng
#   --filter EXPR           capture filter (default $FTPLAB_CAPTURE_FILTER)
#   Returns once the capturer is really listening (its "listening on" /
#   "Capturing on" line has been printed). Packets are written unbuffered
#   (tcpdump -U --immediate-mode).
# ftplab_capture_stop ID — waits 1 s for the last packets, SIGINT, waits for
#   exit, checks that the kernel dropped nothing; prints the packet count.
# ----------------------------------------------------------------------------
ftplab_capture_start() {
  local id=$1 file=$2; shift 2
  local where=srv iface='' lt='' nano=0 ng=0 filter=$FTPLAB_CAPTURE_FILTER ns
  while (($#)); do
    case $1 in
      --where) where=$2; shift 2 ;;
      --iface) iface=$2; shift 2 ;;
      --linktype) lt=$2; shift 2 ;;
      --nano) nano=1; shift ;;
      --pcapng) ng=1; shift ;;
      --filter) filter=$2; shift 2 ;;
      *) _ftplab_die "ftplab_capture_start: unknown option $1"; return 1 ;;
    esac
  done
  case $where in
    srv) ns=$FTPLAB_SRV_NS; iface=${iface:-$FTPLAB_SRV_IF} ;;
    cli) ns=$FTPLAB_CLI_NS; iface=${iface:-$FTPLAB_CLI_IF} ;;
    *) _ftplab_die "--where srv|cli"; return 1 ;;
  esac
  [[ -e $FTPLAB_RUN/cap-$id.pid ]] && { _ftplab_die "capture $id already running"; return 1; }
  mkdir -p "$(dirname "$file")"; rm -f "$file"
  local err=$FTPLAB_RUN/cap-$id.err ready
  if ((ng)); then
    ip netns exec "$ns" dumpcap -q -n -i "$iface" -s 0 -B 64 -f "$filter" -w "$file" >"$err" 2>&1 </dev/null &
    ready='^Capturing on'
  else
    # a big ring (-B, KiB): in immediate mode every ring slot is snaplen
    # sized, and on "any" (no MTU to bound it) the default 2 MiB ring holds
    # only ~8 frames of 256 KiB, so bursts get dropped. 65535 bounds the
    # slot size there; Ethernet frames on the veth are <= 1514 anyway.
    local snap=0
    [[ $iface == any ]] && snap=65535
    local args=(-n -i "$iface" -s "$snap" -B 65536 -U --immediate-mode -Z root -w "$file")
    [[ -n $lt ]] && { [[ $lt == SLL || $lt == SLL2 ]] && lt=LINUX_$lt; args+=(-y "$lt"); }
    ((nano)) && args+=(--time-stamp-precision=nano)
    ip netns exec "$ns" tcpdump "${args[@]}" "$filter" >"$err" 2>&1 </dev/null &
    ready='listening on'
  fi
  local pid=$!
  echo "$pid" >"$FTPLAB_RUN/cap-$id.pid"
  echo "$file" >"$FTPLAB_RUN/cap-$id.file"
  if ! _ftplab_wait_for 15 grep -q "$ready" "$err"; then
    cat "$err" >&2; kill "$pid" 2>/dev/null; rm -f "$FTPLAB_RUN/cap-$id.pid"
    _ftplab_die "capture $id did not start"; return 1
  fi
  sleep 0.2  # socket bound and filter attached before "listening" is printed; small margin
}

ftplab_capture_stop() {
  local id=$1 f=$FTPLAB_RUN/cap-$1.pid pid err=$FTPLAB_RUN/cap-$1.err
  [[ -e $f ]] || { _ftplab_die "no capture $id"; return 1; }
  pid=$(cat "$f")
  sleep "${FTPLAB_CAPTURE_TAIL:-1}"   # let the last FIN/ACKs reach the capturer
  kill -INT "$pid" 2>/dev/null || true
  _ftplab_wait_for 10 sh -c "! kill -0 $pid" || { kill -KILL "$pid" 2>/dev/null; _ftplab_die "capture $id did not stop"; }
  wait "$pid" 2>/dev/null || true
  rm -f "$f"
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p; s/.*dropped on interface.*: [0-9]*\/\([0-9]*\).*/\1/p' "$err" | head -1)
  if [[ -n $dropped && $dropped != 0 ]]; then
    _ftplab_die "capture $id: kernel dropped $dropped packets"; return 1
  fi
  local file; file=$(cat "$FTPLAB_RUN/cap-$id.file")
  echo "$(capinfos -c -M "$file" 2>/dev/null | sed -n 's/^Number of packets: *//p') packets -> $file"
}

# ----------------------------------------------------------------------------
# ftplab_impair [--where srv|cli] [--ports LO-HI] [--loss PCT] [--reorder PCT]
#   A lossy, reordering link without netem (this lab's kernel may lack it). In
#   the namespace --where names (default srv), for the TCP segments it sends
#   from a port in LO-HI (default the passive range) that carry data (more than
#   200 bytes on the wire), one random draw (nftables numgen) per segment:
#   - PCT % are dropped before they reach the veth: a capture there never sees
#     them, the peer's ACKs show the hole and the sender retransmits;
#   - REORDER % get skb priority 1:20, which the HTB qdisc put on the veth
#     sends through a slow class (8 Mbit/s): they reach the wire after
#     segments sent later (reordering).
#   Needs nft and tc with HTB. ftplab_impair_clear [--where srv|cli] undoes it
#   (ftplab_down removes it with the namespaces anyway).
# ----------------------------------------------------------------------------
ftplab_impair() {
  local where=srv ports="$FTPLAB_PASV_MIN-$FTPLAB_PASV_MAX" loss=0 reorder=0 ns ifc
  while (($#)); do
    case $1 in
      --where) where=$2; shift 2 ;;
      --ports) ports=$2; shift 2 ;;
      --loss) loss=$2; shift 2 ;;
      --reorder) reorder=$2; shift 2 ;;
      *) _ftplab_die "ftplab_impair: unknown option $1"; return 1 ;;
    esac
  done
  case $where in
    srv) ns=$FTPLAB_SRV_NS ifc=$FTPLAB_SRV_IF ;;
    cli) ns=$FTPLAB_CLI_NS ifc=$FTPLAB_CLI_IF ;;
    *) _ftplab_die "ftplab_impair: --where srv|cli"; return 1 ;;
  esac
  [[ $loss =~ ^[0-9]+$ && $reorder =~ ^[0-9]+$ ]] && ((loss + reorder <= 100)) ||
    { _ftplab_die "ftplab_impair: --loss and --reorder are whole percentages, together at most 100"; return 1; }
  [[ $ports =~ ^[0-9]+(-[0-9]+)?$ ]] || { _ftplab_die "ftplab_impair: --ports LO-HI"; return 1; }
  ftplab_impair_clear --where "$where" || return 1
  # TCP hands the stack GSO batches of up to 64 KiB even with offloads off; they are cut
  # into segments only after netfilter and the qdisc. One segment per batch, so the
  # rules below see (and drop, or hold back) single segments, as a lossy wire would.
  ip -n "$ns" link set dev "$ifc" gso_max_segs 1 ||
    { _ftplab_die "ftplab_impair: ip link set gso_max_segs 1 failed"; return 1; }
  local verdicts=()
  ((loss > 0)) && verdicts+=("0-$((loss - 1)) : drop")
  ((reorder > 0)) && verdicts+=("$loss-$((loss + reorder - 1)) : jump slow")
  ((${#verdicts[@]})) || return 0
  local IFS=,
  ip netns exec "$ns" nft -f - <<NFT || { _ftplab_die "ftplab_impair: nft rules failed"; return 1; }
table inet ftplab_impair {
  chain slow {
    meta priority set 1:20
  }
  chain out {
    type filter hook output priority 0; policy accept;
    meta l4proto tcp tcp sport $ports meta length > 200 numgen random mod 100 vmap { ${verdicts[*]} }
  }
}
NFT
  unset IFS
  if ((reorder > 0)); then
    # HTB takes a class straight from skb->priority (no tc filter needed); the
    # default class is fast enough never to hold anything back.
    ip netns exec "$ns" tc qdisc replace dev "$ifc" root handle 1: htb default 10 &&
      ip netns exec "$ns" tc class add dev "$ifc" parent 1: classid 1:10 htb rate 10gbit quantum 60000 &&
      ip netns exec "$ns" tc class add dev "$ifc" parent 1: classid 1:20 htb rate 8mbit ceil 8mbit quantum 1514 ||
      { _ftplab_die "ftplab_impair: tc htb failed"; return 1; }
  fi
  _ftplab_log "impaired $ifc in $ns: TCP data from ports $ports: $loss % dropped, $reorder % held back"
}

ftplab_impair_clear() {
  local where=srv ns ifc
  [[ ${1:-} == --where ]] && where=$2
  case $where in
    srv) ns=$FTPLAB_SRV_NS ifc=$FTPLAB_SRV_IF ;;
    cli) ns=$FTPLAB_CLI_NS ifc=$FTPLAB_CLI_IF ;;
    *) _ftplab_die "ftplab_impair_clear: --where srv|cli"; return 1 ;;
  esac
  ip netns exec "$ns" nft delete table inet ftplab_impair 2>/dev/null || true
  ip netns exec "$ns" tc qdisc del dev "$ifc" root 2>/dev/null || true
  ip -n "$ns" link set dev "$ifc" gso_max_segs 65535 2>/dev/null || true
  return 0
}
