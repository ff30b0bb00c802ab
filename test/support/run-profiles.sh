#!/usr/bin/env bash
# `npm test`'s test run: the unit profile (ava.unit.config.js, several files at once), then the
# serial profile (ava.serial.config.js, one file at a time, with the machine to itself). Both
# always run, so every test is reported; the exit status is the first non-zero one. Arguments
# go to both ava runs (e.g. --verbose, --match). AVA names another ava to run (the test of this
# script, test/support-tests/profiles.test.ts, gives it a stand-in).
set -u
cd "$(dirname "$0")/../.."
ava="${AVA:-node_modules/.bin/ava}"
status=0
for profile in unit serial; do
  echo "== ava profile: $profile" >&2
  started=$(date +%s)
  "$ava" --config "ava.$profile.config.js" "$@"
  rc=$?
  echo "== ava profile $profile took $(( $(date +%s) - started )) s (exit $rc)" >&2
  if [ "$status" -eq 0 ]; then status=$rc; fi
done
exit "$status"
