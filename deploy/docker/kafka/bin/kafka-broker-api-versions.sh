#!/bin/bash
exec /opt/kafka/bin/java.sh org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
