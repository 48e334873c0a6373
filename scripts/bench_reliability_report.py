#!/usr/bin/python3
"""Summarise the results file of scripts/bench_reliability.sh
(make bench-reliability).

Usage: scripts/bench_reliability_report.py [--markdown] RESULTS.tsv

The file has one row per measurement: scenario, peer, metric, try, value,
note ('#' lines are comments). A value may be empty, with the reason in
the note ("never (...)", "gave up", "refused: ..."). Rows of peer '*' say
how the scenario was set up (metric 'config') and how long it took.

Per scenario this prints a table, one line per metric, one column per
peer: a single value as it is; repeated values as median [min..max] and
their count; notes as a short tag in the cell (the text before its first
" (" or ":"), the whole note as a footnote under the table. Then the
issue 17 targets beside today's values. --markdown prints the same tables
in Markdown, for docs/reliability.md.
"""
import statistics
import sys

INF = float("inf")

# scenario -> [(metric, title, format)]
METRICS = {
    "rekey": [
        ("child_rekeys", "CHILD_SA rekeys done (seen on gwa) during the pings", "%d"),
        ("ike_rekeys", "IKE_SA rekeys done during the pings", "%d"),
        ("ping_seconds", "pinging for (s)", "%.0f"),
        ("pings_sent", "pings sent (100/s)", "%d"),
        ("pings_lost", "pings lost", "%d"),
        ("ping_longest_gap_ms", "longest run of lost pings (ms)", "%d"),
        ("ping_dups", "duplicate replies", "%d"),
        ("child_rekeys_started_gwa", "CHILD_SA rekeys started by gwa", "%d"),
        ("child_rekeys_started_gwb", "CHILD_SA rekeys started by gwb", "%d"),
        ("ike_rekeys_started_gwa", "IKE_SA rekeys started by gwa", "%d"),
        ("ike_rekeys_started_gwb", "IKE_SA rekeys started by gwb", "%d"),
        ("collisions_logged_gwa", "log lines on gwa naming a collision", "%d"),
        ("collisions_logged_gwb", "log lines on gwb naming a collision", "%d"),
        ("iperf_seconds", "iperf3 TCP: seconds measured", "%d"),
        ("iperf_child_rekeys", "iperf3: CHILD_SA rekeys during it", "%d"),
        ("iperf_ike_rekeys", "iperf3: IKE_SA rekeys during it", "%d"),
        ("iperf_stalled_s", "iperf3: seconds with zero throughput", "%d"),
        ("iperf_gbps", "iperf3: mean throughput (Gbit/s)", "%.3f"),
    ],
    "restart": [
        ("recovery_s.start", "start_action = start on both (s)", "%.3f"),
        ("recovery_s.trap", "start_action = trap on both (s)", "%.3f"),
        ("recovery_s.default", "defaults (s)", "%.3f"),
        ("recovery_s.dpd", "dpd_delay only (s)", "%.3f"),
        ("recovery_s.dpdrestart", "dpd_delay, dpd_action = restart (s)", "%.3f"),
        ("stale_gone_s.start", "start: gwa dropped its old IKE_SAs after (s)", "%.3f"),
        ("stale_gone_s.trap", "trap: gwa dropped its old IKE_SAs after (s)", "%.1f"),
        ("stale_gone_s.default", "defaults: gwa dropped its old IKE_SAs after (s)", "%.1f"),
        ("stale_gone_s.dpd", "dpd: gwa dropped its old IKE_SAs after (s)", "%.1f"),
        ("stale_gone_s.dpdrestart", "dpdrestart: gwa dropped its old IKE_SAs after (s)", "%.1f"),
        ("trap_first_reply_s", "trap, before the kill: first reply after the first ping (s)", "%.3f"),
        ("trap_first_ping_answered", "trap, before the kill: first ping answered (1 = yes)", "%d"),
    ],
    "loss": [
        ("link_roundtrip_loss_pct", "measured: gwa->gwb->gwa pings lost (%, 51 expected)", "%.1f"),
        ("setup_s", "IKE setup time (s)", "%.2f"),
        ("gaveup_after_s", "given up after (s)", "%.1f"),
    ],
    "flood": [
        ("flood_sent_per_s", "flood: requests sent per second", "%d"),
        ("flood_received_per_s", "flood: datagrams reaching gwb's sockets per second", "%d"),
        ("flood_seconds", "flood: seconds", "%.1f"),
        ("setup_noflood_s", "legitimate peer's setup without flood (s)", "%.3f"),
        ("setup_s", "legitimate peer's setup under the flood (s)", "%.3f"),
        ("tries", "legitimate tries", "%d"),
        ("tries_done_under_flood", "tries that finished while the flood ran", "%d"),
        ("rcvbuf_errors", "gwb UDP RcvbufErrors during the flood", "%d"),
        ("rcvbuf_drop_pct", "share of datagrams dropped at the socket (%)", "%.1f"),
        ("cpu_pct", "gwb daemon CPU during the flood (% of one core)", "%.0f"),
        ("rss_before_kib", "gwb daemon RSS before (KiB)", "%d"),
        ("rss_max_kib", "gwb daemon RSS, highest during (KiB)", "%d"),
        ("rss_after_kib", "gwb daemon RSS after (KiB)", "%d"),
    ],
    "memory": [
        ("child_asked", "CHILD_SAs asked for under one IKE_SA", "%d"),
        ("child_refused", "configuration", "%g"),
        ("child_sas", "CHILD_SAs installed on gwb", "%d"),
        ("child_kib_gwb", "per CHILD_SA, responder gwb (KiB)", "%.1f"),
        ("child_kib_gwa", "per CHILD_SA, initiator gwa (KiB)", "%.1f"),
        ("child_setup_all_s", "time to set them up (s)", "%.2f"),
        ("child_rss_one_gwb", "gwb RSS with one CHILD_SA (KiB)", "%d"),
        ("child_rss_all_gwb", "gwb RSS with all (KiB)", "%d"),
        ("child_rss_gone_gwb", "gwb RSS 3 s after the IKE_SA was deleted (KiB)", "%d"),
        ("child_returned_pct_gwb", "gwb: share given back (%)", "%.0f"),
        ("child_returned_pct_gwa", "gwa: share given back (%)", "%.0f"),
        ("ike_refused", "configuration (IKE_SAs)", "%g"),
        ("ike_sas", "IKE_SAs established on gwb", "%d"),
        ("ike_kib_gwb", "per IKE_SA with one CHILD_SA, responder gwb (KiB)", "%.1f"),
        ("ike_kib_gwa", "per IKE_SA with one CHILD_SA, initiator gwa (KiB)", "%.1f"),
        ("ike_setup_all_s", "time to set them up (s)", "%.1f"),
        ("ike_rss_none_gwb", "gwb RSS without SAs (KiB)", "%d"),
        ("ike_rss_all_gwb", "gwb RSS with all (KiB)", "%d"),
        ("ike_rss_gone_gwb", "gwb RSS 3 s after they were deleted (KiB)", "%d"),
        ("ike_returned_pct_gwb", "gwb: share given back (%)", "%.0f"),
        ("ike_returned_pct_gwa", "gwa: share given back (%)", "%.0f"),
    ],
    "reorder": [
        ("pings_sent", "pings sent (100/s)", "%d"),
        ("esp_relayed", "ESP packets through the relay", "%d"),
        ("esp_reordered", "ESP packets reordered (3 places late)", "%d"),
        ("esp_duplicated", "ESP packets duplicated", "%d"),
        ("replay_drops", "replay drops counted by the receivers", "%d"),
        ("pings_lost", "pings lost", "%d"),
        ("ping_dups", "duplicate ping replies", "%d"),
        ("reordered_accepted", "reordered packets accepted (inferred)", "%d"),
    ],
}
SCENARIOS = ["rekey", "restart", "loss", "flood", "memory", "reorder"]
TITLES = {
    "rekey": "rekeys with both sides initiating",
    "restart": "restart recovery: kill -9 of gwb's daemon, time to the first ping reply",
    "loss": "IKE setup at 30% loss each way",
    "flood": "spoofed IKE_SA_INIT flood at gwb",
    "memory": "memory per CHILD_SA and per IKE_SA",
    "reorder": "ESP reordered and duplicated in the middle",
}


