#!/usr/bin/env bash
# Sourced by the bench scripts: `bench_binary NAME` builds with the test command's selection and
# profile (`cargo build --workspace --all-targets`: dependencies at opt-level 3, no second Burn
# build) and prints the path of the bench executable NAME that build produced. Needs $PYTHON.
bench_binary() {
  cargo build --workspace --all-targets --message-format=json 2>/dev/null | "$PYTHON" -c '
import json, sys
name = sys.argv[1]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name and m.get("executable"):
        print(m["executable"])
' "$1"
}

# `run_side_by_side BENCH VAR ITEMS SCRIPT OUT`: for each comma-separated item of ITEMS, the
# Burn bench binary then the PyTorch script, both with VAR=item, their JSON lines appended to
# OUT. One item at a time, so that each ratio compares runs made minutes apart.
run_side_by_side() {
  local bench="$1" var="$2" script="$4" out="$5" item list
  IFS=, read -ra list <<<"$3"
  for item in "${list[@]}"; do
    env "$var=$item" "$bench" --bench | grep '^{' >>"$out"
    env "$var=$item" "$PYTHON" "$script" >>"$out"
  done
}
