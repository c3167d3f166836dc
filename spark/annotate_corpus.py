#!/usr/bin/env python3
"""Annotates text files with the self-contained `tagger` on Spark executors.

    spark-submit --master local[2] --archives dist/tagger-linux-x86_64.tar.gz#tagger \
        spark/annotate_corpus.py [--components pos,ner,sentiment] [--partitions N] IN OUT

IN is a file, directory or glob on any Hadoop file system (one document a line); OUT a new
directory of JSON-lines part files (part-00000, part-00001, ...) whose concatenation holds
one JSON object per input line, in input order: what `tagger annotate --format json
--line-documents` writes. An empty or invalid line (bad UTF-8, too many tokens) is one
{"line": N, "error": "..."} record (N counts within the part) and one count in the summary;
it never fails the job.

Each partition is piped through one `tagger annotate --line-documents --threads T` process
(as RDD.pipe does, done here with mapPartitions so that the binary is found in the
unpacked archive on each executor, the partition is spooled to a local file first so that
the tagger's batches do not depend on timing, and the exit status is checked). Lines are read as raw
bytes (Spark SQL's text source keeps them undecoded; RDD textFile would replace invalid
UTF-8 by U+FFFD before the tagger sees it). A failed task is retried by Spark; its output
replaces the failed attempt's, so the output stays complete and in order.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from pyspark import SparkFiles, TaskContext
from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="file, directory or glob (any Hadoop file-system URI)")
    parser.add_argument("output", help="output directory (must not exist)")
    parser.add_argument("--components", default="pos,ner,sentiment")
    parser.add_argument("--partitions", type=int, default=0,
                        help="input partitions (default: the default parallelism)")
    parser.add_argument("--threads", type=int, default=0,
                        help="tagger threads per task (default: spark.task.cpus, i.e. 1)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--archive-name", default="tagger",
                        help="the #alias the dist tarball was shipped under with --archives")
    parser.add_argument("--fail-once", action="store_true",
                        help="fault injection: the first attempt of partition 0 fails midway "
                             "(also SPARK_ANNOTATE_FAIL_ONCE=1)")
    return parser.parse_args(argv)


def find_tagger(alias):
    """The `tagger` binary inside the unpacked archive (YARN: ./alias; standalone, local
    and Kubernetes: the SparkFiles root), or $TAGGER_BINARY."""
    if os.environ.get("TAGGER_BINARY"):
        return os.environ["TAGGER_BINARY"]
    roots = [os.path.join(os.getcwd(), alias)]
    try:
        roots.append(SparkFiles.get(alias))
    except Exception:
        pass
    for root in roots:
        hits = sorted(glob.glob(os.path.join(root, "tagger-*", "tagger"))) + \
            sorted(glob.glob(os.path.join(root, "tagger")))
        for hit in hits:
            if os.path.isfile(hit) and os.access(hit, os.X_OK):
                return hit
    raise RuntimeError(f"no tagger binary in the archive '{alias}' (looked in {roots}); "
                       f"ship dist/tagger-*.tar.gz with --archives TARBALL#{alias}")


ERROR_PREFIX = re.compile(rb'^\{"line":(\d+),"error":"<stdin>:(\d+):')
BYTE_OFFSET = re.compile(rb'byte offset (\d+)')


def global_error(line, line_base, byte_base):
    """An error record with the line number and byte offset of the whole input (as one
    process reading all of it would write them), not of this partition."""
    line = ERROR_PREFIX.sub(
        lambda m: b'{"line":%d,"error":"<stdin>:%d:' % (int(m.group(1)) + line_base,
                                                       int(m.group(2)) + line_base), line, 1)
    return BYTE_OFFSET.sub(lambda m: b"byte offset %d" % (int(m.group(1)) + byte_base), line, 1)


def annotate_partition(index, rows, options, bases, bad_records, fail_once):
    """Pipes one partition's lines through one tagger process; yields its output lines.

    The partition is first written to a local file, which the tagger then reads at full
    speed: its batches are then full (--batch-size sentences) whatever the speed Spark
    delivers rows at, so they do not depend on timing."""
    context = TaskContext.get()
    binary = find_tagger(options["archive"])
    command = [binary, "annotate", "--format", "json", "--line-documents",
               "--components", options["components"], "--threads", str(options["threads"]),
               "--batch-size", str(options["batch_size"])]
    line_base, byte_base = bases[index]
    with tempfile.TemporaryFile(prefix="tagger-input-") as spool:
        for row in rows:
            spool.write(bytes(row[0]))
            spool.write(b"\n")
        spool.flush()
        spool.seek(0)
        process = subprocess.Popen(command, stdin=spool, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"})
        stderr_chunks = []
        reader = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()),
                                  daemon=True)
        reader.start()
        inject = fail_once and context is not None and index == 0 \
            and context.attemptNumber() == 0
        count = 0
        for line in process.stdout:
            count += 1
            if inject and count == 100:
                process.kill()
                raise RuntimeError("fault injection (--fail-once): partition 0, attempt 0 fails")
            if line.startswith(b'{"line":'):
                if b'"error"' in line:
                    bad_records.add(1)
                    line = global_error(line, line_base, byte_base)
            # Bytes: saveAsTextFile writes them as they are (a str would be decoded here and
            # encoded again there).
            yield line.rstrip(b"\n")
        reader.join()
        status = process.wait()
    if status != 0:
        message = b"".join(stderr_chunks).decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"tagger exited with status {status}: {message}")



def input_files(spark, pattern):
    """The input's files, sorted by path (as `hadoop fs -cat` of a glob reads them)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(pattern)
    fs = path.getFileSystem(conf)
    statuses = fs.globStatus(path) or []
    files = []
    for status in statuses:
        if status.isDirectory():
            iterator = fs.listFiles(status.getPath(), True)
            while iterator.hasNext():
                files.append(iterator.next())
        else:
            files.append(status)
    names = sorted(str(s.getPath().toString()) for s in files
                   if not s.getPath().getName().startswith(("_", ".")))
    if not names:
        raise SystemExit(f"annotate_corpus: no input files match {pattern}")
    return names, sum(s.getLen() for s in files)


