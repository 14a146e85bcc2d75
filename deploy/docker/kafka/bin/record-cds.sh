#!/bin/bash
# Run once while the image is built: a throwaway broker on loopback is formatted, started,
# asked for its API versions and given a topic, then stopped; each of these JVMs writes the
# classes it loaded to /opt/kafka/cds/<main class>.jsa on exit, which java.sh then maps
# (about 40 % less time per start of a command-line tool here).
set -euo pipefail
work="$(mktemp -d)"
export CLUSTER_ID=cds-recording-0000000w KAFKA_NODE_ID=1 \
  KAFKA_PROCESS_ROLES=broker,controller KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER \
  KAFKA_CONTROLLER_QUORUM_VOTERS=1@127.0.0.1:29093 \
  KAFKA_LISTENERS=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093 \
  KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://127.0.0.1:29092 \
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT \
  KAFKA_LOG_DIRS="$work" KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=1 \
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR=1 KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=1 \
  KAFKA_CDS_RECORD=1
/opt/kafka/bin/run.sh &
broker=$!
ready=""
for _ in $(seq 1 120); do
  if /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server 127.0.0.1:29092 >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 1
done
[[ -n "$ready" ]] || { echo "record-cds: the broker never answered" >&2; exit 1; }
/opt/kafka/bin/kafka-topics.sh --bootstrap-server 127.0.0.1:29092 --create --topic cds \
  --partitions 1 --replication-factor 1 >/dev/null
kill -TERM "$broker"
wait "$broker" || true
# Formatting runs once per volume: not worth its 24 MB.
rm -rf "$work" /opt/kafka/config/server.properties /opt/kafka/cds/StorageTool.jsa
ls /opt/kafka/cds/Kafka.jsa /opt/kafka/cds/TopicCommand.jsa \
  /opt/kafka/cds/BrokerApiVersionsCommand.jsa >/dev/null
echo "record-cds: $(du -sh /opt/kafka/cds | cut -f1) of class archives"
