#!/usr/bin/env bash
# sandbox.sh - Pigsty's 4-node sandbox (meta, node-1, node-2, node-3) as
# systemd-nspawn containers on this machine: real Debian 12 hosts with systemd
# and sshd on a private bridge, for users and for the end-to-end tests.
#
# State under $SANDBOX_DIR (default /var/lib/pigsty-sandbox):
#   base/               debootstrapped Debian 12 minbase, built once, never written to
#   nodes/NAME/conf/    per-node identity layer (host keys, hostname, apt proxy, ...)
#   nodes/NAME/upper/   everything the node writes; wiping it is what `reset` does
#   nodes/NAME/work/    overlayfs scratch dir
#   nodes/NAME/root/    overlay mount conf:base + upper, booted by systemd-nspawn
#   nodes/NAME/nspawn.pid, nodes/NAME/console.log
#   known_hosts         the nodes' host keys (also merged into ~/.ssh/known_hosts)
set -euo pipefail

SANDBOX_DIR="${SANDBOX_DIR:-/var/lib/pigsty-sandbox}"
SANDBOX_DIR="${SANDBOX_DIR%/}"
readonly SANDBOX_DIR
readonly BASE_DIR="$SANDBOX_DIR/base"
readonly NODES_DIR="$SANDBOX_DIR/nodes"
readonly KNOWN_HOSTS="$SANDBOX_DIR/known_hosts"

readonly ALL_NODES=(meta node-1 node-2 node-3)
declare -A NODE_IP=([meta]=10.10.10.10 [node-1]=10.10.10.11 [node-2]=10.10.10.12 [node-3]=10.10.10.13)
# Extra nodes x21..x99 at 10.10.10.21-99, named by their last octet: more hosts for parallel
# development and fan-out tests. They come up only when named; `down`, `status` and
# `destroy` with no names include every extra node that exists.
for ((octet = 21; octet <= 99; octet++)); do NODE_IP[x$octet]=10.10.10.$octet; done
unset octet
readonly NODE_IP
readonly BRIDGE=sbx-br0
readonly BRIDGE_ADDR=10.10.10.1
readonly SUBNET=10.10.10.0/24
readonly PROXY_PORT=3142

readonly SUITE=bookworm
readonly BASE_PACKAGES=systemd,systemd-sysv,openssh-server,iproute2,sudo,dbus,ca-certificates,procps,python3
# postgresql-client: psql on the host reaches the deployed databases from outside the nodes, as an application would.
readonly HOST_PACKAGES=(systemd-container debootstrap apt-cacher-ng iproute2 openssh-client postgresql-client)
# apt-daily would take the dpkg lock in the middle of a test deployment.
readonly MASKED_UNITS=(apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service)

readonly BOOT_TIMEOUT="${SANDBOX_BOOT_TIMEOUT:-120}"
readonly STOP_TIMEOUT="${SANDBOX_STOP_TIMEOUT:-30}"
readonly LOCK_WAIT=900

# Network, cgroup and lock names are global to the machine, not to one
# SANDBOX_DIR, so they live under /run and /sys with fixed names.
readonly RUN_DIR=/run/pigsty-sandbox
readonly LOCK_FILE=/run/lock/pigsty-sandbox.lock
readonly OWNER_FILE="$RUN_DIR/owner"
readonly CGROUP_NAME=pigsty-sandbox
readonly ACNG_BIN=/usr/sbin/apt-cacher-ng
readonly ACNG_CONF_DIR=/etc/apt-cacher-ng
readonly ACNG_RUN_DIR=/run/apt-cacher-ng
readonly ACNG_PIDFILE="$ACNG_RUN_DIR/pigsty-sandbox.pid"

SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF
LOCK_FD=
SSH_KEY=
USER_NAME=
USER_HOME=

# ---------------------------------------------------------------- messages

die()  { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }
warn() { printf 'sandbox: warning: %s\n' "$*" >&2; }
info() { printf 'sandbox: %s\n' "$*" >&2; }

# Seconds since $1 (an $EPOCHREALTIME value), one decimal.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

usage() {
  cat <<EOF
Usage: ./sandbox.sh VERB [NAME...]

Pigsty's 4-node sandbox as systemd-nspawn containers (Debian 12, systemd, sshd):
  meta=10.10.10.10  node-1=10.10.10.11  node-2=10.10.10.12  node-3=10.10.10.13
and, when named, extra nodes x21..x99 at 10.10.10.21-99, on bridge $BRIDGE ($BRIDGE_ADDR/24). Nodes use apt through apt-cacher-ng on $BRIDGE_ADDR:$PROXY_PORT.

Verbs (NAME defaults to the four nodes, and for down/status/destroy also to every
extra node that exists; every verb is idempotent):
  up [NAME...]      create and boot nodes, in parallel; print one line per ready node
  down [NAME...]    stop nodes and remove their mounts and network; with no NAME
                    also the bridge and the apt proxy. Also cleans up after crashes.
  reset [NAME...]   down, wipe the nodes' disks, up again (same host keys)
  stop NAME...      shut a node down cleanly, keep its disk (a planned host shutdown)
  crash NAME...     cut a node's power: kill every process at once, no shutdown,
                    keep its disk (simulates a host failure)
  start NAME...     boot stopped nodes again
  status            table of node, ip, state, whether ssh answers
  ssh NAME [CMD...] ssh into a node as root
  destroy           down, then delete $SANDBOX_DIR including the cached base image
  --help            this text

Environment:
  SANDBOX_DIR            state directory (default /var/lib/pigsty-sandbox)
  SANDBOX_BOOT_TIMEOUT   seconds a node may take to boot (default 120)
  SANDBOX_STOP_TIMEOUT   seconds a node may take to shut down before SIGKILL (default 30)

Needs root. The first 'up' installs host packages and builds the base image (~1 min).
EOF
}

