#!/usr/bin/env bash
# Builds a throwaway third-party module that depends on both segloss
# modules the way a user's module does once the tags v0.1.0 and
# app/v0.1.0 exist: `require github.com/segloss/segloss v0.1.0` and
# `require github.com/segloss/segloss/app v0.1.0`, with no go.work. Until
# the tags are published the throwaway module (and only it) replaces the
# two versions with copies of this checkout, so the check runs offline
# except for the module proxy, which serves the app's own dependencies.
# It fails if the app module needs anything a dependent cannot have (a
# replace of its own, a pseudo-version of the core).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/core" "$tmp/app" "$tmp/user"
# Copies of the two modules as a tag would publish them.
(cd "$root" && tar --exclude=./app --exclude=./.git --exclude=./go.work --exclude=./go.work.sum -cf - .) | (cd "$tmp/core" && tar -xf -)
(cd "$root/app" && tar -cf - .) | (cd "$tmp/app" && tar -xf -)
if grep -q '^replace' "$tmp/app/go.mod"; then
	echo "third-party check: app/go.mod has a replace directive; dependents would need it too" >&2
	exit 1
fi
core_version="$(awk '$1 == "github.com/segloss/segloss" {print $2}' "$tmp/app/go.mod")"
cat >"$tmp/user/go.mod" <<EOF
module example.com/segloss-user

go 1.26.5

require (
	github.com/segloss/segloss v0.1.0
	github.com/segloss/segloss/app v0.1.0
)

replace (
	github.com/segloss/segloss $core_version => ../core
	github.com/segloss/segloss/app v0.1.0 => ../app
)
EOF
cp "$root/app/go.sum" "$tmp/user/go.sum"
cat >"$tmp/user/main.go" <<'EOF'
// Command segloss-user uses the core and the GoMLX adapter as a
// dependent module does.
package main

import (
	"fmt"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/app/gomlxloss"
)

func main() {
	core, err := segloss.New("dice", nil)
	if err != nil {
		panic(err)
	}
	l, err := gomlxloss.Parse("dice")
	if err != nil {
		panic(err)
	}
	fmt.Println(core.Name(), l.String())
}
EOF
cd "$tmp/user"
GOWORK=off GOFLAGS=-mod=mod go build -o "$tmp/segloss-user" .
"$tmp/segloss-user"
echo "third-party module builds against github.com/segloss/segloss $core_version and github.com/segloss/segloss/app v0.1.0"
