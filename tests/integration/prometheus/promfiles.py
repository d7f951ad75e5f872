"""The shipped Prometheus files (prometheus/) as the tests in this folder read them: the alert
rules (a line reader for the layout nanotime-rules.yml keeps: the tests use the standard library
only, no YAML parser), the dashboard's queries, and the demo's `for:` rewrite."""

import json
import os
import re

SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PROM_DIR = os.path.join(SOURCE_DIR, "prometheus")
RULES = os.path.join(PROM_DIR, "nanotime-rules.yml")
DASHBOARD = os.path.join(PROM_DIR, "nanotime-dashboard.json")
RULE_TESTS_DIR = os.path.join(PROM_DIR, "tests")
SEVERITIES = ("page", "warn", "info")
# Grafana's variables, replaced by what a query over all instances means.
GRAFANA_VARS = {"$instance": ".+", "$__rate_interval": "1m"}
FOR_LINE = re.compile(r"^(\s+for:\s*)(\d+[smhd])\s*$")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def parse_rules(text):
    """[{kind: alert|record, name, expr, for, severity, summary, description}] in file order."""
    rules = []
    for line in text.splitlines():
        m = re.match(r"^\s+- (alert|record): (\S+)\s*$", line)
        if m:
            rules.append({"kind": m.group(1), "name": m.group(2)})
            continue
        m = re.match(r"^\s+(expr|for|severity|summary|description): (.*?)\s*(#.*)?$", line)
        if m and rules:
            value = m.group(2)
            if value.startswith('"') and value.endswith('"'):
                value = json.loads(value)  # YAML double-quoted scalars: JSON escapes suffice here
            rules[-1][m.group(1)] = value
    return rules


def alerts(text=None):
    return [r for r in parse_rules(read(RULES) if text is None else text) if r["kind"] == "alert"]


def dashboard_queries(doc):
    """[(panel title, expr)] of every panel target, rows' nested panels included."""
    found = []

    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                found.append((p.get("title", "?"), t.get("expr", "")))
    walk(doc.get("panels", []))
    return found


def promql(expr):
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def live_rewrite(text, for_value="2s"):
    """The documented rewrite for a live check: every `for:` set to for_value, nothing else."""
    return "\n".join(FOR_LINE.sub(lambda m: m.group(1) + for_value, line)
                     for line in text.split("\n"))
