#!/usr/bin/env bash
# Makes the bench captures from real FTP traffic (run as root):
#
#   sudo bench/make-captures.sh [--force] [bulk] [many]
#
#   bulk  ~BENCH_BULK_MB (default 1000) MB of capture: BENCH_BULK_FILES (default 5) large files,
#         one after another, RETR and STOR, with curl and lftp, passive (EPSV/PASV) and active
#         (PORT), IPv4 and IPv6
#   many  ~BENCH_MANY_MB (default 250) MB of capture: thousands of short sessions (login, LIST,
#         RETR of a small file, QUIT) from BENCH_MANY_WORKERS (default 8) parallel Python ftplib
#         clients, IPv4 PASV/PORT and IPv6 EPSV/EPRT
#
# Output in bench/data/ (git-ignored; BENCH_DATA overrides): NAME.pcap (classic pcap, µs
# timestamps, Ethernet), NAME.files.json (every original file: name, size, sha256, how it was
# transferred) and NAME.meta.json (capture facts: frames, largest frame, drops, parameters).
# An existing capture is kept unless --force is given.
#
# The lab is scripts/ftp-lab.sh: two network namespaces made here, joined by a veth pair with
# MTU 1500 and TSO/GSO/GRO off (so every frame is a real Ethernet frame of at most 1514 bytes),
# 198.51.100.1 / 2001:db8::1 server (pure-ftpd), .2 / ::2 client; no other address is used.
# tcpdump runs in the server namespace with its default snaplen and a large -B buffer; a
# capture for which tcpdump reports any dropped packet is made again (up to BENCH_ATTEMPTS,
# default 3; later attempts limit the transfer rate).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
DATA=${BENCH_DATA:-$BENCH_DIR/data}
BULK_MB=${BENCH_BULK_MB:-1000}
MANY_MB=${BENCH_MANY_MB:-250}
BULK_FILES=${BENCH_BULK_FILES:-5}
MANY_WORKERS=${BENCH_MANY_WORKERS:-8}
MANY_POOL=${BENCH_MANY_POOL:-100}
ATTEMPTS=${BENCH_ATTEMPTS:-3}
TCPDUMP_BUFFER_KIB=${BENCH_TCPDUMP_BUFFER_KIB:-524288}   # tcpdump -B: 512 MiB

say() { printf 'make-captures: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

force=0
names=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    bulk|many) names+=("$a") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $a (want: [--force] [bulk] [many])" ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(bulk many)

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump): sudo $0 $*"
for v in BULK_MB MANY_MB BULK_FILES MANY_WORKERS MANY_POOL ATTEMPTS TCPDUMP_BUFFER_KIB; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer"
done

todo=()
for n in "${names[@]}"; do
  if [ "$force" = 0 ] && [ -f "$DATA/$n.pcap" ] && [ -f "$DATA/$n.files.json" ]; then
    say "$n: $DATA/$n.pcap exists (--force makes it again)"
  else
    todo+=("$n")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

# ---------------------------------------------------------------------------------------------
# The lab. The bench adds its own files to the student's home and runs its own tcpdump in the
# server namespace: it needs a large -B buffer and buffered writes, and ftplab_capture_start
# writes every packet at once (-U --immediate-mode), too slow for ~1 GB at veth speed.
LAB_SH="$ROOT/scripts/ftp-lab.sh"
[ -f "$LAB_SH" ] || die "$LAB_SH not found: it sets up the network namespaces and the FTP server"
# shellcheck source=../scripts/ftp-lab.sh
source "$LAB_SH"

for tool in ip ethtool tcpdump pure-ftpd curl lftp node sha256sum openssl; do
  if ! command -v "$tool" >/dev/null; then
    ftplab_require   # apt-installs the lab's tools
    break
  fi
done
PY=$FTPLAB_PY
[ -x "$PY" ] || PY=$(command -v python3)

mkdir -p "$DATA"
WORK=$(mktemp -d "$DATA/.work.XXXXXX")
chmod 755 "$WORK"   # the FTP user must be able to reach its home below it

