#!/usr/bin/env bash
# scripts/e2e-transfers.sh OUTDIR — one live run for test/extract/live.e2e.test.ts.
#
# Builds the lab of scripts/ftp-lab.sh (two network namespaces, a veth, documentation
# addresses only), serves freshly generated random files (a new seed every run) from
# pure-ftpd, and moves them with curl and lftp — downloads and uploads, passive and
# active, IPv4 and IPv6 — while tcpdump records the veth. Writes
#   OUTDIR/live.pcap        the capture
#   OUTDIR/expected.tsv     direction<TAB>name<TAB>size<TAB>sha256 of every original
# and checks that every client really got/sent the file (sha256) before it exits 0.
# Needs root, iproute2, ethtool, tcpdump, capinfos, pure-ftpd, curl, lftp, openssl, python3.
set -euo pipefail
OUT=${1:?usage: e2e-transfers.sh OUTDIR}
mkdir -p "$OUT"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=ftp-lab.sh
source "$REPO/scripts/ftp-lab.sh"
ftplab_init "e2e$(( $$ % 100000 ))" "$OUT/lab"
ftplab_up
ftplab_make_served_files
SEED="e2e:$(date +%s%N):$$:$RANDOM"
U=$FTPLAB_USER P=$FTPLAB_PASS S4=$FTPLAB_SRV4 S6=$FTPLAB_SRV6
: >"$OUT/expected.tsv"
add() { # direction role name size
  local info; info=$(ftplab_add_file "$2" "$3" "$4" "$SEED:$3")
  printf '%s\t%s\t%s\n' "$1" "$3" "$info" >>"$OUT/expected.tsv"
}
# sizes: empty-ish, under one segment, a few segments, ~1 MB, odd sizes
add download home rnd-pasv4-1.bin 1
add download home rnd-pasv4-777.bin 777
add download home rnd-active4-65537.bin 65537
add download home rnd-pasv6-300001.bin 300001
add download home rnd-active6-1048576.bin 1048576
add download home rnd-lftp-123457.bin 123457
add upload client rnd-up-pasv4-40000.bin 40000
add upload client rnd-up-active4-5000.bin 5000
add upload client rnd-up-pasv6-250000.bin 250000
add upload client rnd-up-active6-9999.bin 9999
ftplab_start_pureftpd
ftplab_capture_start live "$OUT/live.pcap"
C=(ftplab_cli curl -q -sS --max-time 30)
D=$FTPLAB_CLIENT/download
"${C[@]}" --disable-epsv -o "$D/rnd-pasv4-1.bin" "ftp://$U:$P@$S4/rnd-pasv4-1.bin"
"${C[@]}" --disable-epsv -o "$D/rnd-pasv4-777.bin" "ftp://$U:$P@$S4/rnd-pasv4-777.bin"
"${C[@]}" --ftp-port - --disable-eprt -o "$D/rnd-active4-65537.bin" "ftp://$U:$P@$S4/rnd-active4-65537.bin"
"${C[@]}" -g -o "$D/rnd-pasv6-300001.bin" "ftp://$U:$P@[$S6]/rnd-pasv6-300001.bin"
"${C[@]}" -g --ftp-port - -o "$D/rnd-active6-1048576.bin" "ftp://$U:$P@[$S6]/rnd-active6-1048576.bin"
HOME=$FTPLAB_DIR ftplab_cli lftp -c "set cmd:fail-exit true; set net:max-retries 1; set net:timeout 15; set ftp:ssl-allow false;
  set ftp:passive-mode true; open -u $U,$P ftp://$S4; get rnd-lftp-123457.bin -o $D/rnd-lftp-123457.bin; bye"
UP=$FTPLAB_CLIENT/upload
"${C[@]}" --disable-epsv -T "$UP/rnd-up-pasv4-40000.bin" "ftp://$U:$P@$S4/uploads/"
"${C[@]}" --ftp-port - --disable-eprt -T "$UP/rnd-up-active4-5000.bin" "ftp://$U:$P@$S4/uploads/"
"${C[@]}" -g -T "$UP/rnd-up-pasv6-250000.bin" "ftp://$U:$P@[$S6]/uploads/"
"${C[@]}" -g --ftp-port - -T "$UP/rnd-up-active6-9999.bin" "ftp://$U:$P@[$S6]/uploads/"
ftplab_capture_stop live >/dev/null
ftplab_stop_servers
# every transfer really happened, byte for byte
while IFS=$'\t' read -r dir name _size sum; do
  if [[ $dir == download ]]; then f=$D/$name; else f=$FTPLAB_HOME/uploads/$name; fi
  [[ $(sha256sum "$f" | cut -d' ' -f1) == "$sum" ]] || { echo "e2e-transfers: $name was not transferred intact" >&2; exit 1; }
done <"$OUT/expected.tsv"
rm -rf "$OUT/lab"
