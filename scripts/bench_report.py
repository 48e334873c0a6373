#!/usr/bin/python3
"""Summarise the results file of scripts/bench.sh (make bench).

Usage: scripts/bench_report.py [--markdown] build/bench-results.tsv

--markdown prints one table, peers by metrics, for docs/performance.md.

The file has one row per measurement: round, peer, metric, value, note
('#' lines are comments). A run that failed has a 'status' row with value
'failed' and the reason in the note; a peer that is not built yet has
'unavailable'. This prints, per metric, median [min..max] over the rounds
for every peer, then the ratios of the medians of each uipsec variant to
strongSwan (strongswan-chacha for the ChaCha20-Poly1305 variants),
wireguard-go and plain forwarding, raw ESP's ratio to ESP in UDP, and the
targets of issues 6 and 13.
"""
import statistics
import sys

# metric, title, unit, format, higher is better
METRICS = [
    ("tcp1_gbps", "iperf3 TCP, 1 stream", "Gbit/s", "%.3f", True),
    ("tcp4_gbps", "iperf3 TCP, 4 streams", "Gbit/s", "%.3f", True),
    ("udp64_kpps", "iperf3 UDP, 64-byte payloads, iperf3's default socket buffers, received",
     "kpackets/s", "%.1f", True),
    ("udp64_loss_pct", "iperf3 UDP, 64-byte payloads, default buffers, lost", "%", "%.2f", False),
    ("udp64_sockdrop_pct", "of that loss: dropped at hostb's full socket buffer,"
     " in percent of what reached hostb", "%", "%.1f", False),
    ("udp64buf_kpps", "iperf3 UDP, 64-byte payloads, 2 MiB socket buffers (-w 2M), received",
     "kpackets/s", "%.1f", True),
    ("udp64buf_loss_pct", "iperf3 UDP, 64-byte payloads, 2 MiB buffers, lost", "%", "%.2f", False),
    ("udp64buf_sockdrop_pct", "of that loss: dropped at hostb's full socket buffer,"
     " in percent of what reached hostb", "%", "%.1f", False),
    ("ping_rtt_ms", "ping round trip hosta -> hostb (median of each run)", "ms", "%.3f", False),
    ("added_ms", "latency added to plain forwarding (same round)", "ms", "%.3f", False),
    ("cpu_s_per_gb", "VPN daemons' CPU time (both gateways) per GB, TCP 1 stream", "s/GB", "%.2f", False),
    ("cpu_sys_pct", "share of that CPU time spent in the kernel (system time)", "%", "%.1f", False),
]
PEERS_REF = ["strongswan", "wireguard-go", "plain"]
# What each uipsec variant is, for the report: the configuration a user
# writes, or what differs from it (a tuned or manually keyed figure is
# said to be one).
PEER_DESC = {
    "uipsec-default": "the strongswan peer's swanctl.conf, defaults left alone",
    "uipsec-encap": "the same with encap = yes",
    "uipsec-rawesp": "the same with raw_esp = yes in uipsecd.conf (raw ESP)",
    "uipsec-chacha": "the same with esp_proposals = chacha20poly1305",
    "uipsec-gcm-esp": "manual keys (uipsec xfrm), raw ESP",
    "uipsec-gcm-udp": "manual keys (uipsec xfrm), ESP in UDP",
    "uipsec-gcm-udp-w2": "TUNED: manual keys, ESP in UDP, uipsecd --workers 2",
    "uipsec-chacha-esp": "manual keys, ChaCha20-Poly1305, raw ESP",
    "uipsec-chacha-udp": "manual keys, ChaCha20-Poly1305, ESP in UDP",
}
# Targets: (metric, reference peers, bound, "min" = ratio at least, "max"
# = at most, "abs" = the value itself at most, which peers it applies to
# ("aes": the AES-GCM variants, "chacha": the ChaCha20-Poly1305 ones),
# where it comes from).
TARGETS = [
    ("tcp1_gbps", ["strongswan"], 8.0, "min", "aes", "issue 6"),
    ("tcp1_gbps", ["wireguard-go"], 6.0, "min", "aes", "issue 6"),
    # 64-byte UDP with iperf3's default buffers (issue 13), and with 2 MiB
    # ones (issue 6: what the path carries, without the receiving
    # iperf3's drops; docs/performance.md, "The UDP test and the
    # receiver's buffer").
    ("udp64_kpps", ["strongswan"], 4.0, "min", "aes", "issue 13"),
    ("udp64_kpps", ["wireguard-go"], 3.0, "min", "aes", "issue 13"),
    ("udp64buf_kpps", ["strongswan"], 3.0, "min", "aes", "issue 6"),
    ("udp64buf_kpps", ["wireguard-go"], 3.0, "min", "aes", "issue 6"),
    ("added_ms", ["strongswan", "wireguard-go"], 0.4, "max", "aes", "issue 13"),
    ("cpu_s_per_gb", [], 2.7, "abs", "aes", "issue 13"),
    ("tcp1_gbps", ["wireguard-go"], 2.0, "min", "chacha", "issue 13"),
]


