#!/usr/bin/env python3
"""Start-to-ready: time from exec of `kelpie serve` to the first 200 on GET /readyz, over N starts.

Each start gets a fresh data directory and a free loopback port. The clock starts just before
subprocess.Popen (fork+exec) and stops when a raw-socket GET /readyz (polled every 0.2 ms; a refused
connection is retried) returns 200. Every process is stopped by PID (SIGTERM, then SIGKILL after 5 s).
Prints one JSON object: {"samples_ms": [...], "median_ms": m, "min_ms": a, "max_ms": b}.
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

POLL_INTERVAL_S = 0.0002
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = conn.recv(64)
            return head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def one_start(binary, extra_env, log):
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="kelpie-ready-")
    env = dict(os.environ, **extra_env)
    command = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir, "--ack", "memory"]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    elapsed = None
    try:
        while time.perf_counter() - start < READY_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"kelpie exited with {process.returncode} before ready")
            if ready(port):
                elapsed = (time.perf_counter() - start) * 1000
                break
            time.sleep(POLL_INTERVAL_S)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    if elapsed is None:
        raise RuntimeError("kelpie did not become ready within 10 s")
    return elapsed


def main():
    binary, count, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    extra_env = {"KELPIE_DRAIN_DELAY": "0s", "KELPIE_LOG_LEVEL": "warning"}
    samples = []
    with open(log_path, "ab") as log:
        for _ in range(count):
            samples.append(round(one_start(binary, extra_env, log), 3))
    print(json.dumps({"samples_ms": samples, "median_ms": statistics.median(samples),
                      "min_ms": min(samples), "max_ms": max(samples)}))


if __name__ == "__main__":
    main()
