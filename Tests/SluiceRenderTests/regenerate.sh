#!/usr/bin/env bash
# Regenerates the expectations of the SluiceRender differential fixtures from `kubectl kustomize`.
#
#   Tests/SluiceRenderTests/regenerate.sh [fixture-name...]
#
# Each fixture is Fixtures/<name>/ holding:
#   input/                the tree (the kustomization is input/, or input/$(cat path))
#   path                  optional: the kustomization directory inside input/
#   expected.yaml         what `kubectl kustomize` prints (Sluice with --kustomize-compat must match)
#   gateway-extensions    marks fixtures where Sluice's Gateway API renaming changes the output;
#   expected-sluice.yaml  then holds Sluice's default output (written by `sluice render`, reviewed by hand)
#   expected-error.txt    for error fixtures: text Sluice's error must contain; kubectl must fail too
#   kubectl-error.txt     kubectl's own error for the same input, kept for comparing wording
#   sluice-only           kubectl is not run (remote fetches) or accepts it (Sluice's own limits)
set -euo pipefail
cd "$(dirname "$0")"
fixtures=Fixtures
package=$(cd ../.. && pwd)
command -v kubectl >/dev/null || { echo "kubectl is not on PATH" >&2; exit 1; }
if compgen -G "$fixtures/*/gateway-extensions" >/dev/null; then
    (cd "$package" && swift build --product sluice >/dev/null)
    sluice="$package/.build/debug/sluice"
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=()
    for dir in "$fixtures"/*/; do names+=("$(basename "$dir")"); done
fi
for name in "${names[@]}"; do
    dir="$fixtures/$name"
    target="$dir/input"
    [ -f "$dir/path" ] && target="$dir/input/$(cat "$dir/path")"
    if [ -f "$dir/expected-error.txt" ]; then
        [ -f "$dir/sluice-only" ] && { echo "skip    $name (sluice-only)"; continue; }
        if output=$(kubectl kustomize "$target" 2>&1); then
            echo "FAIL    $name: kubectl kustomize succeeded on an error fixture" >&2
            exit 1
        fi
        printf '%s\n' "$output" | sed "s|$(cd "$dir/input" && pwd)/||g" > "$dir/kubectl-error.txt"
        echo "error   $name"
        continue
    fi
    kubectl kustomize "$target" > "$dir/expected.yaml"
    if [ -f "$dir/gateway-extensions" ]; then
        "$sluice" render --root "$dir/input" "$target" > "$dir/expected-sluice.yaml"
        echo "ok+gw   $name"
    else
        echo "ok      $name"
    fi
done
