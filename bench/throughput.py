#!/usr/bin/env python3
"""Read → normalize → write throughput of gleaner, against zstd's own decompression speed.

Builds ≥100 MB of JSONL from the real news articles (bench/data/news_jsonl.py), stores it plain,
gzipped and zstd-compressed, and runs `gleaner run bench/pipelines/normalize*.toml` on each at 1
and 2 threads (release build), writing zstd-compressed and uncompressed output. For every run it
prints wall time, MB/s of uncompressed JSONL (wall and per CPU-second: the machine may be shared,
and CPU seconds stay meaningful when wall time does not), and the ratio of gleaner's per-core
speed to `zstd -d`'s (the issue's target: ≥ 0.5), with `zstd -d` timed in turn with each row's
runs so that both see the same machine.

It also prints what bounds each row from below: the codecs of that row alone, run through the
same libraries and settings gleaner uses (`cargo run --example codec_bound`: gleaner's reader
stack for decoding, 512 KiB zstd frames at gleaner's level for zstd output), in CPU seconds of
the codec work itself. A gzip-input or zstd-output run cannot reach half of `zstd -d` when its
codecs alone are slower than that, so each row also shows gleaner's own cost, its CPU seconds
less the codecs', as MB per CPU-second and against `zstd -d` ("own vs zstd -d"). For reference
the command-line tools (`gzip -d`, `zstd -1`) are timed too.

Usage: python3 bench/throughput.py [--mb 110] [--repeat 3] [--exe PATH] [--work DIR]
`--exe` measures a prebuilt binary (e.g. an older build, for before/after) instead of building.
Only the standard library and the zstd/gzip command-line tools are needed.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def best_time(cmd, repeat, **kw):
    """Best wall time and best CPU time (user+sys) over `repeat` runs, each taken on its own:
    on a machine that other work shares, a run is only ever slowed down, never sped up, so the
    minimum of each is the closest to the program's own cost. CPU seconds stay meaningful there
    when wall time does not."""
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, **kw)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def paired_times(cmd, ref_cmds, repeat):
    """Times `cmd` and each reference command in turn, `repeat` rounds. This VM's speed drifts
    (by up to 2x between minutes, seen here), so a ratio of two measurements taken apart
    carries that drift, and even the best of several runs does; runs taken turn about see the
    same machine. Returns the best wall and CPU seconds of `cmd`, and for each reference the
    median over rounds of (reference CPU s / `cmd` CPU s) in the same round: the ratio of
    gleaner's per-CPU-second speed to the reference's."""
    walls, cpus = [], []
    ratios = [[] for _ in ref_cmds]
    for _ in range(repeat):
        ref_cpu = [best_time(ref, 1, stdout=subprocess.DEVNULL)[1] for ref in ref_cmds]
        w, c = best_time(cmd, 1)
        walls.append(w)
        cpus.append(c)
        for i, r in enumerate(ref_cpu):
            ratios[i].append(r / c)
    return min(walls), min(cpus), [statistics.median(r) for r in ratios]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=110)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=None, help="scratch directory (default: a temp dir)")
    ap.add_argument("--exe", default=None, help="gleaner binary to measure (default: build release)")
    a = ap.parse_args()
    exe = a.exe
    if exe is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "gleaner-cli"], cwd=ROOT, check=True)
        exe = os.path.join(ROOT, "target", "release", "gleaner")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "gleaner", "--example", "codec_bound"], cwd=ROOT, check=True)
    codec_exe = os.path.join(ROOT, "target", "release", "examples", "codec_bound")
    work = a.work or tempfile.mkdtemp(prefix="gleaner-bench-")
    os.makedirs(work, exist_ok=True)
    plain = os.path.join(work, "news.jsonl")
    if not os.path.exists(plain) or os.path.getsize(plain) < a.mb * 1e6:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/data/news_jsonl.py"), plain, "--min-mb", str(a.mb)], check=True)
    size = os.path.getsize(plain)
    mb = size / 1e6
    inputs = {"plain": plain, "gz": plain + ".gz", "zst": plain + ".zst"}
    if not os.path.exists(inputs["gz"]):
        with open(inputs["gz"], "wb") as f:
            subprocess.run(["gzip", "-6", "-c", plain], stdout=f, check=True)
    if not os.path.exists(inputs["zst"]):
        subprocess.run(["zstd", "-q", "-3", "-f", plain, "-o", inputs["zst"]], check=True)

    def tool(cmd):
        wall, cpu = best_time(cmd, a.repeat, stdout=subprocess.DEVNULL)
        return wall, max(cpu, 1e-9)

    zwall, zcpu = tool(["zstd", "-d", "-c", inputs["zst"]])
    gwall, gcpu = tool(["gzip", "-d", "-c", inputs["gz"]])
    cwall, ccpu = tool(["zstd", "-1", "-c", plain])
    print(f"gleaner: {exe}")
    print(f"input: {mb:.1f} MB of JSONL (best of {a.repeat}; MB are of uncompressed JSONL)")
    print(f"zstd -d : {mb / zwall:5.0f} MB/s wall, {mb / zcpu:5.0f} MB per CPU-second  (the reference, to /dev/null)")
    print(f"gzip -d : {mb / gwall:5.0f} MB/s wall, {mb / gcpu:5.0f} MB per CPU-second  (the command-line tool, for reference)")
    print(f"zstd -1 : {mb / cwall:5.0f} MB/s wall, {mb / ccpu:5.0f} MB per CPU-second  (the command-line tool, for reference)\n")
    def codec_cpu_s(*args):
        """Best CPU seconds of the codec work alone (codec_bound's own measure, which leaves
        out reading a plain file into memory)."""
        best = float("inf")
        for _ in range(a.repeat):
            out = subprocess.run([codec_exe, *args], check=True, capture_output=True, text=True).stdout
            best = min(best, float(out.split("cpu_s=")[1]))
        return best

    # CPU seconds the codecs of a row need by themselves, with gleaner's own libraries: its
    # input's decoder plus, for zstd output, compression at gleaner's default level 1.
    decode_cpu = {"plain": 0.0, "gz": codec_cpu_s("decode", inputs["gz"]), "zst": codec_cpu_s("decode", inputs["zst"])}
    encode_cpu = codec_cpu_s("zstd", "1", plain)
    print("codecs alone, gleaner's libraries (codec_bound):")
    print(f"  zstd decode {mb / decode_cpu['zst']:5.0f}, gzip decode {mb / decode_cpu['gz']:5.0f}, "
          f"zstd -1 frames {mb / encode_cpu:5.0f} MB per CPU-second\n")
    fwall, fcpu = tool(["zstd", "-q", "-d", "-f", inputs["zst"], "-o", os.path.join(work, "zstd-out.jsonl")])
    os.remove(os.path.join(work, "zstd-out.jsonl"))
    print(f"zstd -d to a file: {mb / fcpu:5.0f} MB per CPU-second  (writing its output, as gleaner does)\n")
    print("Each row's 'zstd -d' (to /dev/null) and 'zstd -d >file' (writing the 122 MB it decodes, as")
    print("gleaner writes its output) run in turn with that row's runs (see paired_times); 'vs zstd -d'")
    print("and 'vs >file' are the median over rounds of gleaner's per-CPU-second speed over theirs in")
    print("the same round, and 'zstd -d' is the speed that ratio implies for the best gleaner run.\n")
    print("'codec' is the row's codecs alone (MB per CPU-second); 'own' is gleaner's CPU seconds less")
    print("the codecs', as MB per CPU-second and against zstd -d.\n")
    print(f"{'input':<6} {'output':<7} {'threads':>7} {'wall s':>7} {'MB/s':>6} {'cpu s':>6} {'MB/cpu-s':>9} {'zstd -d':>8} {'vs zstd -d':>10} {'vs >file':>8} {'codec':>6} {'own':>6} {'own vs zstd -d':>14}")
    for kind, path in inputs.items():
        for output in ("zst", "none"):
            pipeline = "normalize.toml" if output == "zst" else "normalize_plain_output.toml"
            codec_cpu = decode_cpu[kind] + (encode_cpu if output == "zst" else 0.0)
            codec = f"{mb / codec_cpu:.0f}" if codec_cpu else "-"
            for threads in (1, 2):
                out = os.path.join(work, f"out-{kind}-{output}-{threads}")
                cmd = [exe, "run", os.path.join(ROOT, "bench", "pipelines", pipeline), "-i", path,
                       "-o", out, "-j", str(threads), "-q", "--overwrite"]
                to_file = ["zstd", "-q", "-d", "-f", inputs["zst"], "-o", os.path.join(work, "zstd-out.jsonl")]
                wall, cpu, (vs_ref, vs_file) = paired_times(cmd, [["zstd", "-d", "-c", inputs["zst"]], to_file], a.repeat)
                per_cpu = mb / cpu
                ref = per_cpu / vs_ref  # zstd -d's MB per CPU-second, as this row saw it
                own = mb / max(cpu - codec_cpu, 1e-9)
                print(f"{kind:<6} {output:<7} {threads:>7} {wall:>7.2f} {mb / wall:>6.0f} {cpu:>6.2f} {per_cpu:>9.0f} {ref:>8.0f} {vs_ref:>10.2f} {vs_file:>8.2f} {codec:>6} {own:>6.0f} {own / ref:>14.2f}")
                shutil.rmtree(out, ignore_errors=True)
    if os.path.exists(os.path.join(work, "zstd-out.jsonl")):
        os.remove(os.path.join(work, "zstd-out.jsonl"))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