TCPDUMP_PID=
bench_cleanup() {
  set +e
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
  TCPDUMP_PID=
  ftplab_down
  rm -rf "$WORK"
  rm -f "$DATA"/*.tmp
}
ftplab_init bench "$WORK/lab"   # installs the EXIT/INT/TERM trap that tears the lab down
ftplab_on_exit bench_cleanup

# After ftplab_up: make sure of what the bench relies on (ftplab_up sets it).
check_wire() {
  local ns ifc
  for pair in "$FTPLAB_SRV_NS:$FTPLAB_SRV_IF" "$FTPLAB_CLI_NS:$FTPLAB_CLI_IF"; do
    ns=${pair%%:*} ifc=${pair#*:}
    if ip netns exec "$ns" ethtool -k "$ifc" |
        grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | grep -q ': on'; then
      say "$ifc: segmentation/receive offload still on; turning it off"
      ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off >/dev/null
    fi
    [ "$(ip -n "$ns" -o link show "$ifc" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')" = 1500 ] || die "$ifc: MTU is not 1500"
  done
}

# capture_start FILE / capture_stop: sets CAPTURED, DROPPED_KERNEL, DROPPED_IFACE.
capture_start() {
  local out=$1
  rm -f "$out" "$WORK/tcpdump.err"
  # Default snaplen (262144); classic pcap with µs time stamps (what pcap-parser reads).
  # Started without a function or subshell in between, so $! is tcpdump itself (a background
  # subshell of a non-interactive bash ignores SIGINT and would never pass it on).
  ip netns exec "$FTPLAB_SRV_NS" tcpdump -n -i "$FTPLAB_SRV_IF" -B "$TCPDUMP_BUFFER_KIB" -Z root -w "$out" \
    "$FTPLAB_CAPTURE_FILTER" 2>"$WORK/tcpdump.err" </dev/null &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 1 150); do
    if grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null; then sleep 0.2; return 0; fi
    kill -0 "$TCPDUMP_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/tcpdump.err" >&2
  die "tcpdump did not start"
}
capture_stop() {
  sleep 1   # let the last FIN/ACKs in
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  CAPTURED=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$WORK/tcpdump.err")
  DROPPED_KERNEL=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
  DROPPED_IFACE=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by interface.*/\1/p' "$WORK/tcpdump.err")
  DROPPED_IFACE=${DROPPED_IFACE:-0}
  [ -n "$DROPPED_KERNEL" ] || { cat "$WORK/tcpdump.err" >&2; die "tcpdump printed no drop count"; }
  say "tcpdump: $CAPTURED captured, $DROPPED_KERNEL dropped by kernel, $DROPPED_IFACE dropped by interface"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# A deterministic incompressible file: the AES-128-CTR key stream for key SEED.
keystream_file() { # PATH SIZE SEED
  openssl enc -aes-128-ctr -K "$(printf '%032x' "$3")" -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null |
    head -c "$2" >"$1" || true
  [ "$(stat -c %s "$1")" = "$2" ] || die "could not write $1"
}

# Checks the finished capture (bench/lib/pcapScan.mjs) and writes NAME.meta.json: fails when a
# frame is larger than an MTU-1500 Ethernet frame (offloads not really off), a frame is cut
# short, or the link type is not Ethernet.
finish_capture() { # NAME ATTEMPT EXTRA_JSON
  local name=$1 attempt=$2 extra=$3
  node "$BENCH_DIR/lib/pcapScan.mjs" "$DATA/$name.pcap.tmp" >"$WORK/scan.json"
  node -e '
    const [scanFile, name, attempt, captured, dk, di, extra, tcpdumpVersion] = process.argv.slice(1);
    const scan = JSON.parse(require("fs").readFileSync(scanFile, "utf8"));
    const bad = (m) => { console.error(`make-captures: ${name}: ${m}`); process.exit(3); };
    if (scan.maxCapturedLength > 1514) bad(`largest frame ${scan.maxCapturedLength} B > 1514: segmentation offload still on?`);
    if (scan.trailingBytes !== 0 || scan.truncatedFrames !== 0) bad("capture cut short or frames truncated");
    if (scan.linkType !== 1) bad(`link type ${scan.linkType}, expected Ethernet (1)`);
    if (scan.frames !== Number(captured)) bad(`file holds ${scan.frames} frames, tcpdump captured ${captured}`);
    const meta = { name, generated: new Date().toISOString(), ...scan, attempt: Number(attempt),
      tcpdumpCaptured: Number(captured), droppedByKernel: Number(dk), droppedByInterface: Number(di),
      lab: "scripts/ftp-lab.sh (pure-ftpd)", mtu: 1500, offloads: "tso, gso, gro off on both veth ends",
      capture: `${tcpdumpVersion} in the server namespace, default snaplen, -B buffer`, ...JSON.parse(extra) };
    console.log(JSON.stringify(meta, null, 2));
  ' "$WORK/scan.json" "$name" "$attempt" "$CAPTURED" "$DROPPED_KERNEL" "$DROPPED_IFACE" "$extra" \
    "$(tcpdump --version 2>&1 | head -1)" >"$DATA/$name.meta.json.tmp"
}

publish() { # NAME
  mv -f "$DATA/$1.pcap.tmp" "$DATA/$1.pcap"
  mv -f "$DATA/$1.files.json.tmp" "$DATA/$1.files.json"
  mv -f "$DATA/$1.meta.json.tmp" "$DATA/$1.meta.json"
  say "$1: $(du -h "$DATA/$1.pcap" | cut -f1) in $DATA/$1.pcap ($(node -e 'const m = require(process.argv[1]); console.log(`${m.frames} frames, largest ${m.maxCapturedLength} B`)' "$DATA/$1.meta.json"))"
}

# ---------------------------------------------------------------------------------------------
# bulk: a few large transfers, one after another.

# The i-th transfer (cycled): command, client, data-connection mode, server address.
bulk_method() {
  case $(( ($1 - 1) % 5 )) in
    0) echo "RETR curl EPSV $FTPLAB_SRV4" ;;
    1) echo "RETR lftp PASV $FTPLAB_SRV4" ;;
    2) echo "STOR curl EPSV $FTPLAB_SRV4" ;;
    3) echo "RETR lftp PORT $FTPLAB_SRV4" ;;
    4) echo "STOR lftp EPSV $FTPLAB_SRV6" ;;
  esac
}

