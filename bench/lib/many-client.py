#!/usr/bin/env python3
"""FTP session generator for the `many` bench capture (run inside the client namespace).

Each session: connect, USER/PASS, LIST of the pool directory, RETR of one small pool file
(checked against its sha256), QUIT. Several worker processes loop until the capture file being
written reaches the target size, or a session limit or deadline is hit (all loops are bounded).
Sessions go to the lab server only (198.51.100.1 / 2001:db8::1, checked below), with a mix of
data-connection modes: IPv4 PASV and PORT, IPv6 EPSV and EPRT.

Prints one JSON line on stdout: sessions, failures, per-mode and per-file counts.
"""
import argparse
import ftplib
import hashlib
import ipaddress
import json
import multiprocessing
import os
import random
import sys
import time

LAB_V4 = ipaddress.ip_network("198.51.100.0/24")
LAB_V6 = ipaddress.ip_network("2001:db8::/64")

# (mode name, address family key, passive?) with weights.
MODES = [("ipv4-pasv", "v4", True, 60), ("ipv4-port", "v4", False, 10),
         ("ipv6-epsv", "v6", True, 25), ("ipv6-eprt", "v6", False, 5)]


def lab_address(text):
    addr = ipaddress.ip_address(text)
    if not any(addr in net for net in (LAB_V4, LAB_V6)):
        raise SystemExit(f"refusing {text}: only 198.51.100.0/24 and 2001:db8::/64 are lab addresses")
    return text


def worker(index, args, pool, stop_at, results):
    rng = random.Random(args.seed * 1000 + index)
    hosts = {"v4": args.host4, "v6": args.host6}
    modes = [m for m in MODES if hosts[m[1]]]
    weights = [m[3] for m in modes]
    counts = {"sessions": 0, "failures": 0, "bytes": 0, "modes": {}, "files": {}, "errors": []}
    per_worker = args.max_sessions // args.workers + (1 if index < args.max_sessions % args.workers else 0)
    for _ in range(per_worker):  # bounded
        if time.monotonic() > stop_at:
            break
        try:
            if os.path.getsize(args.capture) >= args.target_bytes:
                break
        except FileNotFoundError:
            pass
        name, fam, passive, _w = rng.choices(modes, weights)[0]
        entry = rng.choice(pool)
        got = hashlib.sha256()
        size = 0
        try:
            ftp = ftplib.FTP(timeout=args.timeout)
            ftp.connect(hosts[fam], 21)
            ftp.login(args.user, args.password)
            ftp.set_pasv(passive)
            listing = []
            ftp.retrlines(f"LIST {args.dir}", listing.append)

            def take(block):
                nonlocal size
                size += len(block)
                got.update(block)

            ftp.retrbinary(f"RETR {args.dir}/{entry['name']}", take)
            ftp.quit()
            if got.hexdigest() != entry["sha256"] or not listing:
                raise RuntimeError(f"{entry['name']}: content or listing mismatch")
            counts["sessions"] += 1
            counts["bytes"] += size
            counts["modes"][name] = counts["modes"].get(name, 0) + 1
            counts["files"][entry["name"]] = counts["files"].get(entry["name"], 0) + 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            counts["failures"] += 1
            if len(counts["errors"]) < 5:
                counts["errors"].append(f"{name}: {exc!r}")
            if counts["failures"] > 50:
                break
    results.put(counts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host4", default="")
    p.add_argument("--host6", default="")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--dir", required=True, help="pool directory on the server, relative to the login directory")
    p.add_argument("--pool", required=True, help="JSON file: [{name, size, sha256}]")
    p.add_argument("--capture", required=True, help="pcap being written; stop when it reaches --target-bytes")
    p.add_argument("--target-bytes", type=int, required=True)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--max-sessions", type=int, default=200000)
    p.add_argument("--deadline-s", type=float, default=1200)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    for h in (args.host4, args.host6):
        if h:
            lab_address(h)
    if not (args.host4 or args.host6):
        raise SystemExit("no server address")
    with open(args.pool) as f:
        pool = json.load(f)

    stop_at = time.monotonic() + args.deadline_s
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(i, args, pool, stop_at, results)) for i in range(args.workers)]
    t0 = time.monotonic()
    for pr in procs:
        pr.start()
    total = {"sessions": 0, "failures": 0, "bytes": 0, "modes": {}, "files": {}, "errors": []}
    for _ in procs:
        c = results.get()
        for k in ("sessions", "failures", "bytes"):
            total[k] += c[k]
        for k in ("modes", "files"):
            for name, n in c[k].items():
                total[k][name] = total[k].get(name, 0) + n
        total["errors"].extend(c["errors"])
    for pr in procs:
        pr.join()
    total["seconds"] = round(time.monotonic() - t0, 1)
    total["deadlineHit"] = time.monotonic() > stop_at
    print(json.dumps(total))
    return 0 if total["sessions"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