def load(path):
    rows, comments = [], []
    with open(path, newline="") as f:
        for line in f:
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif line.strip() and not line.startswith("scenario\t"):
                r = line.rstrip("\n").split("\t")
                rows.append((r + [""] * 6)[:6])
    return rows, comments


class Results:
    def __init__(self, rows):
        self.peers = []
        self.cells = {}      # (scen, peer, metric) -> ([values], [notes])
        self.config = {}     # scen -> [text]
        self.seconds = {}    # scen -> seconds
        self.status = {}     # (scen, peer) -> [(value, note)]
        for scen, peer, metric, _try, value, note in rows:
            if peer == "*":
                if metric == "config":
                    self.config.setdefault(scen, []).append(note)
                elif metric == "scenario_seconds" and value:
                    self.seconds[scen] = float(value)
                continue
            if peer not in self.peers:
                self.peers.append(peer)
            if metric == "status":
                self.status.setdefault((scen, peer), []).append((value, note))
                continue
            vs, ns = self.cells.setdefault((scen, peer, metric), ([], []))
            if value != "":
                vs.append(float(value))
            if note:
                ns.append((value != "", note))

    def values(self, scen, peer, metric):
        return self.cells.get((scen, peer, metric), ([], []))[0]

    def notes(self, scen, peer, metric):
        return self.cells.get((scen, peer, metric), ([], []))[1]

    def failed_tries(self, scen, peer, metric):
        """Notes of tries without a value (never, gave up, ...)."""
        return [n for has, n in self.notes(scen, peer, metric) if not has]

    def scen_peers(self, scen):
        return [p for p in self.peers
                if any(k[0] == scen and k[1] == p for k in self.cells) or (scen, p) in self.status]