make_bulk() {
  # A 1448-byte segment costs 1514 + 16 (record header) bytes of capture, plus about half an
  # ACK (66 + 16): capture ≈ payload × 1.085.
  local per_file=$(( BULK_MB * 1000000 * 1000 / 1085 / BULK_FILES ))
  local up=$FTPLAB_CLIENT/upload down=$FTPLAB_CLIENT/download
  local i cmd client mode addr name src path
  say "bulk: $BULK_FILES files of $(( per_file / 1000000 )) MB (capture target ${BULK_MB} MB)"
  : >"$WORK/bulk.files"
  for i in $(seq 1 "$BULK_FILES"); do
    read -r cmd client mode addr <<<"$(bulk_method "$i")"
    name="bulk-$i-$(echo "$cmd" | tr 'A-Z' 'a-z').bin"
    if [ "$cmd" = RETR ]; then src=$FTPLAB_HOME/$name path=$name; else src=$up/$name path=uploads/$name; fi
    keystream_file "$src" "$per_file" "$((0x6b656e6368000 + i))"
    touch -d '2026-01-15 12:00:00Z' "$src"
    printf '%s %s %s %s %s %s %s %s\n' "$i" "$name" "$path" "$cmd" "$client" "$mode" "$addr" "$(sha "$src")" >>"$WORK/bulk.files"
  done
  chown -R "$FTPLAB_UID:$FTPLAB_GID" "$FTPLAB_HOME"

  local attempt rate
  for attempt in $(seq 1 "$ATTEMPTS"); do
    # After a drop, slow the transfers down so tcpdump keeps up: 150 MB/s, then 60 MB/s.
    rate=0
    [ "$attempt" -eq 2 ] && rate=150000000
    [ "$attempt" -ge 3 ] && rate=60000000
    rm -f "$down"/bulk-* "$FTPLAB_HOME"/uploads/bulk-*
    capture_start "$DATA/bulk.pcap.tmp"
    while read -r i name path cmd client mode addr digest; do
      local url_host=$addr note=""
      [[ $addr == *:* ]] && url_host="[$addr]"
      [ "$rate" -gt 0 ] && note=", limited to $((rate / 1000000)) MB/s"
      say "bulk: $cmd $path ($client, $mode, $addr$note)"
      if [ "$client" = curl ]; then
        local opts=(-sS --fail --max-time 1200)
        [ "$mode" = EPSV ] || opts+=(--disable-epsv)
        [ "$rate" -gt 0 ] && opts+=(--limit-rate "$rate")
        if [ "$cmd" = RETR ]; then
          ftplab_cli curl "${opts[@]}" -o "$down/$name" "ftp://$FTPLAB_USER:$FTPLAB_PASS@$url_host/$path" </dev/null
        else
          ftplab_cli curl "${opts[@]}" -T "$up/$name" "ftp://$FTPLAB_USER:$FTPLAB_PASS@$url_host/$path" </dev/null
        fi
      else
        local set="set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 60; set cmd:fail-exit yes; set xfer:clobber on"
        case $mode in
          PASV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv no" ;;
          EPSV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv yes" ;;
          PORT) set="$set; set ftp:passive-mode off" ;;
        esac
        [ "$rate" -gt 0 ] && set="$set; set net:limit-rate $rate"
        local xfer="get $path -o $down/$name"
        [ "$cmd" = STOR ] && xfer="put $up/$name -o $path"
        ftplab_cli lftp -c "$set; open -u $FTPLAB_USER,$FTPLAB_PASS ftp://$url_host; $xfer; bye" </dev/null
      fi
    done <"$WORK/bulk.files"
    capture_stop
    if [ "$DROPPED_KERNEL" != 0 ] || [ "$DROPPED_IFACE" != 0 ]; then
      [ "$attempt" -lt "$ATTEMPTS" ] && say "bulk: tcpdump dropped packets; again (attempt $((attempt + 1)) of $ATTEMPTS)"
      continue
    fi
    # Every transfer must have arrived whole.
    while read -r i name path cmd client mode addr digest; do
      local copy="$down/$name"
      [ "$cmd" = STOR ] && copy="$FTPLAB_HOME/$path"
      [ "$(sha "$copy")" = "$digest" ] || die "bulk: $cmd $path arrived damaged"
    done <"$WORK/bulk.files"
    node -e '
      const [list, size, user, server4, server6] = process.argv.slice(1);
      const files = require("fs").readFileSync(list, "utf8").trim().split("\n").map((l) => {
        const [order, name, path, command, client, dataConnection, server, sha256] = l.split(" ");
        return { order: Number(order), name, path, size: Number(size), sha256, command, client, dataConnection, server };
      });
      console.log(JSON.stringify({ capture: "bulk.pcap", user, server: [server4, server6], files }, null, 2));
    ' "$WORK/bulk.files" "$per_file" "$FTPLAB_USER" "$FTPLAB_SRV4" "$FTPLAB_SRV6" >"$DATA/bulk.files.json.tmp"
    finish_capture bulk "$attempt" "{\"transfers\": $BULK_FILES, \"targetMB\": $BULK_MB, \"transferBytes\": $per_file, \"rateLimit\": $rate}"
    publish bulk
    return 0
  done
  die "bulk: tcpdump dropped packets in all $ATTEMPTS attempts"
}

