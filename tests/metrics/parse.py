#!/usr/bin/env python3
"""Parses a /metrics body with the Prometheus project's own Python parsers.

Usage: parse.py prometheus|openmetrics < body

Prints one JSON object per metric family: its name, type, help and
samples (name, labels, value). Any parse error exits non-zero with the
parser's message, so the Rust test fails on a body Prometheus would reject.
"""
import json
import math
import sys

from prometheus_client.openmetrics import parser as openmetrics_parser
from prometheus_client import parser as prometheus_parser


def main() -> int:
    fmt = sys.argv[1]
    body = sys.stdin.read()
    if fmt == "openmetrics":
        families = openmetrics_parser.text_string_to_metric_families(body)
    elif fmt == "prometheus":
        families = prometheus_parser.text_string_to_metric_families(body)
    else:
        print(f"unknown format {fmt}", file=sys.stderr)
        return 2
    for family in families:
        samples = []
        for sample in family.samples:
            value = sample.value
            samples.append({
                "name": sample.name,
                "labels": dict(sample.labels),
                "value": None if math.isinf(value) or math.isnan(value) else value,
            })
        print(json.dumps({
            "name": family.name,
            "type": family.type,
            "help": family.documentation,
            "samples": samples,
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
