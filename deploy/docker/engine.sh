#!/usr/bin/env bash
# A Docker engine for `make compose-test`: when `docker info` fails and we are root on
# Debian, installs docker.io (and debootstrap, for the base images), gives dockerd the
# configuration this deployment runs with (no bridge, no iptables: every container is on
# the host's network, on 127.0.0.1) and starts it; then waits until it answers.
set -euo pipefail
if docker info >/dev/null 2>&1 && command -v debootstrap >/dev/null; then
  echo "engine: Docker $(docker version --format '{{.Server.Version}}') answers"
  exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "engine: need a running Docker engine and debootstrap (Debian: docker.io debootstrap)" >&2
  exit 1
fi
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "engine: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! docker info >/dev/null 2>&1; then
  mkdir -p /etc/docker
  [[ -f /etc/docker/daemon.json ]] || echo '{"bridge": "none", "iptables": false}' >/etc/docker/daemon.json
  echo "engine: starting dockerd ($(cat /etc/docker/daemon.json))"
  nohup dockerd >/var/log/switchboard-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/switchboard-dockerd.log >&2; exit 1; }
fi
echo "engine: Docker $(docker version --format '{{.Server.Version}}') answers"
