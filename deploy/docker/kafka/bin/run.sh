#!/bin/bash
# The broker: server.properties from KAFKA_* variables (KAFKA_LOG_DIRS -> log.dirs; as in
# apache/kafka, "__" spells "-" and "___" spells "_"), KRaft storage formatted with
# CLUSTER_ID on first start, then the JVM in the foreground.
set -euo pipefail
config=/opt/kafka/config/server.properties
: >"$config"
while IFS='=' read -r name value; do
  [[ "$name" == KAFKA_* && "$name" != KAFKA_HEAP_OPTS && "$name" != KAFKA_JVM_OPTS ]] || continue
  key="${name#KAFKA_}"
  key="${key,,}"
  key="${key//___/@}"; key="${key//__/-}"; key="${key//_/.}"; key="${key//@/_}"
  echo "$key=$value" >>"$config"
done < <(env)
log_dirs="$(sed -n 's/^log\.dirs=//p' "$config")"
if [[ ! -f "${log_dirs%%,*}/meta.properties" ]]; then
  /opt/kafka/bin/java.sh kafka.tools.StorageTool format --ignore-formatted \
    -t "${CLUSTER_ID:?set CLUSTER_ID}" -c "$config"
fi
exec /opt/kafka/bin/java.sh kafka.Kafka "$config"
