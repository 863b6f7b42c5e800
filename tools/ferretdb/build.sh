#!/usr/bin/env bash
# Builds the server into $1 from the FerretDB module with pushdown.patch
# applied. FerretDB 1.24's SQLite backend serves a query from an index only
# when its filter is exactly `{ _id: <scalar> }` (and even then not, as it
# spells the lookup unlike the `_id` index); every other query reads and
# parses every document of the collection. The patch pushes the conditions
# an index can serve down to SQLite (`_id` lists, comparisons and `$in` on
# indexed paths, `$or`, sorts), creates secondary indexes on the same
# expressions, and lets the sort stage and limit stream from the index.
# README.md says what it does and what it assumes.
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh <output binary>}")
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "require" && $2 == "github.com/FerretDB/FerretDB" { print $3 }' "$here/go.mod")
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

module_dir=$(cd "$here" && go mod download -json "github.com/FerretDB/FerretDB@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$module_dir" "$work/FerretDB"
chmod -R u+w "$work/FerretDB"
(cd "$work/FerretDB" && patch -p1 --quiet --forward < "$here/pushdown.patch") ||
  { echo "build.sh: pushdown.patch does not apply to FerretDB $version; review it" >&2; exit 1; }

mkdir "$work/server"
cp "$here/go.mod" "$here/go.sum" "$here"/*.go "$work/server/"
cd "$work/server"
go mod edit -replace "github.com/FerretDB/FerretDB=$work/FerretDB"
# Pure-Go SQLite: no cgo toolchain needed.
CGO_ENABLED=0 go build -trimpath -o "$out" .