def refs_for(peer):
    """The reference peers of a uipsec variant: its ChaCha20-Poly1305
    variants are compared with strongSwan running the same cipher when
    that ran."""
    if "chacha" in peer:
        return ["strongswan-chacha", "wireguard-go", "plain"]
    return PEERS_REF


def load(path):
    rows, comments = [], []
    with open(path, newline="") as f:
        for line in f:
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif line.strip() and not line.startswith("round\t"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows, comments


def main():
    args = sys.argv[1:]
    markdown = "--markdown" in args
    args = [a for a in args if a != "--markdown"]
    if len(args) != 1:
        sys.exit(__doc__)
    rows, comments = load(args[0])
    peers = []            # in the order they ran
    values = {}           # (peer, metric) -> {round: value}
    status = {}           # peer -> list of (round, status, note)
    notes = []            # (round, peer, metric, note) of missing values
    for r in rows:
        r += [""] * (5 - len(r))
        rnd, peer, metric, value, note = r[:5]
        if peer not in peers:
            peers.append(peer)
        if metric == "status":
            status.setdefault(peer, []).append((rnd, value, note))
        elif value == "":
            notes.append((rnd, peer, metric, note))
        else:
            values.setdefault((peer, metric), {})[rnd] = float(value)
    # Latency added to plain forwarding, round by round.
    plain = values.get(("plain", "ping_rtt_ms"), {})
    for peer in peers:
        own = values.get((peer, "ping_rtt_ms"), {})
        added = {rnd: v - plain[rnd] for rnd, v in own.items() if rnd in plain}
        if added and peer != "plain":
            values[(peer, "added_ms")] = added

    def med(peer, metric):
        v = values.get((peer, metric))
        return statistics.median(v.values()) if v else None

    def unavailable(peer):
        st = status.get(peer, [])
        return st and all(s == "unavailable" for _, s, _ in st) and st[0][2]

    if markdown:
        print_markdown(peers, values, unavailable)
        return
    print()
    print("== uipsec make bench")
    for c in comments:
        print("   " + c)
    width = max([len(p) for p in peers] + [12])
    for metric, title, unit, fmt, higher in METRICS:
        print()
        print("-- %s (%s, %s is better)" % (title, unit, "higher" if higher else "lower"))
        for peer in peers:
            if metric == "added_ms" and peer == "plain":
                continue
            runs = status.get(peer, [])
            v = values.get((peer, metric))
            if unavailable(peer):
                cell = unavailable(peer)
            elif not v:
                cell = "no data"
                if metric == "added_ms" and not plain:
                    cell = "no data (needs plain in the same run)"
                if metric.startswith("cpu_") and peer == "plain":
                    cell = "n/a (no daemon: kernel forwarding)"
            else:
                vs = list(v.values())
                cell = "%s [%s .. %s]  (%d of %d runs)" % (
                    fmt % statistics.median(vs), fmt % min(vs), fmt % max(vs), len(vs), len(runs))
            print("   %-*s  %s" % (width, peer, cell))

    uipsec = [p for p in peers if p.startswith("uipsec") and not unavailable(p)]
    if uipsec:
        print()
        print("-- the uipsec variants")
        for u in uipsec:
            print("   %-*s  %s" % (width, u, PEER_DESC.get(u, "")))
    print()
    print("-- ratios of medians, uipsec / peer (throughput: higher is better;"
          " loss, latency, CPU: lower is better)")
    if not uipsec:
        print("   none: uipsec not available yet (uipsecd missing)")
    for u in uipsec:
        for metric, title, unit, fmt, higher in METRICS:
            if metric in ("ping_rtt_ms", "cpu_sys_pct") or metric.endswith("_sockdrop_pct"):
                continue
            if med(u, metric) is None:
                continue
            cells = []
            for ref in refs_for(u):
                a, b = med(u, metric), med(ref, metric)
                if a is None or b is None or b == 0:
                    cells.append("%s n/a" % ref)
                else:
                    cells.append("%s %.2fx" % (ref, a / b))
            print("   %-*s  %-15s %s" % (width, u, metric, "   ".join(cells)))

    # Raw ESP beside ESP in UDP, same configuration otherwise.
    if "uipsec-rawesp" in uipsec:
        print()
        print("-- raw ESP / ESP in UDP (uipsec-rawesp / uipsec-default, and / uipsec-encap)")
        for metric in ("tcp1_gbps", "udp64_kpps", "cpu_s_per_gb"):
            a = med("uipsec-rawesp", metric)
            cells = []
            for ref in ("uipsec-default", "uipsec-encap"):
                b = med(ref, metric)
                cells.append("%s %s" % (ref, "%.2fx" % (a / b) if a is not None and b else "n/a"))
            print("   %-15s %s" % (metric, "   ".join(cells)))

    print()
    print("-- targets (issues 6 and 13; ratios of medians from this run)")
    if not uipsec:
        print("   not measured: uipsec not available yet")
    for u in uipsec:
        # raw ESP has its own section above: the targets are for ESP in UDP.
        if u == "uipsec-rawesp":
            continue
        kind_of = "chacha" if "chacha" in u else "aes"
        for metric, refs, bound, kind, applies, src in TARGETS:
            if applies != kind_of:
                continue
            a = med(u, metric)
            if kind == "abs":
                if a is None:
                    print("   %-*s  %s: not measured" % (width, u, metric))
                else:
                    print("   %-*s  %s %.2f (target <= %.1f, %s): %s" % (
                        width, u, metric, a, bound, src, "met" if a <= bound else "NOT met"))
                continue
            bs = [med(r, metric) for r in refs]
            bs = [b for b in bs if b is not None]
            if a is None or not bs:
                print("   %-*s  %s vs %s: not measured" % (width, u, metric, "/".join(refs)))
                continue
            b = min(bs) if not METRICS_HIGHER[metric] else max(bs)
            if b <= 0:
                print("   %-*s  %s vs %s: reference is %.3f, no ratio" % (width, u, metric, "/".join(refs), b))
                continue
            ratio = a / b
            met = ratio >= bound if kind == "min" else ratio <= bound
            # What plain forwarding reached against the same reference
            # in this run: a throughput ratio above it is out of reach
            # (the hosts' iperf3 and the shared cores are the limit).
            ceiling = ""
            p = med("plain", metric)
            if kind == "min" and p is not None and metric != "added_ms":
                ceiling = "; plain forwarding %.2fx" % (p / b)
            print("   %-*s  %s vs %s: %.2fx (target %s %.1fx, %s): %s%s" % (
                width, u, metric, "best of " + "/".join(refs) if len(refs) > 1 else refs[0],
                ratio, ">=" if kind == "min" else "<=", bound, src, "met" if met else "NOT met",
                ceiling))

    failed = [(rnd, p, note) for p, st in status.items() for rnd, s, note in st if s == "failed"]
    if failed or notes:
        print()
        print("-- failures")
        for rnd, p, note in failed:
            print("   round %s %s: %s" % (rnd, p, note))
        for rnd, p, metric, note in notes:
            print("   round %s %s %s: %s" % (rnd, p, metric, note))


def print_markdown(peers, values, unavailable):
    short = {"tcp1_gbps": "TCP 1 stream Gbit/s", "tcp4_gbps": "TCP 4 streams Gbit/s",
             "udp64_kpps": "UDP 64 B kpps received", "udp64_loss_pct": "UDP loss %",
             "udp64_sockdrop_pct": "UDP socket drops %",
             "udp64buf_kpps": "UDP 64 B, 2 MiB buffers, kpps", "udp64buf_loss_pct": "loss %",
             "udp64buf_sockdrop_pct": "socket drops %",
             "ping_rtt_ms": "ping RTT ms", "added_ms": "added ms",
             "cpu_s_per_gb": "CPU s/GB", "cpu_sys_pct": "system %"}
    cols = METRICS
    print("| peer | " + " | ".join(short[m[0]] for m in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for peer in peers:
        cells = []
        for metric, title, unit, fmt, higher in cols:
            v = values.get((peer, metric))
            if unavailable(peer):
                cells.append("n/a")
            elif not v:
                cells.append("-")
            else:
                vs = list(v.values())
                cells.append("%s [%s..%s]" % (fmt % statistics.median(vs), fmt % min(vs), fmt % max(vs)))
        print("| %s | %s |" % (peer, " | ".join(cells)))


METRICS_HIGHER = {m[0]: m[4] for m in METRICS}

if __name__ == "__main__":
    main()
