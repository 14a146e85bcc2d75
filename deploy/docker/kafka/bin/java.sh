#!/bin/bash
# java with the broker's classpath and the flags devinfra's broker uses (C1 only, serial GC:
# see libs/servicekit/.../devinfra/kafka.py). KAFKA_HEAP_OPTS replaces the heap size.
# The first argument is the main class; the class archive recorded for it at build time
# (record-cds.sh) spares each start loading and verifying its classes again.
archive="/opt/kafka/cds/${1##*.}.jsa"
if [[ -n "${KAFKA_CDS_RECORD:-}" ]]; then
  cds="-XX:ArchiveClassesAtExit=$archive"
elif [[ -f "$archive" ]]; then
  cds="-XX:SharedArchiveFile=$archive"
else
  cds=""
fi
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -XX:+PerfDisableSharedMem -Djava.awt.headless=true $cds ${KAFKA_JVM_OPTS:-} \
  -Dkafka.logs.dir=/tmp -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml \
  -cp '/opt/kafka/libs/*' "$@"
