"""nanotime's Prometheus files, checked with the real promtool (Debian's prometheus package):
  1. `promtool check rules` accepts prometheus/nanotime-rules.yml;
  2. every alert has a `for:`, a severity of page/warn/info, a summary and a description that
     names a command to run;
  3. `promtool test rules` passes prometheus/tests/*.yml, and they hold, for every alert, a case
     where it fires and one where it must not;
  4. the rule tests can fail: with any one alert disabled, or any threshold moved, promtool
     test rules fails (so each alert's firing case and each threshold is really pinned down);
  5. the demo's live-check rewrite changes only `for:` lines;
  6. prometheus/nanotime-dashboard.json: valid JSON, the data source is the DS_PROMETHEUS
     variable in every panel, one row per concern, and every query is valid PromQL (promtool
     checks each as a recording rule).
A missing promtool is a failure (scripts/deps.sh installs it)."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from promfiles import (DASHBOARD, RULES, RULE_TESTS_DIR, SEVERITIES, alerts, dashboard_queries,
                       live_rewrite, parse_rules, promql, read)

ROWS = ("PHC lock", "System clock", "chronyd", "gpsd", "ptp4l", "receiver", "Alerts")
failures = []


def check(cond, what, details=""):
    print(("ok: " if cond else "FAILED: ") + what, flush=True)
    if not cond:
        if details:
            print(details, flush=True)
        failures.append(what)


def promtool(*args, cwd=None):
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def rule_tests_pass(rules_text):
    """promtool test rules on a copy of prometheus/ whose rules file is rules_text."""
    with tempfile.TemporaryDirectory(prefix="nanotime-promtool-") as tmp:
        shutil.copytree(RULE_TESTS_DIR, os.path.join(tmp, "tests"))
        with open(os.path.join(tmp, "nanotime-rules.yml"), "w") as f:
            f.write(rules_text)
        tests = sorted(glob.glob(os.path.join(tmp, "tests", "*.yml")))
        return promtool("test", "rules", *tests, cwd=os.path.join(tmp, "tests")).returncode == 0


def check_rules_file(text):
    r = promtool("check", "rules", RULES)
    rules = parse_rules(text)
    check(r.returncode == 0, "promtool check rules accepts nanotime-rules.yml", r.stdout + r.stderr)
    check(f"SUCCESS: {len(rules)} rules found" in r.stdout,
          f"promtool counts the {len(rules)} rules this reader found", r.stdout)
    for a in alerts(text):
        name = a["name"]
        check(re.fullmatch(r"\d+[smh]", a.get("for", "")) is not None, f"{name} has a for: ({a.get('for')})")
        check(a.get("severity") in SEVERITIES, f"{name} has severity page/warn/info ({a.get('severity')})")
        check(len(a.get("summary", "")) > 10, f"{name} has a summary")
        check(re.search(r"`[a-z]", a.get("description", "")) is not None,
              f"{name}'s description names a command to run")


def check_rule_tests(text):
    tests = sorted(glob.glob(os.path.join(RULE_TESTS_DIR, "*.yml")))
    r = promtool("test", "rules", *tests, cwd=RULE_TESTS_DIR)
    check(r.returncode == 0, f"promtool test rules passes {len(tests)} files", r.stdout + r.stderr)
    body = "\n".join(read(t) for t in tests)
    for a in alerts(text):
        name = a["name"]
        fires = re.search(rf"alertname: {name}\n\s+exp_alerts:\n\s+- exp_labels:", body)
        quiet = re.search(rf"alertname: {name}\n\s+exp_alerts: \[\]", body)
        check(fires is not None, f"the rule tests have a case where {name} fires")
        check(quiet is not None, f"the rule tests have a case where {name} must not fire")


def check_tests_can_fail(text):
    for a in alerts(text):
        broken = text.replace(f"expr: {a['expr']}\n", "expr: vector(1) == 0\n", 1)
        assert broken != text, a["name"]
        check(not rule_tests_pass(broken),
              f"with {a['name']} never firing, promtool test rules fails")
    for r in parse_rules(text):
        m = re.fullmatch(r"vector\(([0-9.e-]+)\)", r.get("expr", ""))
        if r["kind"] != "record" or not m:
            continue
        for factor in (0.5, 2):
            moved = text.replace(f"expr: vector({m.group(1)})", f"expr: vector({float(m.group(1)) * factor!r})", 1)
            check(not rule_tests_pass(moved),
                  f"with {r['name']} x{factor}, promtool test rules fails")


def check_live_rewrite(text):
    rewritten = live_rewrite(text)
    changed = [(a, b) for a, b in zip(text.split("\n"), rewritten.split("\n")) if a != b]
    check(len(text.split("\n")) == len(rewritten.split("\n")), "the live rewrite keeps every line")
    check(len(changed) == len(alerts(text)) and all(re.fullmatch(r"\s+for: 2s", b) for _, b in changed),
          f"the live rewrite changes only the {len(alerts(text))} for: lines, to 2s")


def check_dashboard():
    try:
        with open(DASHBOARD) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"nanotime-dashboard.json loads as JSON ({e})")
        return
    check(True, "nanotime-dashboard.json loads as JSON")
    variables = {v["name"]: v for v in doc.get("templating", {}).get("list", [])}
    check(variables.get("DS_PROMETHEUS", {}).get("type") == "datasource"
          and variables["DS_PROMETHEUS"].get("query") == "prometheus",
          "the dashboard has a Prometheus data source variable DS_PROMETHEUS")
    panels = [p for p in doc.get("panels", []) if p.get("type") != "row"]
    rows = [p["title"] for p in doc.get("panels", []) if p.get("type") == "row"]
    for concern in ROWS:
        check(any(concern.lower() in r.lower() for r in rows), f"the dashboard has a row for {concern}")
    for p in panels:
        uids = {p.get("datasource", {}).get("uid")} | {t.get("datasource", {}).get("uid") for t in p.get("targets", [])}
        check(uids == {"${DS_PROMETHEUS}"}, f"panel '{p.get('title')}' queries ${{DS_PROMETHEUS}} ({uids})")
        check(bool(p.get("targets")), f"panel '{p.get('title')}' has a query")
    queries = dashboard_queries(doc)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="nanotime-dash-") as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, (_, expr) in enumerate(queries):
            f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(promql(expr))}\n")
        f.flush()
        r = promtool("check", "rules", f.name)
    check(r.returncode == 0, f"every one of the {len(queries)} dashboard queries is valid PromQL",
          r.stdout + r.stderr)


def main():
    if shutil.which("promtool") is None:
        print("FAILED: no promtool (Debian package prometheus; scripts/deps.sh installs it)")
        return 1
    text = read(RULES)
    check_rules_file(text)
    check_rule_tests(text)
    check_tests_can_fail(text)
    check_live_rewrite(text)
    check_dashboard()
    print(f"{len(failures)} failure(s)" if failures else "all passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