# ---------------------------------------------------------------------------------------------
# many: thousands of short sessions from parallel ftplib clients.

make_many() {
  local pooldir=$FTPLAB_HOME/pub
  mkdir -p "$pooldir"
  # Small files, sizes log-uniform from 200 B to 64 KiB, content from a fixed seed.
  "$PY" - "$pooldir" "$MANY_POOL" "$WORK/pool.json" <<'EOF'
import hashlib, json, os, random, sys
d, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(2026)
pool = []
for i in range(n):
    size = int(200 * (65536 / 200) ** rng.random())
    data = rng.randbytes(size)
    name = f"file-{i:04d}.bin"
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    pool.append({"name": name, "size": size, "sha256": hashlib.sha256(data).hexdigest()})
json.dump(pool, open(out, "w"))
EOF
  find "$pooldir" -exec touch -h -d '2026-01-15 12:00:00Z' {} +
  chown -R "$FTPLAB_UID:$FTPLAB_GID" "$pooldir"
  local target=$(( MANY_MB * 1000000 ))
  local attempt
  for attempt in $(seq 1 "$ATTEMPTS"); do
    capture_start "$DATA/many.pcap.tmp"
    say "many: sessions from $MANY_WORKERS parallel clients until the capture reaches $MANY_MB MB"
    ftplab_cli "$PY" "$BENCH_DIR/lib/many-client.py" --host4 "$FTPLAB_SRV4" --host6 "$FTPLAB_SRV6" \
      --user "$FTPLAB_USER" --password "$FTPLAB_PASS" --dir pub --pool "$WORK/pool.json" \
      --capture "$DATA/many.pcap.tmp" --target-bytes "$target" --workers "$MANY_WORKERS" \
      --max-sessions 500000 --deadline-s 1500 >"$WORK/many.out" </dev/null || true
    capture_stop
    [ -s "$WORK/many.out" ] || die "many: the client printed nothing"
    say "many: $(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(`${r.sessions} sessions, ${r.failures} failed, ${r.seconds} s, ${JSON.stringify(r.modes)}${r.errors.length ? "; errors: " + r.errors.join(" | ") : ""}`);
    ' "$WORK/many.out")"
    if [ "$DROPPED_KERNEL" != 0 ] || [ "$DROPPED_IFACE" != 0 ]; then
      [ "$attempt" -lt "$ATTEMPTS" ] && say "many: tcpdump dropped packets; again (attempt $((attempt + 1)) of $ATTEMPTS)"
      continue
    fi
    node -e '
      const fs = require("fs");
      const [outFile, poolFile, user, server4, server6] = process.argv.slice(1);
      const r = JSON.parse(fs.readFileSync(outFile, "utf8"));
      if (r.failures > Math.max(1, r.sessions / 1000)) { console.error(`make-captures: many: too many failed sessions: ${r.failures}`); process.exit(3); }
      const files = JSON.parse(fs.readFileSync(poolFile, "utf8"))
        .map((f) => ({ name: f.name, path: `pub/${f.name}`, size: f.size, sha256: f.sha256, command: "RETR", retrieved: r.files[f.name] ?? 0 }));
      console.log(JSON.stringify({ capture: "many.pcap", user, server: [server4, server6], sessions: r.sessions,
        failedSessions: r.failures, modes: r.modes, files }, null, 2));
    ' "$WORK/many.out" "$WORK/pool.json" "$FTPLAB_USER" "$FTPLAB_SRV4" "$FTPLAB_SRV6" >"$DATA/many.files.json.tmp"
    local extra
    extra=$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(JSON.stringify({ sessions: r.sessions, failedSessions: r.failures, modes: r.modes, clientSeconds: r.seconds,
        targetMB: Number(process.argv[2]), workers: Number(process.argv[3]), poolFiles: Number(process.argv[4]) }));
    ' "$WORK/many.out" "$MANY_MB" "$MANY_WORKERS" "$MANY_POOL")
    finish_capture many "$attempt" "$extra"
    publish many
    return 0
  done
  die "many: tcpdump dropped packets in all $ATTEMPTS attempts"
}

# ---------------------------------------------------------------------------------------------

ftplab_up
ftplab_make_served_files
check_wire
ftplab_start_pureftpd
for n in "${todo[@]}"; do
  "make_$n"
done