# ---------------------------------------------------------------- preconditions

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (try: sudo $0 $*)"
}

validate_sandbox_dir() {
  [[ $SANDBOX_DIR == /?* ]] || die "SANDBOX_DIR must be an absolute path other than /, got '$SANDBOX_DIR'"
}

# The default nodes plus every extra node that has a disk.
known_nodes() {
  local dir
  printf '%s\n' "${ALL_NODES[@]}"
  for dir in "$NODES_DIR"/x[0-9][0-9]; do
    [[ -d $dir ]] && printf '%s\n' "${dir##*/}"
  done
  return 0
}

# Sets NAMES to the given node names (checked against the topology, duplicates
# dropped), or to the default nodes when none are given.
NAMES=()
select_nodes() {
  local name
  NAMES=()
  (($#)) || set -- "${ALL_NODES[@]}"
  for name in "$@"; do
    [[ -n $name && -n ${NODE_IP[$name]+x} ]] || die "unknown node '$name' (nodes: ${ALL_NODES[*]}, extra x21..x99)"
    [[ " ${NAMES[*]} " == *" $name "* ]] || NAMES+=("$name")
  done
}

# Two invocations must never interleave: they share mounts, namespaces and the bridge.
take_lock() {
  mkdir -p "${LOCK_FILE%/*}"
  exec {LOCK_FD}>"$LOCK_FILE"
  if ! flock -n "$LOCK_FD"; then
    info "waiting for another sandbox.sh invocation to finish"
    flock -w "$LOCK_WAIT" "$LOCK_FD" || die "timed out after ${LOCK_WAIT}s waiting for lock $LOCK_FILE"
  fi
}

# The bridge and addresses are machine-wide; a second SANDBOX_DIR must not grab them.
check_network_owner() {
  local owner
  [[ -r $OWNER_FILE ]] || return 0
  owner=$(<"$OWNER_FILE")
  [[ $owner == "$SANDBOX_DIR" ]] && return 0
  ip link show dev "$BRIDGE" &>/dev/null || return 0
  die "the sandbox network is in use by SANDBOX_DIR=$owner; run 'SANDBOX_DIR=$owner $0 down' first"
}

claim_network() {
  mkdir -p "$RUN_DIR"
  printf '%s\n' "$SANDBOX_DIR" >"$OWNER_FILE"
}

# The sandbox trusts the key of whoever invoked it (through sudo too), like Vagrant does.
resolve_user() {
  if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    USER_NAME=$SUDO_USER
    USER_HOME=$(getent passwd "$SUDO_USER" | cut -d: -f6)
  else
    USER_NAME=$(id -un)
    USER_HOME=${HOME:-$(getent passwd "$USER_NAME" | cut -d: -f6)}
  fi
  SSH_KEY="$USER_HOME/.ssh/id_ed25519"
}

ensure_ssh_key() {
  local dir="${SSH_KEY%/*}"
  [[ -d $USER_HOME ]] || die "home directory of user '$USER_NAME' not found ('$USER_HOME'); it holds the SSH key the nodes trust"
  if [[ ! -f $SSH_KEY ]]; then
    info "creating SSH key $SSH_KEY"
    install -d -m 0700 -o "$USER_NAME" -g "$(id -gn "$USER_NAME")" "$dir"
    ssh-keygen -q -t ed25519 -N '' -C "$USER_NAME@pigsty-sandbox" -f "$SSH_KEY" || die "ssh-keygen failed to create $SSH_KEY"
    chown "$USER_NAME:" "$SSH_KEY" "$SSH_KEY.pub"
  elif [[ ! -f $SSH_KEY.pub ]]; then
    ssh-keygen -y -f "$SSH_KEY" >"$SSH_KEY.pub" || die "cannot derive $SSH_KEY.pub (passphrase-protected key?)"
    chown "$USER_NAME:" "$SSH_KEY.pub"
  fi
}

ensure_host_packages() {
  local pkg missing=() log="/tmp/pigsty-sandbox-apt.log"
  for pkg in "${HOST_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  info "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed (log: $log)"; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "installing ${missing[*]} failed (log: $log)"; }
}

# ---------------------------------------------------------------- host apt sources

# Prints "URI SUITE COMPONENTS..." for every enabled deb source of $SUITE (and its
# -updates/-security pockets) configured on this host, in deb822 or one-line format.
host_apt_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = uris = suites = comps = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/ || !match($i, /^[A-Za-z-]+:/)) continue
          key = tolower(substr($i, 1, RLENGTH - 1)); val = substr($i, RLENGTH + 1)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "components") comps = val
          else if (key == "enabled") enabled = tolower(val)
        }
        if (enabled ~ /no/ || types !~ /(^|[ \t])deb([ \t]|$)/) next
        gsub(/^[ \t]+|[ \t]+$/, "", comps)
        nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
        for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++)
          if (u[a] != "" && (s[b] == suite || index(s[b], suite "-") == 1)) print u[a], s[b], comps
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
        if ($(i + 1) == suite || index($(i + 1), suite "-") == 1) print $i, $(i + 1), substr(comps, 2)
      }' "$f"
  done
}