def tag(note):
    for sep in (" (", ":"):
        if sep in note:
            note = note.split(sep)[0]
    return note


def fmt(f, v):
    if f == "%d":
        return "%d" % round(v)
    t = f % v
    return "0" if t.strip("-0.") == "" and t.startswith("-") else t


def cell(res, scen, peer, metric, f, foot):
    vs = res.values(scen, peer, metric)
    notes = res.notes(scen, peer, metric)
    parts = []
    if len(vs) == 1:
        parts.append(fmt(f, vs[0]))
    elif vs:
        parts.append("%s [%s..%s] n=%d" % (fmt(f, statistics.median(vs)), fmt(f, min(vs)),
                                          fmt(f, max(vs)), len(vs)))
    counts = {}
    for has, n in notes:
        counts.setdefault((has, n), 0)
        counts[(has, n)] += 1
    tags = {}
    for (has, n), c in counts.items():
        t = tag(n)
        if not has and n.startswith(t + ": "):
            n = n[len(t) + 2:]      # "refused: why": the cell says refused
        if n != t or has:
            if n not in foot:
                foot.append(n)
            ref = "[%d]" % (foot.index(n) + 1)
        else:
            ref = ""
        if has:
            parts.append(ref)     # context of a value: a footnote only
        else:
            k = t + (" " + ref if ref else "")
            tags[k] = tags.get(k, 0) + c
    for t, c in tags.items():
        parts.append(t if c == 1 and not vs else "%s x%d" % (t, c))
    if not parts:
        return "-"
    return " ".join(p for p in parts if p)


def status_cell(res, scen, peer, foot):
    """The run's outcome: ok, or refused/failed/unavailable with the reason
    as a footnote (several lanes or parts: each outcome once)."""
    parts = []
    for v, n in res.status.get((scen, peer), []):
        if n:
            if n not in foot:
                foot.append(n)
            t = "%s [%d]" % (v, foot.index(n) + 1)
        else:
            t = v
        if t not in parts:
            parts.append(t)
    return ", ".join(parts) if parts else "-"


