#!/usr/bin/env python3
"""Helpers for tests/rolling-restart.sh (standard library only).

  manifest DEPLOY_DIR           print the readiness-probe and shutdown values of deploy/base as shell assignments
  haproxy-wait SOCKET SERVER STATE DEADLINE_S
                                poll HAProxy's stats socket until backend server SERVER ("be/s1") has status
                                STATE (UP or DOWN); print the epoch second it was seen; exit 1 at the deadline
  keepalive PORT RUN_DIR        one long-lived keep-alive client through the balancer: a single event every
                                20 ms on one connection, reconnecting only when a response says
                                `Connection: close`; stops when RUN_DIR/stop exists (or after 600 s); writes
                                RUN_DIR/keepalive.json and the acknowledged ids to RUN_DIR/keepalive-acked.txt
"""
import http.client
import json
import os
import re
import socket
import sys
import time


def manifest(deploy_dir):
    """Reads the values by hand (no YAML library on a fresh machine): the files are ours and simple."""
    deployment = open(os.path.join(deploy_dir, "base", "deployment.yaml")).read().splitlines()
    values = {}

    def block(name):
        start = next(i for i, line in enumerate(deployment) if line.strip() == name + ":")
        indent = len(deployment[start]) - len(deployment[start].lstrip())
        lines = []
        for line in deployment[start + 1:]:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            lines.append(line.strip())
        return lines

    def field(lines, key):
        for line in lines:
            match = re.match(re.escape(key) + r":\s*(\d+)\s*$", line)
            if match:
                return int(match.group(1))
        raise SystemExit(f"manifest: {key} not found")

    readiness = block("readinessProbe")
    values["READINESS_PERIOD_S"] = field(readiness, "periodSeconds")
    values["READINESS_TIMEOUT_S"] = field(readiness, "timeoutSeconds")
    values["READINESS_FAILURE_THRESHOLD"] = field(readiness, "failureThreshold")
    values["READINESS_SUCCESS_THRESHOLD"] = field(readiness, "successThreshold")
    values["PRESTOP_S"] = field(block("preStop"), "seconds")
    text = "\n".join(deployment)
    values["GRACE_S"] = int(re.search(r"terminationGracePeriodSeconds:\s*(\d+)", text).group(1))
    kustomization = open(os.path.join(deploy_dir, "base", "kustomization.yaml")).read()
    for key in ("KELPIE_DRAIN_DELAY", "KELPIE_SHUTDOWN_TIMEOUT", "KELPIE_DRAIN_IDLE_TIMEOUT"):
        match = re.search(r"-\s*" + key + r"=(\S+)", kustomization)
        if not match:
            raise SystemExit(f"manifest: {key} not in the ConfigMap")
        values[key] = match.group(1)
    for key, value in values.items():
        print(f"{key}={value}")


def haproxy_status(sock_path, server):
    backend, name = server.split("/")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(sock_path)
        s.sendall(b"show stat\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    column = header.index("status")
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) > column and fields[0] == backend and fields[1] == name:
            return fields[column]
    return None


def haproxy_wait(sock_path, server, state, deadline_s):
    deadline = time.time() + float(deadline_s)
    last = None
    while time.time() < deadline:
        try:
            last = haproxy_status(sock_path, server)
        except OSError as error:
            last = f"stats socket: {error}"
        if last == state:
            print(f"{time.time():.3f}")
            return 0
        time.sleep(0.02)
    print(f"haproxy-wait: {server} still {last!r} after {deadline_s}s, wanted {state}", file=sys.stderr)
    return 1


def keepalive(port, run_dir):
    stop_file = os.path.join(run_dir, "stop")
    stats = {"requests": 0, "ok": 0, "failed": 0, "connection_close": 0, "connections": 1, "failures": []}
    acked = []
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    started = time.time()
    sequence = 0
    while not os.path.exists(stop_file) and time.time() - started < 600:
        event_id = f"ka-{sequence}"
        sequence += 1
        body = json.dumps({"kelpie_load_id": event_id, "client": "keepalive"})
        stats["requests"] += 1
        try:
            connection.request("POST", "/1/events/rolling-keepalive", body=body,
                               headers={"X-Honeycomb-Team": "rolling-key", "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                stats["ok"] += 1
                acked.append(event_id)
            else:
                stats["failed"] += 1
                stats["failures"].append(f"{time.time():.3f} status {response.status}")
            if (response.getheader("Connection") or "").lower() == "close":
                stats["connection_close"] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
                stats["connections"] += 1
        except (OSError, http.client.HTTPException) as error:
            # A reset or a dropped keep-alive connection: exactly what must not happen.
            stats["failed"] += 1
            stats["failures"].append(f"{time.time():.3f} {type(error).__name__}: {error}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
            stats["connections"] += 1
        time.sleep(0.02)
    connection.close()
    with open(os.path.join(run_dir, "keepalive-acked.txt"), "w") as out:
        out.writelines(event_id + "\n" for event_id in acked)
    with open(os.path.join(run_dir, "keepalive.json"), "w") as out:
        json.dump(stats, out)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "manifest" and len(argv) == 3:
        manifest(argv[2])
        return 0
    if len(argv) == 6 and argv[1] == "haproxy-wait":
        return haproxy_wait(*argv[2:])
    if len(argv) == 4 and argv[1] == "keepalive":
        return keepalive(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