# The host's Debian mirror (the URI serving $SUITE itself, not the security archive).
host_mirror() {
  local uri suite _ mirror=
  while read -r uri suite _; do
    if [[ $suite == "$SUITE" ]]; then mirror=$uri; break; fi
  done < <(host_apt_entries)
  [[ -n $mirror ]] || die "no Debian '$SUITE' mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  [[ $mirror == http://* || $mirror == https://* ]] || die "host mirror '$mirror' is not an http(s) URL; the sandbox cannot proxy it"
  printf '%s\n' "$mirror"
}

# Nodes fetch through apt-cacher-ng, which only proxies plain http.
to_http() { printf '%s\n' "${1/#https:/http:}"; }

node_apt_sources() {
  local uri suite comps
  printf '# Written by pigsty sandbox.sh: the host'"'"'s mirrors, fetched through its apt-cacher-ng.\n'
  while read -r uri suite comps; do
    printf 'deb %s %s %s\n' "$(to_http "$uri")" "$suite" "${comps:-main}"
  done < <(host_apt_entries) | awk '!seen[$0]++'
}

# ---------------------------------------------------------------- file system helpers

# Unmount everything at or below $1, deepest first (a killed debootstrap leaves proc/sys mounted).
unmount_below() {
  local dir=$1 mnt
  while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt" || die "cannot unmount $mnt"
  done < <(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

remove_tree() {
  [[ -e $1 ]] || return 0
  unmount_below "$1"
  rm -rf --one-file-system -- "$1" || die "cannot remove $1"
}

# ---------------------------------------------------------------- base image

ensure_base() {
  # The base only ever appears by rename after a complete build, so existing means usable.
  [[ -d $BASE_DIR ]] && return 0
  local mirror tmp="$SANDBOX_DIR/base.tmp.$$" log="$SANDBOX_DIR/debootstrap.log" start=$EPOCHREALTIME
  mirror=$(host_mirror)
  remove_stale_builds
  info "building base image: debootstrap $SUITE from $mirror (about a minute)"
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$tmp" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    remove_tree "$tmp"
    die "debootstrap failed (full log: $log)"
  fi
  prepare_base "$tmp"
  mv -T "$tmp" "$BASE_DIR" || die "cannot move finished base $tmp to $BASE_DIR"
  info "base image built in $(elapsed "$start")s"
}

remove_stale_builds() {
  local d
  for d in "$SANDBOX_DIR"/base.tmp.*; do
    [[ -e $d ]] || continue
    info "removing interrupted base build $d"
    remove_tree "$d"
  done
}

# Strip what must differ per node (the conf layer supplies it) or must not leak from the host.
prepare_base() {
  local root=$1
  rm -f "$root/etc/hostname" "$root/etc/resolv.conf" "$root"/etc/ssh/ssh_host_*
  # Empty means "not yet initialised" to systemd; each node's conf layer has its own id.
  : >"$root/etc/machine-id"
  rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*debootstrap.invalid*
}

# ---------------------------------------------------------------- per-node identity layer

node_dir()  { printf '%s\n' "$NODES_DIR/$1"; }
node_conf() { printf '%s\n' "$NODES_DIR/$1/conf"; }

# Directories of a lower layer override the base's ownership and mode, so copy them.
mkdir_like_base() {
  local conf=$1 rel mode
  shift
  for rel in "$@"; do
    mode=$(stat -c %a "$BASE_DIR/$rel" 2>/dev/null || echo 755)
    install -d -m "$mode" -o root -g root "$conf/$rel"
  done
}

# Only called while the node is unmounted: overlayfs forbids changing a mounted lower layer.
write_node_conf() {
  local name=$1 conf unit
  conf=$(node_conf "$name")
  mkdir_like_base "$conf" etc etc/ssh etc/apt etc/apt/apt.conf.d etc/systemd etc/systemd/system root
  install -d -m 0700 "$conf/root/.ssh"

  # Generated once and kept: -A only creates missing key types, so reset keeps host keys.
  ssh-keygen -A -f "$conf" >/dev/null || die "ssh-keygen -A failed for node $name"
  [[ -s $conf/etc/machine-id ]] || tr -d '-' </proc/sys/kernel/random/uuid >"$conf/etc/machine-id"

  printf '%s\n' "$name" >"$conf/etc/hostname"
  install -m 0600 "$SSH_KEY.pub" "$conf/root/.ssh/authorized_keys"
  # apt-cacher-ng answers an error when two clients refresh one index in the same second; with
  # pipelined requests, apt's http method then stalled for minutes (Ansible's apt module on 10 nodes
  # at once). Without pipelining, with a timeout and retries, that error costs one retry.
  printf 'Acquire::http::Proxy "http://%s:%s";\nAcquire::http::Pipeline-Depth "0";\nAcquire::http::Timeout "30";\nAcquire::Retries "3";\n' \
    "$BRIDGE_ADDR" "$PROXY_PORT" >"$conf/etc/apt/apt.conf.d/01pigsty-sandbox-proxy"
  node_apt_sources >"$conf/etc/apt/sources.list"
  for unit in "${MASKED_UNITS[@]}"; do
    ln -sfn /dev/null "$conf/etc/systemd/system/$unit"
  done
}

# Host key lines for known_hosts, from the keys the sandbox generated itself.
node_known_hosts_lines() {
  local name=$1 pub
  for pub in "$(node_conf "$name")"/etc/ssh/ssh_host_*_key.pub; do
    [[ -r $pub ]] && printf '%s %s\n' "${NODE_IP[$name]}" "$(cut -d' ' -f1,2 "$pub")"
  done
  return 0
}

write_sandbox_known_hosts() {
  local name tmp="$KNOWN_HOSTS.tmp"
  for name in $(known_nodes); do
    [[ -d $(node_conf "$name") ]] && node_known_hosts_lines "$name"
  done >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$KNOWN_HOSTS"
}

# So plain `ssh root@10.10.10.10` works: replace whatever stale keys the user had for our IPs.
update_user_known_hosts() {
  local file="$USER_HOME/.ssh/known_hosts" name
  install -d -m 0700 -o "$USER_NAME" -g "$(id -gn "$USER_NAME")" "${file%/*}"
  [[ -f $file ]] || install -m 0644 -o "$USER_NAME" -g "$(id -gn "$USER_NAME")" /dev/null "$file"
  for name in "$@"; do
    ssh-keygen -R "${NODE_IP[$name]}" -f "$file" >/dev/null 2>&1 || true
    node_known_hosts_lines "$name" >>"$file"
  done
  rm -f "$file.old"
  chown "$USER_NAME:" "$file"
}

forget_user_known_hosts() {
  local file="$USER_HOME/.ssh/known_hosts" name
  [[ -f $file ]] || return 0
  for name in $(known_nodes); do
    ssh-keygen -R "${NODE_IP[$name]}" -f "$file" >/dev/null 2>&1 || true
  done
  rm -f "$file.old"
}

# ---------------------------------------------------------------- network

ip_to_int() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  printf '%s\n' $(((a << 24) | (b << 16) | (c << 8) | d))
}

# True when prefix $1 (a.b.c.d[/n]) shares any address with $SUBNET.
overlaps_subnet() {
  local len=32 ours_len=${SUBNET#*/} shorter mask theirs ours
  [[ $1 == */* ]] && len=${1#*/}
  shorter=$((len < ours_len ? len : ours_len))
  mask=$(((0xffffffff << (32 - shorter)) & 0xffffffff))
  theirs=$(ip_to_int "${1%/*}")
  ours=$(ip_to_int "${SUBNET%/*}")
  (((theirs & mask) == (ours & mask)))
}

# Refuse to shadow a real network: any route (any table, any type) touching our
# subnet through another device means 10.10.10.x already leads somewhere else.
check_subnet_free() {
  local line words dest dev i conflicts=()
  while read -r line; do
    read -ra words <<<"$line"
    dest=${words[0]}
    case $dest in
      unicast | local | broadcast | unreachable | blackhole | prohibit | throw | multicast | anycast | nat) dest=${words[1]} ;;
    esac
    [[ $dest == default || ! $dest =~ ^[0-9.]+(/[0-9]+)?$ ]] && continue
    dev=
    for ((i = 0; i < ${#words[@]} - 1; i++)); do
      [[ ${words[i]} == dev ]] && dev=${words[i + 1]}
    done
    [[ $dev == "$BRIDGE" ]] && continue
    overlaps_subnet "$dest" && conflicts+=("$line")
  done < <(ip -4 -o route show table all)
  ((${#conflicts[@]} == 0)) && return 0
  printf '  %s\n' "${conflicts[@]}" >&2
  die "$SUBNET is already routed elsewhere on this machine (routes above; 'ip route get 10.10.10.10': $(ip route get 10.10.10.10 2>&1 | head -n1)); refusing to set up $BRIDGE"
}

# Policy routing could still send node traffic elsewhere; the kernel's answer is authoritative.
check_bridge_routes() {
  local addr out
  for addr in 10.10.10.10 10.10.10.13 10.10.10.21 10.10.10.99; do
    out=$(ip -4 route get "$addr" 2>&1) || die "ip route get $addr failed: $out"
    [[ $out == *" dev $BRIDGE "* ]] || die "$addr routes via '$(head -n1 <<<"$out")', not $BRIDGE; fix the host's routing rules"
  done
}

disable_ipv6() { # keep the bridge IPv4-only: no router solicitations or DAD leaving the host's stack
  local sysctl="/proc/sys/net/ipv6/conf/$1/disable_ipv6"
  [[ -w $sysctl ]] && echo 1 >"$sysctl"
  return 0
}

ensure_bridge() {
  check_subnet_free
  if ! ip link show dev "$BRIDGE" &>/dev/null; then
    ip link add "$BRIDGE" address "$(mac_for_ip "$BRIDGE_ADDR")" type bridge || die "cannot create bridge $BRIDGE"
  fi
  disable_ipv6 "$BRIDGE"
  ip addr replace "$BRIDGE_ADDR/24" dev "$BRIDGE" || die "cannot assign $BRIDGE_ADDR/24 to $BRIDGE"
  ip link set "$BRIDGE" up || die "cannot bring up $BRIDGE"
  check_bridge_routes
  claim_network
}

# Stable, locally administered MACs derived from the IPv4 address, like real NICs: with
# fresh random ones every reset, ARP caches keep the old MAC and a rebooted node stays
# unreachable for seconds. The bridge would otherwise take the MAC of its lowest port.
mac_for_ip() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  printf '02:00:%02x:%02x:%02x:%02x\n' "$a" "$b" "$c" "$d"
}

netns_name()   { printf 'sbx-%s\n' "$1"; }
host_if_name() { printf 'sbxh-%s\n' "$1"; }

# A netns file can survive its namespace (e.g. /run bind mount lost); recreate it then.
netns_usable() { ip -n "$1" link show lo &>/dev/null; }

ensure_netns() {
  local name=$1 ns host_if ip=${NODE_IP[$1]}
  ns=$(netns_name "$name")
  host_if=$(host_if_name "$name")
  if [[ -e /run/netns/$ns ]] && ! netns_usable "$ns"; then
    ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
  fi
  [[ -e /run/netns/$ns ]] || ip netns add "$ns" || die "cannot create network namespace $ns"
  # A host end whose peer is not our eth0 belongs to a namespace that no longer is ours.
  if ip link show dev "$host_if" &>/dev/null && ! ip -n "$ns" link show dev eth0 &>/dev/null; then
    ip link del "$host_if" 2>/dev/null || true
  fi
  if ! ip link show dev "$host_if" &>/dev/null; then
    ip link add "$host_if" type veth peer name eth0 address "$(mac_for_ip "$ip")" netns "$ns" ||
      die "cannot create veth $host_if for node $name"
  fi
  disable_ipv6 "$host_if"
  ip link set "$host_if" master "$BRIDGE" up || die "cannot attach $host_if to $BRIDGE"
  ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6' 2>/dev/null || true
  ip -n "$ns" link set lo up
  ip -n "$ns" addr replace "$ip/24" dev eth0 || die "cannot assign $ip to node $name"
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$BRIDGE_ADDR" dev eth0 || die "cannot set default route of node $name"
}

delete_netns() {
  local ns host_if
  ns=$(netns_name "$1")
  host_if=$(host_if_name "$1")
  [[ -e /run/netns/$ns ]] && { ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"; }
  # The kernel destroys the namespace, and the veth with it, asynchronously: delete the host
  # end ourselves, tolerate that it vanished meanwhile, and wait until its name is free again.
  ip link del "$host_if" 2>/dev/null || true
  local deadline=$((SECONDS + 5))
  while ip link show dev "$host_if" &>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  ip link show dev "$BRIDGE" &>/dev/null && ip neigh flush to "${NODE_IP[$1]}" dev "$BRIDGE"
  return 0
}

delete_bridge() {
  ip link show dev "$BRIDGE" &>/dev/null && { ip link del "$BRIDGE" || die "cannot delete bridge $BRIDGE"; }
  rm -f "$OWNER_FILE"
}

# ---------------------------------------------------------------- apt proxy

proxy_listening() { timeout 2 bash -c "exec 3<>/dev/tcp/$BRIDGE_ADDR/$PROXY_PORT" 2>/dev/null; }

# Our own apt-cacher-ng instance, if one runs (never touch one started by someone else).
our_proxy_pid() {
  local pid
  [[ -r $ACNG_PIDFILE ]] || return 1
  pid=$(<"$ACNG_PIDFILE")
  [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == apt-cacher-ng ]] || return 1
  printf '%s\n' "$pid"
}

# apt-cacher-ng only knows where "/debian" lives from backends_debian; without it: 503.
proxy_backend_current() { # BACKEND
  [[ "$(grep -v -e '^#' -e '^[[:space:]]*$' "$ACNG_CONF_DIR/backends_debian" 2>/dev/null)" == "$1" ]]
}

write_proxy_backend() { # BACKEND
  printf '# Written by pigsty sandbox.sh: the Debian mirror this host uses.\n%s\n' "$1" >"$ACNG_CONF_DIR/backends_debian"
}

ensure_apt_proxy() {
  local changed=0 pid mirror backend
  mirror=$(host_mirror)
  backend="$(to_http "$mirror")"
  backend="${backend%/}/"
  if ! proxy_backend_current "$backend"; then
    write_proxy_backend "$backend"
    changed=1
  fi
  if proxy_listening; then
    ((changed)) || return 0
    if pid=$(our_proxy_pid); then
      info "restarting apt-cacher-ng to pick up the new backend"
      stop_apt_proxy
    else
      warn "apt-cacher-ng (not started by the sandbox) already listens on $BRIDGE_ADDR:$PROXY_PORT; restart it to use the new $ACNG_CONF_DIR/backends_debian"
      return 0
    fi
  fi
  start_apt_proxy
}

start_apt_proxy() {
  local deadline=$((SECONDS + 10))
  install -d -m 0755 -o apt-cacher-ng -g apt-cacher-ng "$ACNG_RUN_DIR"
  # There is no systemd on the host: daemonise it the way its init script does, but
  # bound to the bridge only so the proxy is not offered on the host's other networks.
  (
    close_inherited_fds
    exec start-stop-daemon --start --quiet --chuid apt-cacher-ng:apt-cacher-ng \
      --pidfile "$ACNG_PIDFILE" --exec "$ACNG_BIN" -- -c "$ACNG_CONF_DIR" \
      "pidfile=$ACNG_PIDFILE" "SocketPath=$ACNG_RUN_DIR/socket" foreground=0 \
      "BindAddress=$BRIDGE_ADDR" "Port=$PROXY_PORT"
  ) </dev/null >"$SANDBOX_DIR/apt-cacher-ng.log" 2>&1 ||
    die "cannot start $ACNG_BIN: $(tail -n 3 "$SANDBOX_DIR/apt-cacher-ng.log" | tr '\n' ' ')(see also /var/log/apt-cacher-ng/apt-cacher.err)"
  until proxy_listening; do
    ((SECONDS < deadline)) || die "apt-cacher-ng does not listen on $BRIDGE_ADDR:$PROXY_PORT (see /var/log/apt-cacher-ng/apt-cacher.err)"
    sleep 0.2
  done
}

stop_apt_proxy() {
  local pid
  pid=$(our_proxy_pid) || { rm -f "$ACNG_PIDFILE"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$ACNG_PIDFILE"
}

# ---------------------------------------------------------------- processes and cgroups

# Daemons we spawn must not inherit our lock fd (they would hold the lock forever)
# nor a caller's pipes (a test runner would wait for EOF forever).
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

wait_gone() { # PID SECONDS: true once PID has exited
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# systemd-nspawn puts its supervisor/payload cgroups below the cgroup it starts in,
# so each node needs its own or the four containers' systemds would share one tree.
cgroup_roots() {
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo /sys/fs/cgroup
  else
    [[ -d /sys/fs/cgroup/systemd ]] && echo /sys/fs/cgroup/systemd
    [[ -d /sys/fs/cgroup/unified ]] && echo /sys/fs/cgroup/unified
  fi
  return 0
}

enter_node_cgroup() { # moves the calling (sub)shell into the node's cgroups
  local root dir
  for root in $(cgroup_roots); do
    dir="$root/$CGROUP_NAME/$1"
    mkdir -p "$dir"
    echo "$BASHPID" >"$dir/cgroup.procs"
  done
}

node_cgroup_pids() {
  local root dir
  for root in $(cgroup_roots); do
    dir="$root/$CGROUP_NAME/$1"
    [[ -d $dir ]] && find "$dir" -name cgroup.procs -exec cat {} +
  done | sort -un
}

remove_node_cgroup() {
  local root dir _
  for root in $(cgroup_roots); do
    dir="$root/$CGROUP_NAME/$1"
    for _ in 1 2 3 4 5; do
      [[ -d $dir ]] || break
      find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.2
    done
    rmdir "$root/$CGROUP_NAME" 2>/dev/null || true
  done
}

# Pid of the node's live systemd-nspawn; fails when the pid file is missing or stale.
nspawn_pid() {
  local name=$1 file pid args
  file="$(node_dir "$name")/nspawn.pid"
  [[ -r $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == systemd-nspawn ]] || return 1
  args=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $'\n'$args$'\n' == *$'\n'"--machine=$name"$'\n'* ]] || return 1
  printf '%s\n' "$pid"
}

# Host pid of the node's init (PID 1 in its namespace), e.g. one orphaned by a killed nspawn.
container_init_pid() {
  local pid
  for pid in $(node_cgroup_pids "$1"); do
    if awk '/^NSpid:/ { found = (NF > 2 && $NF == 1) } END { exit !found }' "/proc/$pid/status" 2>/dev/null; then
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}

# After a crash the container's systemd outlives its nspawn: give it an orderly
# shutdown first (data of a database in the node), then kill whatever remains.
kill_node_leftovers() {
  local name=$1 init pids deadline
  if init=$(container_init_pid "$name"); then
    info "$name: container is running without its systemd-nspawn; shutting it down"
    kill -s RTMIN+3 "$init" 2>/dev/null || true
    wait_gone "$init" 10 || true
  fi
  deadline=$((SECONDS + 10))
  while pids=$(node_cgroup_pids "$name") && [[ -n $pids ]]; do
    ((SECONDS < deadline)) || die "$name: processes survive SIGKILL: $(tr '\n' ' ' <<<"$pids")"
    local root
    for root in $(cgroup_roots); do
      [[ -w $root/$CGROUP_NAME/$name/cgroup.kill ]] && echo 1 >"$root/$CGROUP_NAME/$name/cgroup.kill"
    done
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
  done
  remove_node_cgroup "$name"
}

# ---------------------------------------------------------------- node lifecycle

mount_root() {
  local name=$1 dir
  dir=$(node_dir "$name")
  install -d -m 0755 "$dir/upper" "$dir/work" "$dir/root"
  mountpoint -q "$dir/root" && return 0
  mount -t overlay "sbx-$name" -o "lowerdir=$dir/conf:$BASE_DIR,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" ||
    die "cannot mount the overlay root of node $name"
}

unmount_root() {
  local root tries=0
  root="$(node_dir "$1")/root"
  while mountpoint -q "$root"; do
    umount "$root" 2>/dev/null && continue
    if ((++tries >= 20)); then
      warn "$1: $root still busy, detaching it lazily"
      umount -l "$root" || die "cannot unmount $root"
    fi
    sleep 0.25
  done
}

# Starts the node's supervisor detached (setsid: no terminal, immune to the caller's
# Ctrl-C) in the node's cgroup, and returns once its systemd-nspawn runs.
launch_container() {
  local name=$1 dir deadline=$((SECONDS + 10))
  dir=$(node_dir "$name")
  [[ -f $dir/console.log ]] && mv -f "$dir/console.log" "$dir/console.log.1"
  rm -f "$dir/nspawn.pid"
  (
    enter_node_cgroup "$name"
    close_inherited_fds
    export SANDBOX_DIR
    exec setsid "$SELF" __supervise "$name"
  ) </dev/null >"$dir/console.log" 2>&1 &
  until nspawn_pid "$name" >/dev/null; do
    ((SECONDS < deadline)) || { boot_failed "$name" "systemd-nspawn did not start"; die "cannot start node $name"; }
    sleep 0.05
  done
}

# Runs (detached) for as long as the node is up. nspawn exits with 133 when the
# container reboots itself; a real host would come back, so start it again.
supervise_container() {
  local name=$1 dir ns pid rc
  dir=$(node_dir "$name")
  ns=$(netns_name "$name")
  while :; do
    # --register=no: the host's PID 1 is not systemd, so there is no machined to register with.
    # --resolv-conf=off: nodes have no route to the host's resolvers; apt resolves via the proxy.
    # CAP_NET_ADMIN: firewalld, keepalived and vip-manager manage the node's network, which is
    # its own namespace, so the capability reaches nothing outside the node.
    systemd-nspawn --directory="$dir/root" --boot --machine="$name" \
      --network-namespace-path="/run/netns/$ns" --register=no --keep-unit \
      --capability=CAP_NET_ADMIN \
      --resolv-conf=off --link-journal=no --console=read-only &
    pid=$!
    echo "$pid" >"$dir/nspawn.pid"
    rc=0
    wait "$pid" || rc=$?
    ((rc == 133)) || break
    info "$name rebooted itself; starting it again"
  done
  rm -f "$dir/nspawn.pid"
  exit "$rc"
}

# Stops the container and removes its mount; keeps its network namespace.
stop_node() {
  local name=$1 pid
  if pid=$(nspawn_pid "$name"); then
    # systemd-nspawn turns SIGTERM into an orderly shutdown of the container.
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
      warn "$name: no clean shutdown within ${STOP_TIMEOUT}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  kill_node_leftovers "$name"
  rm -f "$(node_dir "$name")/nspawn.pid"
  unmount_root "$name"
  unplug_node "$name"
}

# A powered-off machine does not answer at all; without this the node's namespace
# would still reset TCP connections ("Connection refused"). ensure_netns plugs it back.
unplug_node() {
  local host_if
  host_if=$(host_if_name "$1")
  ip link set "$host_if" down 2>/dev/null || true
}

down_node() {
  stop_node "$1"
  delete_netns "$1"
}

# Runs "$1 NAME" for every NAME concurrently; fails if any of them failed.
for_each_parallel() {
  local fn=$1 name failed=() pids=()
  shift
  for name in "$@"; do
    "$fn" "$name" &
    pids+=($!)
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || failed+=("${@:i+1:1}")
  done
  ((${#failed[@]} == 0)) || die "$fn failed for: ${failed[*]}"
}

# Everything a stopped node needs before it can boot.
prepare_node() {
  local name=$1
  stop_node "$name" # clears what a crash may have left: orphans, stale mount, pid file
  install -d -m 0755 "$(node_dir "$name")"
  remove_wiped "$name"
  write_node_conf "$name"
  ensure_netns "$name"
  mount_root "$name"
}

ssh_opts() {
  printf '%s\n' -F /dev/null -i "$SSH_KEY" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
}

node_ssh() { # NAME CMD...: non-interactive, fails fast when the node does not answer
  local name=$1 opts
  shift
  mapfile -t opts < <(ssh_opts)
  ssh "${opts[@]}" -o BatchMode=yes -o ConnectTimeout=2 "root@${NODE_IP[$name]}" "$@"
}

boot_failed() {
  local name=$1
  shift
  printf 'sandbox: error: node %s: %s\n--- last lines of %s:\n' "$name" "$*" "$(node_dir "$name")/console.log" >&2
  tail -n 25 "$(node_dir "$name")/console.log" >&2 || true
  return 1
}

# Ready means: sshd answers with the key we generated, and systemd reached "running".
wait_ready() {
  local name=$1 start=$2 deadline=$((SECONDS + BOOT_TIMEOUT)) state failed
  until node_ssh "$name" true 2>/dev/null; do
    nspawn_pid "$name" >/dev/null || { boot_failed "$name" "systemd-nspawn exited during boot"; return 1; }
    ((SECONDS < deadline)) || { boot_failed "$name" "ssh root@${NODE_IP[$name]} did not answer within ${BOOT_TIMEOUT}s"; return 1; }
    sleep 0.3
  done
  state=$(node_ssh "$name" "timeout $((deadline - SECONDS > 5 ? deadline - SECONDS : 5)) systemctl is-system-running --wait" 2>&1) || true
  if [[ $state != running ]]; then
    failed=$(node_ssh "$name" systemctl --failed --no-legend --plain 2>&1 | awk '{print $1}' | tr '\n' ' ') || true
    boot_failed "$name" "systemd state is '${state//$'\n'/ }', not 'running' (failed units: ${failed:-none})"
    return 1
  fi
  printf '%-7s %-12s ready (%ss)\n' "$name" "${NODE_IP[$name]}" "$(elapsed "$start")"
}

# Every node's systemd takes several inotify instances from the host's per-user budget (128 by default), so a
# few dozen nodes exhaust it and the next one dies at boot with "Too many open files".
ensure_inotify_instances() {
  local want=8192 have
  have=$(cat /proc/sys/fs/inotify/max_user_instances)
  ((have >= want)) || echo "$want" >/proc/sys/fs/inotify/max_user_instances ||
    warn "cannot raise fs.inotify.max_user_instances ($have): many nodes may fail to boot"
}

up_nodes() {
  local start=$EPOCHREALTIME name names=("$@") pids=() failed=()
  ensure_host_packages
  ensure_ssh_key
  mkdir -p "$SANDBOX_DIR"
  chmod 0755 "$SANDBOX_DIR"
  ensure_base
  ensure_bridge
  ensure_apt_proxy
  ensure_inotify_instances
  for name in "${names[@]}"; do
    nspawn_pid "$name" >/dev/null && continue # already running: leave it alone
    prepare_node "$name"
    launch_container "$name"
  done
  write_sandbox_known_hosts
  for name in "${names[@]}"; do
    wait_ready "$name" "$start" &
    pids+=($!)
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || failed+=("${names[i]}")
  done
  update_user_known_hosts "${names[@]}"
  ((${#failed[@]} == 0)) || die "node(s) did not come up: ${failed[*]} (try: $0 reset ${failed[*]})"
}

down_nodes() { # NAME...; with every node named, also the shared bridge and apt proxy
  local all=$1
  shift
  for_each_parallel down_node "$@"
  if ((all)); then
    stop_apt_proxy
    delete_bridge
    rmdir "$RUN_DIR" 2>/dev/null || true
  fi
}

# Renamed first, so an interrupted wipe leaves no half-wiped disk (prepare_node
# removes the remains).
wipe_node_disk() {
  local dir
  dir=$(node_dir "$1")
  mountpoint -q "$dir/root" && die "node $1 is still mounted; not wiping its disk"
  [[ -d $dir/upper ]] && mv -T "$dir/upper" "$dir/upper.wiping.$$"
  remove_wiped "$1"
}

remove_wiped() {
  local d
  for d in "$(node_dir "$1")"/upper.wiping.* "$(node_dir "$1")"/work; do
    remove_tree "$d"
  done
}

# ---------------------------------------------------------------- verbs

cmd_up() {
  select_nodes "$@"
  up_nodes "${NAMES[@]}"
}

cmd_down() {
  if (($#)); then select_nodes "$@"; else mapfile -t NAMES < <(known_nodes); fi
  down_nodes $(($# == 0)) "${NAMES[@]}"
}

cmd_reset() {
  local name start=$EPOCHREALTIME
  select_nodes "$@"
  for_each_parallel down_node "${NAMES[@]}"
  for name in "${NAMES[@]}"; do wipe_node_disk "$name"; done
  up_nodes "${NAMES[@]}"
  info "reset of ${NAMES[*]} took $(elapsed "$start")s"
}

cmd_stop() {
  (($#)) || die "stop needs at least one node name (nodes: ${ALL_NODES[*]})"
  select_nodes "$@"
  for_each_parallel stop_node "${NAMES[@]}"
}

# Every process of the node dies at once, as in a power cut; then the stop's cleanup unplugs the node.
crash_node() {
  local name=$1 root pid
  for root in $(cgroup_roots); do
    [[ -w $root/$CGROUP_NAME/$name/cgroup.kill ]] && echo 1 >"$root/$CGROUP_NAME/$name/cgroup.kill"
  done
  if pid=$(nspawn_pid "$name"); then
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || true
  fi
  # The kill is delivered asynchronously: let the processes leave the cgroup before the stop looks for survivors.
  local deadline=$((SECONDS + 5))
  while [[ -n $(node_cgroup_pids "$name") ]] && ((SECONDS < deadline)); do sleep 0.1; done
  stop_node "$name"
}

cmd_crash() {
  (($#)) || die "crash needs at least one node name (nodes: ${ALL_NODES[*]})"
  select_nodes "$@"
  for_each_parallel crash_node "${NAMES[@]}"
}

cmd_start() {
  (($#)) || die "start needs at least one node name (nodes: ${ALL_NODES[*]})"
  cmd_up "$@"
}

node_state() {
  if nspawn_pid "$1" >/dev/null; then echo running
  elif container_init_pid "$1" >/dev/null; then echo orphaned # nspawn died, container did not: run down
  else echo stopped
  fi
}

cmd_status() {
  local name tmp
  tmp=$(mktemp -d)
  # ssh probes take up to 2s each when a node is down: probe all at once.
  local names
  mapfile -t names < <(known_nodes)
  for name in "${names[@]}"; do
    (
      state=$(node_state "$name")
      ssh=no
      [[ $state != stopped && -r $KNOWN_HOSTS ]] && node_ssh "$name" true 2>/dev/null && ssh=yes
      printf '%-7s %-12s %-9s %s\n' "$name" "${NODE_IP[$name]}" "$state" "$ssh" >"$tmp/$name"
    ) &
  done
  wait
  printf '%-7s %-12s %-9s %s\n' NODE IP STATE SSH
  for name in "${names[@]}"; do cat "$tmp/$name"; done
  rm -rf "$tmp"
}

cmd_ssh() {
  local name opts
  (($#)) || die "usage: $0 ssh NAME [CMD...]"
  select_nodes "$1"
  name=${NAMES[0]}
  shift
  [[ -r $KNOWN_HOSTS ]] || die "no $KNOWN_HOSTS yet; run '$0 up' first"
  mapfile -t opts < <(ssh_opts)
  exec ssh "${opts[@]}" -o ConnectTimeout=5 "root@${NODE_IP[$name]}" "$@"
}

cmd_destroy() {
  local names
  mapfile -t names < <(known_nodes)
  down_nodes 1 "${names[@]}"
  forget_user_known_hosts
  remove_tree "$SANDBOX_DIR"
  info "removed $SANDBOX_DIR (apt-cacher-ng's package cache in /var/cache/apt-cacher-ng is kept)"
}

main() {
  local verb=${1:-}
  (($#)) && shift
  case $verb in
    -h | --help | help) usage; return 0 ;;
    "") usage >&2; exit 2 ;;
    __supervise) supervise_container "$@" ;; # internal, never returns: see launch_container
  esac
  validate_sandbox_dir
  case $verb in
    status | ssh) ;;
    *) require_root "$verb" "$@" ;;
  esac
  resolve_user
  case $verb in
    status) cmd_status; return ;;
    ssh) cmd_ssh "$@"; return ;;
  esac
  take_lock
  check_network_owner
  case $verb in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    reset) cmd_reset "$@" ;;
    stop) cmd_stop "$@" ;;
    crash) cmd_crash "$@" ;;
    start) cmd_start "$@" ;;
    destroy) (($# == 0)) || die "destroy takes no node names"; cmd_destroy ;;
    *) usage >&2; die "unknown verb '$verb'" ;;
  esac
}

main "$@"
