#!/bin/sh
# The one-shot `topics` job: create every topic the services write or dead-letter to, with
# the partition count the services expect, before any service starts. Safe to re-run.
set -e

for topic in $TOPICS; do
    /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP_SERVER" --create \
        --if-not-exists --topic "$topic" --partitions "$TOPIC_PARTITIONS" \
        --replication-factor "${TOPIC_REPLICATION_FACTOR:-1}"
done
