#!/usr/bin/python3
"""SCPI round trips through pyvisa with the pyvisa-py backend.

The other side of mpobench_scpi_round_trip (docs/PERFORMANCE.md): opens one
resource with the pure-Python backend, asks the query once to warm up, then
--count times, and prints one JSON object on stdout: the count, the seconds
the timed loop took and the last reply.
"""

import argparse
import json
import sys
import time

import pyvisa

TERMINATORS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resource", required=True, help="VISA resource string")
    parser.add_argument("--query", required=True, help="the query to repeat, e.g. *IDN?")
    parser.add_argument("--count", type=int, required=True, help="timed queries")
    parser.add_argument("--write-terminator", choices=TERMINATORS, default="lf")
    parser.add_argument("--read-terminator", choices=TERMINATORS, default="lf")
    parser.add_argument("--baud", type=int, default=115200, help="serial resources only")
    parser.add_argument("--timeout-ms", type=int, default=2000)
    args = parser.parse_args()

    manager = pyvisa.ResourceManager("@py")
    options = {
        "write_termination": TERMINATORS[args.write_terminator],
        "read_termination": TERMINATORS[args.read_terminator],
        "timeout": args.timeout_ms,
    }
    if args.resource.upper().startswith("ASRL"):
        options["baud_rate"] = args.baud
    instrument = manager.open_resource(args.resource, **options)
    try:
        reply = instrument.query(args.query)
        start = time.perf_counter()
        for _ in range(args.count):
            reply = instrument.query(args.query)
        seconds = time.perf_counter() - start
    finally:
        instrument.close()
        manager.close()
    json.dump({"count": args.count, "seconds": seconds, "reply": reply}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
