#!/bin/bash
# java with the broker's classpath and the flags devinfra's broker uses (C1 only, serial GC:
# see libs/servicekit/.../devinfra/kafka.py). KAFKA_HEAP_OPTS replaces the heap size.
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -XX:+PerfDisableSharedMem -Djava.awt.headless=true ${KAFKA_JVM_OPTS:-} \
  -Dkafka.logs.dir=/tmp -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml \
  -cp '/opt/kafka/libs/*' "$@"
