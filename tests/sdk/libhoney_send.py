"""Sends events to a running kelpie with the real libhoney-py SDK and records what it sent.

Usage: libhoney_send.py --api-host URL --key KEY --dataset NAME --mode gzip|plain --count N --out FILE

Prints one check line ("ok   - ..." / "FAIL - ...") about the SDK's responses queue, and writes FILE:
{"dataset", "mode", "events": [{"id", "time_ns", "samplerate", "data"}]}, where "data" is exactly what
libhoney serialised (json.dumps with its default=str handler, parsed back), for check_spool.py.
"""

import argparse
import collections
import datetime
import json
import queue
import sys

import libhoney
from libhoney.internal import json_default_handler
from libhoney.transmission import Transmission

ID_FIELD = "sdk.event_id"
RESPONSE_WAIT_SECONDS = 30


def event_fields(mode, index):
    """A realistic mix: unicode (incl. astral), escapes, nested maps, null, big ints, floats, lists."""
    return {
        ID_FIELD: f"{mode}-{index:04d}",
        "sdk.mode": mode,
        "name": f"GET /api/items/{index}",
        "http.status_code": (200, 201, 404, 500)[index % 4],
        "duration_ms": index * 1.25 + 0.001,
        "ratio": index / 7,
        "tiny": 1e-7 * (index + 1),
        "huge_float": 6.02214076e23,
        "negative": -index,
        "big_int": 2**53 + index,
        "int64_max": 2**63 - 1,
        "int64_min": -(2**63),
        "is_error": index % 4 == 3,
        "nullable": None,
        "unicode": f"h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F41D #{index}",
        "escapes": 'quote" backslash\\ tab\t newline\n carriage\r ctrl\x01\x1f slash/',
        "nested": {
            "level1": {"level2": {"value": index, "ok": True, "none": None}},
            "list": [1.5, "x", None, {"k": "v"}],
        },
        "tags": ["alpha", "beta", index],
        "empty_string": "",
        "empty_list": [],
        "empty_map": {},
        "when": datetime.datetime(2024, 5, 17, 12, 0, index % 60),  # not JSON: libhoney str()s it
        "\u043a\u043b\u044e\u0447.\u044e\u043d\u0438\u043a\u043e\u0434": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435",
        "key with spaces": "v",
        "long_string": "lorem ipsum " * (50 + index),
    }


def created_at(index, now):
    """Naive UTC (libhoney's default form, sent with a literal Z), aware with an offset, and a past time."""
    kind = index % 5
    if kind == 1:
        return (now - datetime.timedelta(minutes=3)).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    if kind == 2:
        return (now - datetime.timedelta(minutes=30, microseconds=index)).replace(tzinfo=None)
    if kind == 3:
        return (now - datetime.timedelta(seconds=index)).astimezone(datetime.timezone(datetime.timedelta(hours=-5, minutes=-30)))
    return now.replace(tzinfo=None) - datetime.timedelta(microseconds=index)


def unix_nanos(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-host", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--mode", choices=["gzip", "plain"], required=True)
    parser.add_argument("--count", type=int, default=250)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    transmission = Transmission(gzip_enabled=(args.mode == "gzip"), block_on_send=True, block_on_response=True)
    libhoney.init(writekey=args.key, dataset=args.dataset, api_host=args.api_host, transmission_impl=transmission)
    libhoney.add_field("service.name", "sdk-libhoney-test")  # a client-wide field, merged into every event

    now = datetime.datetime.now(datetime.timezone.utc)
    sent = []
    for index in range(args.count):
        event = libhoney.new_event()
        event.add(event_fields(args.mode, index))
        event.created_at = created_at(index, now)
        event.sample_rate = (1, 1, 5, 1, 10)[index % 5]
        event.add_metadata({"id": f"{args.mode}-{index:04d}"})
        sent.append({
            "id": f"{args.mode}-{index:04d}",
            "time_ns": unix_nanos(event.created_at),
            "samplerate": event.sample_rate,
            "data": json.loads(json.dumps(event.fields(), default=json_default_handler)),
        })
        event.send_presampled()  # send() would drop sampled events client-side

    responses = libhoney.responses()
    libhoney.close()  # flushes, joins the sender, then puts None on the responses queue

    statuses = collections.Counter()
    errors = []
    answered = set()
    while True:
        try:
            response = responses.get(timeout=RESPONSE_WAIT_SECONDS)
        except queue.Empty:
            errors.append("responses queue did not end")
            break
        if response is None:
            break
        statuses[response.get("status_code")] += 1
        if response.get("error"):
            errors.append(str(response.get("error"))[:200])
        answered.add((response.get("metadata") or {}).get("id"))

    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"dataset": args.dataset, "mode": args.mode, "events": sent}, handle)

    missing = {event["id"] for event in sent} - answered
    label = f"libhoney {args.mode}: {args.count} events, every response 202"
    if statuses == collections.Counter({202: args.count}) and not errors and not missing:
        print(f"ok   - {label}")
    else:
        print(f"FAIL - {label}: statuses {dict(statuses)}, {len(missing)} without a response, errors {errors[:3]}")


if __name__ == "__main__":
    sys.exit(main())
