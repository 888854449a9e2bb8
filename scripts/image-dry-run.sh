#!/usr/bin/env bash
# make image-dry-run: the image's build, proven where no container engine runs. Runs the
# Dockerfile's build step itself (the RUN that builds, as written) in a clean clone, on this
# machine's toolchain; moves the clone's build folder away, so each staged binary must find its
# resources next to it as in the image; shows the shared libraries the staged binaries load;
# then runs the compose smoke (scripts/compose-smoke.py) against the staged release binaries.
#   SERVICE=registry scripts/image-dry-run.sh [work dir]     one service, as --build-arg SERVICE does
# A release build of every product takes about 9 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(realpath -m "${1:-/tmp/maestro-image-dry-run}")
rm -rf "$work"
mkdir -p "$work"
git clone -q . "$work/src"

# The build step of the Dockerfile's first stage, with /staging under the work dir.
python3 - "$work" >"$work/build-step.sh" <<'PY'
import re, sys
stage = open("Dockerfile").read().split("FROM ${RUNTIME_IMAGE}")[0]
step = next(run for run in re.findall(r"^RUN (.*?)(?=^\S|\Z)", stage, re.S | re.M) if "swift build" in run)
step = re.sub(r"--mount=\S+\s*\\\n", "", step).replace("\\\n", " ").replace("/staging", sys.argv[1] + "/staging")
print("set -eo pipefail\nSERVICE=${SERVICE:-all}\n" + step)
PY
echo "the Dockerfile's build step, natively (SERVICE=${SERVICE:-all}):"
(cd "$work/src" && SERVICE=${SERVICE:-all} bash "$work/build-step.sh")
mv "$work/src/.build" "$work/build-moved-away"

echo "staged: $(ls "$work/staging/bin" | tr '\n' ' ')"
echo "shared libraries the staged binaries load (the runtime stage must install them):"
find "$work/staging/bin" -maxdepth 1 -type f -exec ldd {} \; | awk '$3 ~ /^\// {print $1}' | sort -u | sed 's/^/  /'

test_dir=$work/servers
mkdir -p "$test_dir/run"
source scripts/processes.sh
source scripts/test-servers.sh
venv=.maestro/venv
[ -x "$venv/bin/python" ] || { echo "run make test once first: it makes $venv"; exit 1; }
"$venv/bin/python" scripts/compose-smoke.py --bin "$work/staging/bin"
