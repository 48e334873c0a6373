#!/usr/bin/env python3
"""Summary of scripts/bench_ike.sh results (the TSV it writes): per N and
responder, the setup rate (median [min..max] over rounds), RSS before and
after, memory per IKE_SA (median), failures, and uipsec's ratios to charon
(rate: uipsec / charon, the target >= 2; memory per IKE_SA: uipsec /
charon, the target <= 1/3)."""
import statistics
import sys


def med(v):
    return statistics.median(v) if v else float("nan")


def main(path):
    rows, comments = [], []
    with open(path) as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                comments.append(line)
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols)))
    by = {}
    for r in rows:
        by.setdefault((int(r["n"]), r["peer"]), []).append(r)
    for c in comments:
        print(c)
    print("%-7s %-7s %-26s %-10s %-22s %-12s %-8s %s" % (
        "N", "peer", "setups/s med [min..max]", "failed", "RSS before->after MB",
        "kB/IKE_SA", "cpu s", "responder SAs"))
    summary = {}
    for (n, peer) in sorted(by, key=lambda k: (k[0], k[1] != "uipsec", k[1])):
        rs = by[(n, peer)]
        ok = [r for r in rs if r.get("rate")]
        rates = [float(r["rate"]) for r in ok]
        per = [(int(r["rss1_kb"]) - int(r["rss0_kb"])) / int(r["established"])
               for r in ok if r["established"] not in ("", "0")]
        fails = sum(int(r["failed"] or 0) for r in ok)
        rss0 = med([int(r["rss0_kb"]) / 1024 for r in ok])
        rss1 = med([int(r["rss1_kb"]) / 1024 for r in ok])
        cpu = med([float(r["cpu_s"]) for r in ok if r.get("cpu_s")])
        sas = ",".join(r.get("responder_sas", "?") for r in ok)
        bad = len(rs) - len(ok)
        rate_s = "%.0f [%.0f..%.0f]" % (med(rates), min(rates), max(rates)) if rates else "-"
        print("%-7d %-7s %-26s %-10s %-22s %-12s %-8s %s%s" % (
            n, peer, rate_s, "%d/%d" % (fails, n * len(ok)),
            "%.1f -> %.1f" % (rss0, rss1), "%.1f" % med(per) if per else "-",
            "%.2f" % cpu, sas, " (%d runs did not start)" % bad if bad else ""))
        summary[(n, peer)] = (med(rates) if rates else None, med(per) if per else None)
    for n in sorted({k[0] for k in summary}):
        u, c = summary.get((n, "uipsec")), summary.get((n, "charon"))
        if not u or not c:
            continue
        parts = []
        if u[0] and c[0]:
            parts.append("rate uipsec/charon %.2fx (target >= 2)" % (u[0] / c[0]))
        if u[1] is not None and c[1]:
            parts.append("memory per IKE_SA uipsec/charon %.2f (target <= 0.33)" % (u[1] / c[1]))
        print("N=%d: %s" % (n, "; ".join(parts)))


if __name__ == "__main__":
    main(sys.argv[1])
