#!/usr/bin/env bash
# check-layers.sh [SRC_DIR]: fail when an #include "..." in src/ crosses the
# layers' allowed edges (docs/ARCHITECTURE.md). Each folder of src/ is a
# layer; a file may include headers of its own folder and of the folders its
# row below names, nothing else: dependencies point down only. Prints one
# line per offending include (file:line: folder -> folder) and exits 1;
# exits 0 and prints a count when every include is allowed. A folder missing
# from the table is an error too, so a new layer must be placed on purpose.
set -euo pipefail
src=${1:-"$(dirname "$0")/../src"}

declare -A allowed=(
    [base]=""
    [net]="base"
    [load]="base net"
    [serve]="base net load"
    [model]="base net load"
    [metrics]="base net"
    [store]="base"
    [platform]="base net model metrics"
    [run]="base net load model metrics store platform"
    [report]="base store"
    [cmd]="base net load serve model metrics store platform run report"
)

bad=0 n=0
while IFS= read -r -d '' f; do
    rel=${f#"$src"/}
    from=${rel%%/*}
    if [ "$from" = "$rel" ]; then
        echo "check-layers: $rel: a source file outside the layer folders" >&2
        bad=1
        continue
    fi
    if [ -z "${allowed[$from]+x}" ]; then
        echo "check-layers: $rel: folder '$from' is not in the layer table of $0" >&2
        bad=1
        continue
    fi
    while IFS=: read -r line inc; do
        n=$((n + 1))
        to=${inc%%/*}
        if [ "$to" = "$inc" ]; then
            echo "$rel:$line: include \"$inc\" names no folder (write \"layer/file.h\")" >&2
            bad=1
        elif [ "$to" != "$from" ] && [[ " ${allowed[$from]} " != *" $to "* ]]; then
            echo "$rel:$line: $from -> $to: \"$inc\" crosses the layers (allowed from $from: ${allowed[$from]:-none})" >&2
            bad=1
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
             sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done < <(find "$src" -name '*.[ch]' -print0 | sort -z)

[ "$bad" -eq 0 ] || exit 1
echo "check-layers: ok, $n includes within the allowed edges"
