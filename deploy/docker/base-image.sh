#!/usr/bin/env bash
# Builds a Debian bookworm base image from Debian's packages, with no image registry:
# debootstrap (minbase + the packages below) into a directory, trimmed, then `docker import`.
#   deploy/docker/base-image.sh python|java|postgres
# The image carries a label with the hash of its inputs (this script and the package list)
# and is not rebuilt while that hash matches. Downloaded .debs stay in .cache/debootstrap.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kind="$1"
suite=bookworm
case "$kind" in
  python) packages=python3,python3-venv ;;
  java) packages=openjdk-17-jre-headless ;;
  postgres) packages=postgresql-15 ;;
  *) echo "base-image: python, java or postgres, not $kind" >&2; exit 2 ;;
esac
image="switchboard-base-$kind:$suite"
inputs="$( (sha256sum "${BASH_SOURCE[0]}"; echo "$suite $packages") | sha256sum | cut -c1-16)"
label=org.switchboard.inputs
if [[ "$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null)" == "$inputs" ]]; then
  echo "base-image: $image up to date"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "base-image: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
cache="$root/.cache/debootstrap/$kind-debs"  # one per kind: they run side by side
mkdir -p "$cache"
work="$(mktemp -d "$root/.cache/debootstrap/$kind.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Debian's default mirror, as the host's apt uses it.
debootstrap --variant=minbase --include="$packages" --cache-dir="$cache" \
  "$suite" "$work/rootfs" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
rootfs="$work/rootfs"
# Slim: no package index or .debs, docs, manuals or translations (the images never run apt).
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/* "$rootfs"/tmp/* "$rootfs"/root/.cache
if [[ "$kind" == postgres ]]; then
  # The cluster Debian's postinst created: each container makes its own in its volume.
  rm -rf "$rootfs"/var/lib/postgresql/15/main "$rootfs"/etc/postgresql/15/main
fi
# Container runtime files Docker provides (a debootstrap copies the host's).
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change "LABEL $label=$inputs" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$image" >/dev/null
echo "base-image: built $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