def scenario_rows(res, scen):
    known = METRICS.get(scen, [])
    names = [m for m, _, _ in known]
    extra = sorted({k[2] for k in res.cells if k[0] == scen and k[2] not in names})
    return known + [(m, m, "%g") for m in extra]


def print_text(res, comments):
    print()
    print("== uipsec make bench-reliability")
    for c in comments:
        print("   " + c)
    for scen in SCENARIOS:
        peers = res.scen_peers(scen)
        if not peers:
            continue
        print()
        head = "-- %s: %s" % (scen, TITLES[scen])
        if scen in res.seconds:
            head += " (%.0f s)" % res.seconds[scen]
        print(head)
        for c in res.config.get(scen, []):
            print("   set up: " + c)
        foot = []
        rows = [("run", [status_cell(res, scen, p, foot) for p in peers])]
        for metric, title, f in scenario_rows(res, scen):
            cells = [cell(res, scen, p, metric, f, foot) for p in peers]
            if all(c == "-" for c in cells):
                continue
            rows.append((title, cells))
        w0 = max(len(t) for t, _ in rows)
        ws = [max([len(p)] + [len(r[1][i]) for r in rows]) for i, p in enumerate(peers)]
        print("   %-*s  %s" % (w0, "", "  ".join("%-*s" % (w, p) for w, p in zip(ws, peers))))
        for title, cells in rows:
            print("   %-*s  %s" % (w0, title, "  ".join("%-*s" % (w, c) for w, c in zip(ws, cells))))
        for i, n in enumerate(foot):
            print("   [%d] %s" % (i + 1, n))
    print_targets(res, sys.stdout.write)


def median_inf(vs, fails):
    allv = list(vs) + [INF] * len(fails)
    return statistics.median(allv) if allv else None


def worst_inf(vs, fails):
    return INF if fails else max(vs)


def show(v, f):
    return "never/gave up" if v == INF else f % v


def t_time(res, scen, metric, bound, agg, f):
    def judge(peer):
        vs = res.values(scen, peer, metric)
        fails = res.failed_tries(scen, peer, metric)
        if not vs and not fails:
            return None
        refused = [n for n in fails if n.startswith("refused")]
        if refused:
            return "refused", False
        v = agg(vs, fails)
        n = len(vs) + len(fails)
        txt = show(v, f) + ("" if n == 1 else " (%d tries, %d never or gave up)" % (n, len(fails)))
        return txt, v <= bound
    return judge


def t_mem(res, prefix, bound):
    def judge(peer):
        va = res.values("memory", peer, prefix + "_kib_gwa")
        vb = res.values("memory", peer, prefix + "_kib_gwb")
        refused = [n for _, n in res.notes("memory", peer, prefix + "_refused")]
        if not (va or vb):
            return ("refused", False) if refused else None
        v = max(va + vb)
        txt = "%.1f KiB (gwa %.1f, gwb %.1f)" % (v, va[0] if va else 0, vb[0] if vb else 0)
        if refused:
            n = res.values("memory", peer, prefix + "_sas")
            txt = "refused; %s at the cap of %d" % (txt, n[0] if n else 0)
        return txt, v <= bound and not refused
    return judge


def t_reorder(res):
    def judge(peer):
        g = lambda m: res.values("reorder", peer, m)
        lost, dups, dropped, duped = g("pings_lost"), g("ping_dups"), g("replay_drops"), g("esp_duplicated")
        if not (lost and dups and dropped and duped):
            return None
        ok = lost[0] == 0 and dups[0] == 0 and dropped[0] == duped[0]
        return ("%d pings lost, %d duplicates delivered, %d of %d duplicates dropped"
                % (lost[0], dups[0], dropped[0], duped[0]), ok)
    return judge


def t_rekey(res):
    def judge(peer):
        g = lambda m: res.values("rekey", peer, m)
        lost, stall, gwb = g("pings_lost"), g("iperf_stalled_s"), g("child_rekeys_started_gwb")
        if not (lost and stall):
            return None
        both = bool(gwb) and gwb[0] > 0 and bool(g("child_rekeys_started_gwa")) and g("child_rekeys_started_gwa")[0] > 0
        return ("%d pings lost, %d s stalled, %s" % (lost[0], stall[0],
                "both sides rekey" if both else "only one side rekeys CHILD_SAs"),
                lost[0] == 0 and stall[0] == 0 and both)
    return judge


