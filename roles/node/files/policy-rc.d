#!/bin/sh
# Installed by Pigsty's node role. invoke-rc.d asks this script before it starts a
# service from a package's maintainer scripts: exit 101 means "not now".
# The services below are configured and started by Pigsty itself, so a fresh
# install must not bring them up with the package's default configuration.
# deb-systemd-invoke passes unit names (haproxy.service), invoke-rc.d plain ones (haproxy).
service="${1%.service}"
case "$service" in
  haproxy|keepalived|etcd|patroni|pgbouncer|vip-manager|nginx|dnsmasq|minio|redis-server|docker|vector|loki)
    exit 101 ;;
  victoria-metrics|vmalert|prometheus-alertmanager|prometheus-blackbox-exporter|prometheus-nginx-exporter|prometheus-postgres-exporter|prometheus-pgbouncer-exporter)
    exit 101 ;;
  postgresql|postgresql-common|postgresql@*|postgresql-[0-9]*)
    exit 101 ;;
esac
exit 0
