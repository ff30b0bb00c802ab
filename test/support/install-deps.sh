#!/usr/bin/env bash
# Makes sure the real DNS tools the tests and benchmarks drive are installed:
# dig (bind9-dnsutils), kdig (knot-dnsutils), knotd/knotc (knot), named (bind9),
# pdns_server + its sqlite3 backend (pdns-server, pdns-backend-sqlite3, sqlite3 to load the
# schema), pebble (ACME test CA), nginx and wrk (proxy benchmark), chromium (dashboard and
# browser checks), curl, dnsperf, and openssl (the fake Kubernetes API server makes its
# throwaway CA with it). kubectl (test/deploy renders the Kustomize overlays with it) comes with
# the machine image, not from Debian's archive.
# Idempotent and quick when everything is already there.
set -euo pipefail

tools=(dig kdig knotd knotc named tsig-keygen pdns_server sqlite3 pebble nginx wrk chromium curl dnsperf openssl)
missing=()
for t in "${tools[@]}"; do
  if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$t" ]; then
    missing+=("$t")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

pkgs=(knot knot-dnsutils bind9 bind9-dnsutils pdns-server pdns-backend-sqlite3 sqlite3 pebble nginx wrk chromium curl dnsperf openssl)
if [ "${EUID:-$(id -u)}" -ne 0 ]; then
  echo "install-deps: missing tools: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them with:" >&2
  echo "  sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${pkgs[*]} (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# policy-rc.d 101 keeps the packages' own services (knot, named, pdns, nginx) from being
# started: the tests run their own daemons on free high ports and never use port 53 or 80.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
status=0
apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 || status=$?
if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
if [ "$status" -ne 0 ]; then
  echo "install-deps: apt-get install failed (exit $status)" >&2
  exit "$status"
fi

for t in "${tools[@]}"; do
  if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$t" ]; then
    echo "install-deps: $t still missing after install" >&2
    exit 1
  fi
done