def main(argv):
    args = parse_arguments(argv)
    started = time.time()
    spark = SparkSession.builder.appName("tagger annotate_corpus").getOrCreate()
    sc = spark.sparkContext
    files, total_bytes = input_files(spark, args.input)
    partitions = args.partitions or sc.defaultParallelism
    # Split the input into about `partitions` byte ranges of consecutive lines. A file source
    # orders its splits by size (largest first); within one file all splits but the last
    # have the same size, so the order is the file's. Files are read one by one and joined
    # in path order by union, which keeps partition order.
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(max(4096, -(-total_bytes // partitions))))
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    spark.conf.set("spark.sql.files.minPartitionNum", "1")
    frames = [spark.read.text(name).selectExpr("CAST(value AS BINARY) AS value") for name in files]
    rdds = [frame.rdd for frame in frames]
    lines = rdds[0] if len(rdds) == 1 else sc.union(rdds)
    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    options = {"archive": args.archive_name, "components": args.components,
               "threads": max(1, min(2, threads)), "batch_size": args.batch_size}
    fail_once = args.fail_once or os.environ.get("SPARK_ANNOTATE_FAIL_ONCE") == "1"
    # Lines and bytes before each partition (a quick pass over the input), so that error
    # records name the line and byte offset of the whole input.
    # Counted in the JVM (no row goes through Python for it); the union numbers each file's
    # partitions after the previous files'.
    sizes, first = {}, 0
    for frame, rdd in zip(frames, rdds):
        counted = frame.groupBy(F.spark_partition_id().alias("p")).agg(
            F.count("*").alias("lines"), F.sum(F.length("value") + 1).alias("bytes")).collect()
        for row in counted:
            sizes[first + row["p"]] = (row["lines"], row["bytes"])
        first += rdd.getNumPartitions()
    bases, line_base, byte_base = {}, 0, 0
    for i in range(lines.getNumPartitions()):
        bases[i] = (line_base, byte_base)
        lines_in, bytes_in = sizes.get(i, (0, 0))
        line_base += lines_in
        byte_base += bytes_in
    bad_records = sc.accumulator(0)
    output = lines.mapPartitionsWithIndex(
        lambda i, rows: annotate_partition(i, rows, options, bases, bad_records, fail_once))
    output.saveAsTextFile(args.output)
    records = sc.textFile(args.output).count() if os.environ.get("SPARK_ANNOTATE_COUNT") else None
    summary = {"input": args.input, "files": len(files), "bytes": total_bytes,
               "partitions": lines.getNumPartitions(), "threadsPerTask": options["threads"],
               "badRecords": bad_records.value, "seconds": round(time.time() - started, 1),
               "output": args.output}
    if records is not None:
        summary["records"] = records
    print("annotate_corpus: " + json.dumps(summary), flush=True)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
