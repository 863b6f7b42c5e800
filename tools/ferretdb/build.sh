#!/usr/bin/env bash
# Builds the server into $1 from the FerretDB module, with one fix applied:
# FerretDB 1.24's SQLite backend looks documents up by `_id` with the path
# expression ->'$._id', while its unique `_id` index is on ->"_id"; SQLite
# then never uses the index and every lookup by `_id` (find, update, delete,
# upsert) reads and parses the whole collection. The fix spells the lookup
# like the index, so it is an index search.
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
file="$work/FerretDB/internal/backends/sqlite/metadata/metadata.go"
grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$file" ||
  { echo "build.sh: FerretDB $version no longer has the expected IDColumn; review the fix" >&2; exit 1; }
sed -i "s/IDColumn = DefaultColumn + \"->'\$._id'\"/IDColumn = DefaultColumn + \"->'_id'\"/" "$file"

mkdir "$work/server"
cp "$here/go.mod" "$here/go.sum" "$here"/*.go "$work/server/"
cd "$work/server"
go mod edit -replace "github.com/FerretDB/FerretDB=$work/FerretDB"
# Pure-Go SQLite: no cgo toolchain needed.
CGO_ENABLED=0 go build -trimpath -o "$out" .