def targets(res):
    """[(title, [(peer, text, met)])] for the issue 17 targets measured."""
    checks = [
        ("memory per CHILD_SA <= 4 KiB", t_mem(res, "child", 4.0)),
        ("memory per IKE_SA <= 8 KiB", t_mem(res, "ike", 8.0)),
        ("restart, start_action = start: <= 0.2 s (median)",
         t_time(res, "restart", "recovery_s.start", 0.2, median_inf, "%.3f s")),
        ("restart, start_action = trap: <= 0.2 s (median)",
         t_time(res, "restart", "recovery_s.trap", 0.2, median_inf, "%.3f s")),
        ("restart, DPD only: <= 30 s (median)",
         t_time(res, "restart", "recovery_s.dpd", 30.0, median_inf, "%.1f s")),
        ("restart, DPD with dpd_action = restart: <= 30 s (median)",
         t_time(res, "restart", "recovery_s.dpdrestart", 30.0, median_inf, "%.1f s")),
        ("30% loss: median setup <= 3 s (give-ups count as never)",
         t_time(res, "loss", "setup_s", 3.0, median_inf, "%.2f s")),
        ("flood: a legitimate peer within 1 s (worst try)",
         t_time(res, "flood", "setup_s", 1.0, worst_inf, "%.3f s")),
        ("reorder/duplicate: nothing lost, every duplicate dropped", t_reorder(res)),
        ("rekeys: no ping lost, no iperf3 stall, both sides rekey", t_rekey(res)),
    ]
    peers = sorted(res.peers, key=lambda p: (p != "uipsec", res.peers.index(p)))
    out = []
    for title, judge in checks:
        got = [(p,) + r for p in peers for r in [judge(p)] if r is not None]
        if got:
            out.append((title, got))
    return out


def print_targets(res, write):
    ts = targets(res)
    if not ts:
        return
    write("\n-- issue 17 targets, today's values\n")
    wp = max(len(p) for _, got in ts for p, _, _ in got)
    for title, got in ts:
        write("   %s\n" % title)
        for peer, txt, met in got:
            write("      %-*s  %-8s %s\n" % (wp, peer, "met" if met else "NOT met", txt))


def print_markdown(res, comments):
    for scen in SCENARIOS:
        peers = res.scen_peers(scen)
        if not peers:
            continue
        foot = []
        print("\n**%s** (%s)\n" % (TITLES[scen], scen))
        print("| | " + " | ".join(peers) + " |")
        print("|---" * (len(peers) + 1) + "|")
        print("| run | %s |" % " | ".join(status_cell(res, scen, p, foot) for p in peers))
        for metric, title, f in scenario_rows(res, scen):
            cells = [cell(res, scen, p, metric, f, foot) for p in peers]
            if all(c == "-" for c in cells):
                continue
            print("| %s | %s |" % (title, " | ".join(cells)))
        if foot:
            print()
            for i, n in enumerate(foot):
                print("[%d] %s  " % (i + 1, n))
    ts = targets(res)
    if ts:
        peers = sorted(res.peers, key=lambda p: (p != "uipsec", res.peers.index(p)))
        print("\n| target | " + " | ".join(peers) + " |")
        print("|---" * (len(peers) + 1) + "|")
        for title, got in ts:
            d = {p: "%s: %s" % ("met" if met else "**not met**", txt) for p, txt, met in got}
            print("| %s | %s |" % (title, " | ".join(d.get(p, "-") for p in peers)))


def main():
    args = sys.argv[1:]
    markdown = "--markdown" in args
    args = [a for a in args if a != "--markdown"]
    if len(args) != 1:
        sys.exit(__doc__)
    rows, comments = load(args[0])
    res = Results(rows)
    if markdown:
        print_markdown(res, comments)
    else:
        print_text(res, comments)


if __name__ == "__main__":
    main()
