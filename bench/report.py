#!/usr/bin/env python3
"""Helpers of scripts/bench.

  report.py split LOG SIZE_MIB     restore phases from a pitstopd log, as
                                   "phase ..." result lines
  report.py report RESULTS OUTDIR  OUTDIR/report.md, OUTDIR/downtime.dat
                                   and OUTDIR/downtime.gp (for gnuplot)

RESULTS has one record a line: a type, then KEY=VALUE words. Every number
in the report comes from it; only the budgets (SPEC §11) are written here.
"""
import datetime
import math
import os
import re
import sys

# ---------------------------------------------------------------------
# split: the restore sequence from pitstopd's info-level log lines.

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z pitstopd: (.*)$")


def ts_ms(stamp):
    t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f")
    t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() * 1000.0


def split(log, tag):
    """Phase lines for the restores ("phase") and restarts ("rphase") in
    LOG, in order (i = 0, 1, ...), each starting with TAG (KEY=VALUE).

    The log has ms timestamps for: "restore of ID: verifying and staging",
    "restart requested", "app pid N stopped", "app started: pid M", "app
    ready: pid M" and "EXPLICIT_RESTORE: ... in D ms". D runs from the
    stop request to readiness, so a restore's stop request was at ready - D.
    """
    events = []
    with open(log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = LINE.match(line.rstrip("\n"))
            if m:
                events.append((ts_ms(m.group(1)), m.group(2)))
    nrestore = nrestart = 0
    cur = None
    for t, msg in events:
        if re.match(r"restore of \S+: verifying and staging", msg):
            cur = {"kind": "restore", "verify": t}
        elif msg == "restart requested":
            cur = {"kind": "restart", "requested": t}
        elif cur is None:
            continue
        elif re.match(r"app pid \d+ stopped", msg) and "stopped" not in cur:
            cur["stopped"] = t
        elif msg.startswith("app started: pid") and "stopped" in cur:
            cur["started"] = t
        elif msg.startswith("app ready: pid") and "started" in cur:
            cur["ready"] = t
            if cur["kind"] == "restart":
                print("rphase %s i=%d stop_ms=%.0f gap_ms=%.0f start_ms=%.0f "
                      "total_ms=%.0f" % (
                          tag, nrestart, cur["stopped"] - cur["requested"],
                          cur["started"] - cur["stopped"],
                          cur["ready"] - cur["started"],
                          cur["ready"] - cur["requested"]))
                nrestart += 1
                cur = None
        elif msg.startswith("EXPLICIT_RESTORE:") and cur["kind"] == "restore":
            m = re.search(r" in (\d+) ms", msg)
            if m and "ready" in cur:
                d = float(m.group(1))
                stop_at = cur["ready"] - d
                print("phase %s i=%d verify_stage_ms=%.0f "
                      "stop_ms=%.0f swap_ms=%.0f start_ms=%.0f "
                      "after_ms=%.0f downtime_ms=%.0f" % (
                          tag, nrestore, stop_at - cur["verify"],
                          cur["stopped"] - stop_at,
                          cur["started"] - cur["stopped"],
                          cur["ready"] - cur["started"],
                          t - cur["ready"], d))
            nrestore += 1
            cur = None
    return 0


# ---------------------------------------------------------------------
# report

def load(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            d = {}
            for w in words[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    d.setdefault(k, v)
            recs.append((words[0], d))
    return recs


def num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def median(v):
    v = sorted(v)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def pct(v, p):
    """Nearest-rank percentile."""
    v = sorted(v)
    if not v:
        return None
    k = max(1, min(len(v), int(math.ceil(p * len(v)))))
    return v[k - 1]


def f(x, digits=1):
    if x is None:
        return "n/a"
    if digits == 0:
        return "%.0f" % x
    return ("%%.%df" % digits) % x


def spread(v, digits=1):
    """min / median / max of v."""
    if not v:
        return "n/a"
    return "%s / %s / %s" % (f(min(v), digits), f(median(v), digits),
                             f(max(v), digits))


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**missed**"


def mib(b):
    return float(b) / 1048576.0


def size_label(m):
    m = int(m)
    return "%d GiB" % (m // 1024) if m >= 1024 and m % 1024 == 0 else \
        "%d MiB" % m


def report(path, outdir):
    recs = load(path)

    def of(kind, **match):
        return [d for k, d in recs if k == kind and
                all(d.get(a) == b for a, b in match.items())]

    machine = (of("machine") or [{}])[0]
    cpu = (of("cpu") or [{}])[0].get("model", "?").replace("_", " ")
    versions = (of("versions") or [{}])[0]
    mode = machine.get("mode", "?")
    out = []
    w = out.append

    w("# pitstop benchmark (%s run)" % mode)
    w("")
    w("Measured by `scripts/bench%s` on %s. Every figure below comes from "
      "this run; the budgets are SPEC §11's. Noise is shown as "
      "min / median / max wherever there is more than one sample." % (
          " --quick" if mode == "quick" else "", machine.get("date", "?")))
    w("")
    w("| machine | |")
    w("|---|---|")
    w("| date (UTC) | %s |" % machine.get("date", "?"))
    w("| nproc | %s |" % machine.get("nproc", "?"))
    w("| CPU | %s |" % cpu)
    w("| memory | %s MiB |" % f(num(machine.get("mem_kib", 0)) / 1024, 0))
    w("| kernel | %s |" % machine.get("kernel", "?"))
    w("| filesystem of the test directory | %s |" % machine.get("fs", "?"))
    end = (of("end") or [{}])[0]
    w("| load average (1 min) at start / at end | %s / %s |" % (
        machine.get("load1", "?"), end.get("load1", "?")))
    w("| run time | %s s (until the report; build and installs "
      "included) |" % end.get("seconds", "?"))
    w("| pitstop, SQLite | %s, %s |" % (versions.get("pitstop", "?"),
                                       versions.get("sqlite", "?")))
    fs = (of("fsync") or [None])[0]
    if fs:
        w("| fsync of a 4 KiB write / of a directory (median and max of 50) "
          "| %s ms (max %s) / %s ms (max %s) |" % (
              f(num(fs["file_ms"]), 2), f(num(fs["file_max_ms"]), 2),
              f(num(fs["dir_ms"]), 2), f(num(fs["dir_max_ms"]), 2)))
    w("")

    # ---- gather --------------------------------------------------------
    restores = [d for d in of("restore") if d.get("i") != "0"]
    sizes = sorted({int(d["size_mib"]) for d in restores})
    dt = {s: [num(d["downtime_ms"]) for d in restores
              if int(d["size_mib"]) == s and d.get("code") == "200" and
              num(d.get("downtime_ms")) is not None] for s in sizes}
    total = {s: [num(d["total_s"]) * 1000 for d in restores
                 if int(d["size_mib"]) == s and d.get("code") == "200"]
             for s in sizes}
    failed_restores = {s: sum(1 for d in restores if int(d["size_mib"]) == s
                              and d.get("code") != "200") for s in sizes}
    bytes_of = {}
    for d in restores:
        bytes_of[int(d["size_mib"])] = num(d.get("bytes"))
    phases = [d for d in of("phase") if d.get("i") != "0"]

    restarts = of("restart")
    lat = {}
    cmdt = {}
    for d in restarts:
        if num(d.get("latency_us")) is not None:
            lat.setdefault(d["system"], []).append(
                num(d["latency_us"]) / 1000)
            cmdt.setdefault(d["system"], []).append(num(d["cmd_us"]) / 1000)
    systems = [d["name"] for d in of("system")]
    loads = {d["system"]: d for d in of("load")}
    api = of("api")
    execs = of("exec")
    mems = of("mem")
    backups = of("backup")
    skips = of("skip")

    # ---- budget table -------------------------------------------------
    w("## Budgets (SPEC §11)")
    w("")
    w("| measure | budget | measured here | |")
    w("|---|---|---|---|")
    if sizes:
        big = max(sizes)
        small = min(sizes)
        note = "" if big >= 1024 else \
            " (largest size in this run: %s; the budget is for 1 GiB)" % \
            size_label(big)
        med, p95 = median(dt[big]), pct(dt[big], 0.95)
        w("| restore downtime (steps 5-9), %s, median | ≤ 10 ms | %s ms%s "
          "| %s |" % (size_label(big), f(med, 0), note,
                      verdict(None if med is None else med <= 10)))
        w("| restore downtime, %s, p95 | ≤ 25 ms | %s ms | %s |" % (
            size_label(big), f(p95, 0),
            verdict(None if p95 is None else p95 <= 25)))
        ms = median(dt[small])
        if big != small and ms is not None and med is not None:
            ratio = med / ms if ms > 0 else (1.0 if med == 0 else
                                             float("inf"))
            w("| restore downtime, %s median vs %s median | ≤ 2× | %s× "
              "(%s vs %s ms) | %s |" % (
                  size_label(big), size_label(small), f(ratio, 2),
                  f(med, 0), f(ms, 0), verdict(ratio <= 2)))
    else:
        w("| restore downtime | ≤ 10 ms median | not measured | |")
    for s in ("pitstop-held", "pitstop-own"):
        if s in lat:
            m = median(lat[s])
            w("| restart latency, command → new app serving, `pitstop "
              "restart` (%s) | median ≤ 5 ms | %s ms | %s |" % (
                  "listen held" if s.endswith("held") else
                  "app binds its own port",
                  f(m, 2), verdict(m <= 5)))
    if "pitstop-held" in loads:
        d = loads["pitstop-held"]
        n = int(d.get("failed", "0"))
        w("| failed requests during %s restarts + %s restores under load "
          "(`listen` held) | 0 | %d of %s | %s |" % (
              d.get("restarts"), d.get("restores"), n,
              d.get("requests"), verdict(n == 0)))
    pst = [d for d in execs if d.get("cmd") == "pitstop_status"]
    if pst:
        m = num(pst[0]["median_us"]) / 1000
        fl = [d for d in execs if d.get("cmd") == "true"]
        w("| `pitstop status` as a whole process | median ≤ 1 ms | %s ms%s | "
          "%s |" % (f(m, 2), " (fork + exec + wait of `true`: %s ms)" % f(
              num(fl[0]["median_us"]) / 1000, 2) if fl else "",
              verdict(m <= 1)))
    ka = [d for d in api if d.get("kind") == "keepalive"]
    if ka:
        m = median([num(d["median_us"]) for d in ka])
        rps = min(num(d["rps"]) for d in ka)
        w("| `GET /v1/status` round trip (keep-alive) | median ≤ 100 µs | "
          "%s µs | %s |" % (f(m), verdict(m <= 100)))
        w("| `GET /v1/status` throughput (one keep-alive client) | "
          "≥ 20,000 req/s | %s req/s (slower batch) | %s |" % (
              f(rps, 0), verdict(rps >= 20000)))
    bk = {}
    for d in backups:
        if d.get("ok") == "1" and num(d.get("seconds")):
            bk.setdefault(d["method"], []).append(
                mib(d["bytes"]) / num(d["seconds"]))
    if "pitstop" in bk and "cp" in bk:
        r = median(bk["pitstop"]) / median(bk["cp"])
        size = max(num(d["bytes"]) for d in backups)
        w("| online backup of a %s WAL database while the app writes | "
          "≥ 0.8× `cp` + fsync | %s× (%s vs %s MiB/s)%s | %s |" % (
              size_label(round(mib(size))) if mib(size) >= 1 else
              "%d B" % size, f(r, 2), f(median(bk["pitstop"]), 0),
              f(median(bk["cp"]), 0),
              "" if mib(size) >= 1000 else
              " (the budget is for 1 GiB)", verdict(r >= 0.8)))
    pm = {d["when"]: d for d in mems if d.get("system") == "pitstopd" and
          (d["when"] == "idle" or d["when"].startswith("after_"))}
    after = [k for k in pm if re.match(r"after_\d+$", k)]
    if "idle" in pm and after:
        last = max(after, key=lambda k: int(k.split("_")[1]))
        first = min(after, key=lambda k: int(k.split("_")[1]))
        worst_vm = max(int(d["vmrss_kib"]) for d in pm.values())
        worst_an = max(int(d["rssanon_kib"]) for d in pm.values())
        grow = int(pm[last]["rssanon_kib"]) - int(pm[first]["rssanon_kib"])
        n = last.split("_")[1]
        w("| pitstopd VmRSS, idle and after %s requests | ≤ 4 MiB | "
          "%s → %s KiB (max %s) | %s |" % (
              n, pm["idle"]["vmrss_kib"], pm[last]["vmrss_kib"], worst_vm,
              verdict(worst_vm <= 4096)))
        w("| pitstopd RssAnon, idle and after %s requests | ≤ 512 KiB | "
          "%s → %s KiB (max %s) | %s |" % (
              n, pm["idle"]["rssanon_kib"], pm[last]["rssanon_kib"],
              worst_an, verdict(worst_an <= 512)))
        w("| pitstopd memory growth, RssAnon after %s vs after %s requests "
          "| none (± 4 KiB) | %+d KiB | %s |" % (
              n, first.split("_")[1], grow, verdict(abs(grow) <= 4)))
    busy = [d for d in mems if d["when"].startswith("restore_") or
            d["when"] in ("after_load",) or
            d["when"].startswith("after_restarts_")]
    busy = [d for d in busy if d.get("system", "").startswith("pitstop")]
    if busy:
        vm = max(busy, key=lambda d: int(d["vmrss_kib"]))
        an = max(busy, key=lambda d: int(d["rssanon_kib"]))
        w("| the same budget read as \"at any time\": the largest pitstopd "
          "of sections 1-3, after backups, restores and restarts (see "
          "section 6) | VmRSS ≤ 4 MiB, RssAnon ≤ 512 KiB | %s / %s KiB | "
          "%s |" % (vm["vmrss_kib"], an["rssanon_kib"],
                    verdict(int(vm["vmrss_kib"]) <= 4096 and
                            int(an["rssanon_kib"]) <= 512)))
    w("")

    # ---- 1. restore ---------------------------------------------------
    w("## 1. Restore downtime against database size")
    w("")
    w("`POST /v1/restore` of one generation, again and again; the bulk is "
      "in app-stub's `bulk` table, which it never loads. Downtime is "
      "pitstopd's own `downtime_ms` (stop request to readiness, SPEC §6 "
      "steps 5-9; whole milliseconds); the whole request is what the "
      "client saw. The first restore of each size warmed up and is not "
      "counted. See downtime.png.")
    w("")
    w("| database | restores | downtime min / median / max (ms) | "
      "p95 (ms) | whole request min / median / max (ms) | failed |")
    w("|---|---|---|---|---|---|")
    for s in sizes:
        w("| %s (%s MiB file) | %d | %s | %s | %s | %d |" % (
            size_label(s), f(mib(bytes_of[s] or 0), 1), len(dt[s]),
            spread(dt[s], 0), f(pct(dt[s], 0.95), 0), spread(total[s], 0),
            failed_restores[s]))
    w("")
    if phases:
        w("The split below is not reported by pitstopd itself: it is read "
          "from outside, from the millisecond timestamps of its info-level "
          "log lines (\"restore of ID: verifying and staging\", \"app pid "
          "N stopped\", \"app started: pid M\", \"app ready: pid M\", "
          "\"EXPLICIT_RESTORE ... in D ms\"), with the stop request placed "
          "at ready − D. Each figure is therefore ± 1 ms. \"swap\" is "
          "everything between the old app's exit and the new app's fork: "
          "settling the live files (checkpoint), the renames, the directory "
          "fsyncs and the journal's commit record. \"after\" is the safety "
          "generation and retention, after the app is back (not "
          "downtime). Medians (max):")
        w("")
        w("| database | verify + stage | stop | swap | start → ready | "
          "downtime | after |")
        w("|---|---|---|---|---|---|---|")
        for s in sizes:
            ph = [d for d in phases if int(d["size_mib"]) == s]
            if not ph:
                continue

            def col(k):
                v = [num(d[k]) for d in ph]
                return "%s (%s)" % (f(median(v), 0), f(max(v), 0))
            w("| %s | %s | %s | %s | %s | %s | %s |" % (
                size_label(s), col("verify_stage_ms"), col("stop_ms"),
                col("swap_ms"), col("start_ms"), col("downtime_ms"),
                col("after_ms")))
        w("")
    gens = of("gen")
    if gens:
        w("Taking the generation to restore (`POST /v1/backup`, app idle): " +
          ", ".join("%s in %s s" % (size_label(d["size_mib"]),
                                    f(num(d["seconds"]), 2)) for d in gens) +
          ".")
        w("")

    # ---- 2. load --------------------------------------------------------
    w("## 2. Failed requests under load during back-to-back restarts")
    w("")
    w("`loadgen` (bench/loadgen.c): %s workers, a new connection per "
      "`GET /healthz`, retried at once after a failure (no back-off), 10 s "
      "timeout. Each cycle waits for the new app to answer before the next "
      "one starts; pitstop alternates restarts and restores (of a 1 MiB "
      "generation). The gap is the longest time during which no request "
      "anywhere succeeded." % (
          (of("config") or [{}])[0].get("workers", "?")))
    w("")
    w("| system | cycles | requests | ok | failed | refused | reset | "
      "timeout | bad status | other | failed per cycle | longest gap (ms) "
      "| slowest request (ms) | ok/s |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in systems:
        d = loads.get(s)
        if not d:
            continue
        cyc = int(d["cycles"])
        cyctxt = "%s restarts" % d["restarts"]
        if d.get("restores", "0") != "0":
            cyctxt += " + %s restores" % d["restores"]
        if d.get("cycle_errors", "0") != "0":
            cyctxt += " (%s cycle errors)" % d["cycle_errors"]
        other = d.get("other", "0")
        if other != "0" and "other_error" in d:
            other += " (%s)" % d["other_error"]
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
          "| %s |" % (
              s, cyctxt, d["requests"], d["ok"], d["failed"],
              d["refused"], d["reset"], d["timeout"], d["bad_status"],
              other, f(int(d["failed"]) / cyc if cyc else 0, 1),
              f(num(d["max_gap_ms"]), 1), f(num(d["max_latency_ms"]), 1),
              d["rate"]))
    w("")
    if any(1000 <= num(d["max_latency_ms"]) < 1100 for d in loads.values()):
        w("A slowest request of just over a second most likely waited for "
          "the kernel's SYN retransmission (Linux's initial RTO is 1 s): "
          "its first SYN was dropped, not refused.")
    w("\"failed per cycle\" grows with how fast the workers retry, so "
      "compare it between systems of one run only.")
    w("")

    # ---- 3. restart latency --------------------------------------------
    w("## 3. Restart latency (command issued → a new app process answers "
      "/healthz)")
    w("")
    s6 = median(lat.get("s6", []))
    w("One restart of every system per round, interleaved, in a rotating "
      "order; a system's restarts are at least 1.5 s apart, so runit's and "
      "daemontools' one-second guards after a start do not apply (the "
      "back-to-back case is in section 2%s). The clock starts at the "
      "fork of the command and stops at the first /healthz answer with a "
      "new pid (polled every 100 µs; through a held socket the poll simply "
      "waits in the backlog). \"command\" is how long the command itself "
      "ran." % ("; s6 still respawned only after %s ms, median" % f(s6, 0)
                if s6 is not None and s6 > 900 else ""))
    w("")
    w("| system | command | n | latency min / median / max (ms) | "
      "p95 (ms) | command min / median / max (ms) | failed |")
    w("|---|---|---|---|---|---|---|")
    cmds = {"pitstop-held": "pitstop restart (listen held)",
            "pitstop-own": "pitstop restart (app binds its port)",
            "supervisord": "supervisorctl restart", "s6": "s6-svc -r",
            "runit": "sv restart", "daemontools": "svc -t"}
    for s in systems:
        v = lat.get(s, [])
        nfail = sum(1 for d in restarts if d["system"] == s and
                    num(d.get("latency_us")) is None)
        w("| %s | `%s` | %d | %s | %s | %s | %d |" % (
            s, cmds.get(s, "?"), len(v), spread(v, 2), f(pct(v, 0.95), 2),
            spread(cmdt.get(s, []), 2), nfail))
    w("")
    rph = of("rphase")
    if rph:
        w("pitstop's restarts above, split from outside with the "
          "millisecond timestamps of pitstopd's info-level log (\"restart "
          "requested\", \"app pid N stopped\", \"app started\", \"app "
          "ready\"; ± 1 ms each). Medians (max):")
        w("")
        w("| system | request → old app exited | exited → new app forked | "
          "forked → ready | request → ready |")
        w("|---|---|---|---|---|")
        for sy in sorted({d["system"] for d in rph}):
            ph = [d for d in rph if d["system"] == sy]

            def col(k):
                v = [num(d[k]) for d in ph]
                return "%s (%s)" % (f(median(v), 0), f(max(v), 0))
            w("| %s | %s | %s | %s | %s |" % (
                sy, col("stop_ms"), col("gap_ms"), col("start_ms"),
                col("total_ms")))
        w("")

    # ---- 4. backup -------------------------------------------------------
    w("## 4. Online backup while the app writes")
    w("")
    if backups:
        size = max(num(d["bytes"]) for d in backups)
        w("A %s MiB WAL database (app-stub's, bulk table) while a writer "
          "posts `POST /profiles` on a keep-alive connection without pause "
          "(each one an INSERT commit). Same file, same run, warm page "
          "cache, %s repetition(s) in this order: `cp` + `sync FILE` "
          "(fsync), `sqlite3 DB .backup` (bounded; the shell steps 100 "
          "pages at a time without holding a read transaction, so each "
          "commit of the writer restarts it: when it does not finish, it "
          "is measured again with the writer paused by SIGSTOP), "
          "`POST /v1/backup` (copy with the backup API under one read "
          "transaction, XXH3-128 + fsync, integrity_check, row counts, "
          "manifest). Throughput is the main database's size over the wall "
          "time. The writer's worst latency is its slowest request while "
          "that copy ran (HTTP included)." % (
              f(mib(size), 0), max(int(d["rep"]) for d in backups)))
        w("")
        w("| method | MiB/s min / median / max | vs cp + fsync | "
          "writer's worst latency (ms) | writer requests ok / failed | "
          "did not finish |")
        w("|---|---|---|---|---|---|")
        for m, label in (("cp", "`cp` + fsync"),
                         ("sqlite3", "`sqlite3 .backup`, writer running"),
                         ("sqlite3-paused",
                          "`sqlite3 .backup`, writer paused"),
                         ("pitstop", "pitstop backup, writer running")):
            rows = [d for d in backups if d["method"] == m]
            if not rows:
                continue
            v = bk.get(m, [])
            ratio = median(v) / median(bk["cp"]) if v and bk.get("cp") \
                else None
            wl = [num(d["writer_max_ms"]) for d in rows
                  if num(d.get("writer_max_ms")) is not None]
            nf = [d for d in rows if d.get("ok") != "1"]
            w("| %s | %s | %s | %s | %s | %s |" % (
                label, spread(v, 0),
                (f(ratio, 2) + "×") if ratio else "n/a",
                f(max(wl), 1) if wl else "n/a (paused)",
                "%d / %d" % (
                    sum(int(d.get("writer_ok") or 0) for d in rows),
                    sum(int(d.get("writer_failed") or 0) for d in rows))
                if wl else "-",
                "%d (stopped after %s s)" % (
                    len(nf), f(max(num(d["seconds"]) for d in nf), 0))
                if nf else "0"))
        sq = bk.get("sqlite3") or bk.get("sqlite3-paused")
        if "pitstop" in bk and sq:
            w("")
            w("pitstop backup vs `sqlite3 .backup`%s: %s×." % (
                "" if bk.get("sqlite3") else " (writer paused)",
                f(median(bk["pitstop"]) / median(sq), 2)))
        cps = [d for d in backups if d["method"] == "cp" and
               num(d.get("sync_seconds")) is not None]
        if cps:
            w("")
            w("`cp` + fsync, split: the `cp` %s s, the fsync of the copy "
              "%s s (min / median / max)." % (
                  spread([num(d["seconds"]) - num(d["sync_seconds"])
                          for d in cps], 2),
                  spread([num(d["sync_seconds"]) for d in cps], 2)))
        pit = [d for d in backups if d["method"] == "pitstop" and
               d.get("ok") == "1" and
               all(num(d.get(k)) is not None and num(d[k]) >= 0
                   for k in ("copied_at", "hashed_at", "checked_at"))]
        if pit:
            def ph(a, b):
                return spread([num(d[b]) - (num(d[a]) if a else 0)
                               for d in pit], 2)
            w("")
            w("pitstop backup, split from outside: `GET /v1/status` polled "
              "every millisecond during the request; with two databases "
              "pitstopd's progress reaches 0.8 when the copies are done, "
              "0.825 when the main copy has been read and hashed, and 0.9 "
              "when its fsync, integrity_check and row counts are done "
              "(min / median / max, s): copy %s; hash %s; fsync + "
              "integrity_check + row counts %s; the rest (keychain, "
              "manifest, directory fsyncs) %s." % (
                  ph(None, "copied_at"), ph("copied_at", "hashed_at"),
                  ph("hashed_at", "checked_at"),
                  ph("checked_at", "seconds")))
        smax = [num(d.get("status_max_ms")) for d in backups
                if d["method"] == "pitstop" and
                num(d.get("status_max_ms")) is not None]
        if smax:
            w("")
            w("The daemon keeps answering during a backup (SPEC §5): the "
              "slowest `GET /v1/status` round trip while a backup ran, per "
              "backup (min / median / max): %s ms." % spread(smax, 2))
        checks = of("check")
        if checks:
            w("")
            w("For comparison, the checks SQLite runs, timed on the `cp` "
              "copy with the `sqlite3` shell in the same run: " + ", ".join(
                  "`PRAGMA %s` %s MiB/s" % (
                      c, f(median([mib(d["bytes"]) / num(d["seconds"])
                                   for d in checks if d["what"] == c and
                                   num(d["seconds"])]), 0))
                  for c in ("integrity_check", "quick_check")) + ".")
        w("")
    else:
        w("Not measured in this run.")
        w("")

    # ---- 5. control API ----------------------------------------------------
    w("## 5. Control API and status commands")
    w("")
    if api:
        w("`pitbench status` (bench/pitbench.c): `GET /v1/status` on "
          "pitstopd's Unix socket, one request at a time, on a fresh "
          "pitstopd whose app is running.")
        w("")
        w("| connection | requests | errors | min / median / max (µs) | "
          "p99 (µs) | req/s |")
        w("|---|---|---|---|---|---|")
        for d in api:
            w("| %s (batch %s) | %s | %s | %s / %s / %s | %s | %s |" % (
                "one keep-alive" if d["kind"] == "keepalive" else
                "new connection per request", d["batch"], d["n"],
                d["errors"], d["min_us"], d["median_us"], d["max_us"],
                d["p99_us"], d["rps"]))
        w("")
    if execs:
        w("Status commands as whole processes (fork, exec, wait; output to "
          "/dev/null), against the same running services:")
        w("")
        w("| system | command | runs | min / median / max (ms) | p95 (ms) "
          "| non-zero exits |")
        w("|---|---|---|---|---|---|")
        names = {"pitstop_status": "pitstop status", "true": "true",
                 "supervisorctl_status": "supervisorctl status",
                 "s6-svstat": "s6-svstat", "sv_status": "sv status",
                 "svstat": "svstat"}
        for d in execs:
            w("| %s | `%s` | %s | %s / %s / %s | %s | %s |" % (
                d["system"], names.get(d["cmd"], d["cmd"]), d["n"],
                f(num(d["min_us"]) / 1000, 2),
                f(num(d["median_us"]) / 1000, 2),
                f(num(d["max_us"]) / 1000, 2),
                f(num(d["p95_us"]) / 1000, 2), d["nonzero"]))
        w("")

    # ---- 6. memory --------------------------------------------------------
    w("## 6. Memory")
    w("")
    if mems:
        w("From /proc/PID/status. pitstopd: a fresh daemon, idle (app "
          "running), then after the keep-alive batches of section 5 and the "
          "new-connection batch; also the daemons of sections 1-3, which "
          "took backups and ran restores. Peers: their supervisor processes "
          "(not the app) after sections 2 and 3.")
        w("")
        w("| system | when | VmRSS (KiB) | RssAnon (KiB) | processes |")
        w("|---|---|---|---|---|")
        for d in mems:
            wh = d["when"]
            m = re.match(r"restore_(\d+)_after_(\d+)$", wh)
            if m:
                when = "after %s restore(s) of %s" % (
                    m.group(2), size_label(m.group(1)))
            elif re.match(r"after_restarts_(\d+)$", wh):
                when = "after %s restarts (section 3)" % wh.split("_")[2]
            elif wh == "after_load":
                when = "after sections 2 and 3"
            elif wh.startswith("after_newconn_"):
                when = "after %s more requests, new connection each" % \
                    wh.split("_")[2]
            elif re.match(r"after_\d+$", wh):
                when = "after %s requests" % wh.split("_")[1]
            else:
                when = wh
            w("| %s | %s | %s | %s | %s |" % (
                d["system"], when, d["vmrss_kib"], d["rssanon_kib"],
                d.get("procs", "pitstopd").replace("+", " + ")))
        w("")

    # ---- skipped ---------------------------------------------------------
    if skips:
        w("## Skipped")
        w("")
        for d in skips:
            w("- %s %s: %s" % (d.get("what"), d.get("name",
                                                     d.get("size_mib", "")),
                               d.get("reason", "").replace("_", " ")))
        w("")

    with open(os.path.join(outdir, "report.md"), "w",
              encoding="utf-8") as fh:
        fh.write("\n".join(out))

    # ---- plot data -------------------------------------------------------
    with open(os.path.join(outdir, "downtime.dat"), "w") as fh:
        fh.write("# size_mib downtime_ms (every counted restore)\n")
        for s in sizes:
            n = len(dt[s])
            for k, v in enumerate(dt[s]):
                # a little horizontal spread so equal values stay visible
                fh.write("%g %g\n" % (s * 2 ** ((k - (n - 1) / 2.0) * 0.04),
                                      v))
        fh.write("\n\n# size_mib median p95 min max\n")
        for s in sizes:
            if dt[s]:
                fh.write("%d %g %g %g %g\n" % (
                    s, median(dt[s]), pct(dt[s], 0.95), min(dt[s]),
                    max(dt[s])))
    top = max([max(v) for v in dt.values() if v] + [25]) * 1.3
    with open(os.path.join(outdir, "downtime.gp"), "w") as fh:
        fh.write("""set terminal pngcairo size 900,560 font ",11"
set output "%(out)s/downtime.png"
set title "pitstop restore downtime (steps 5-9) vs database size, %(date)s, %(mode)s run"
set xlabel "database size (MiB)"
set ylabel "downtime (ms)"
set logscale x 2
set xrange [%(xmin)g:%(xmax)g]
set yrange [0:%(top)g]
set grid
set key top left
plot "%(out)s/downtime.dat" index 0 using 1:2 with points pt 7 ps 0.8 lc rgb "#999999" title "each restore", \\
     "" index 1 using 1:2 with linespoints lw 2 pt 5 lc rgb "#1f77b4" title "median", \\
     "" index 1 using 1:3 with linespoints lw 1 dt 2 pt 4 lc rgb "#ff7f0e" title "p95", \\
     10 with lines lc rgb "#2ca02c" dt 3 title "budget: median 10 ms", \\
     25 with lines lc rgb "#d62728" dt 3 title "budget: p95 25 ms"
""" % {"out": outdir, "date": machine.get("date", "?"), "mode": mode,
       "xmin": (min(sizes) / 2.0) if sizes else 0.5,
       "xmax": (max(sizes) * 2.0) if sizes else 2, "top": top})
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "split":
        return split(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "report":
        return report(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
