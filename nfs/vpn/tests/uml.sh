# nfs/vpn/tests/uml.sh — a Linux IPsec peer for tests, as a user-mode Linux
# guest (Debian's user-mode-linux: Linux 6.1 with esp4, xfrm and
# rfc4106(gcm(aes)) as modules). It is for hosts whose own kernel has no
# ESP (CONFIG_INET_ESP): the guest's IPsec is Linux's own xfrm code.
#
# The guest boots with the host's / as its root (hostfs, so it runs the
# host's ip, ping and python3), one network interface vec0 bound to a host
# interface by a raw socket, and a small agent as init that runs the
# scripts the host drops into a shared folder:
#
#   source uml.sh
#   uml_start NETNS IFACE DIR      boot inside NETNS on IFACE; DIR: scratch folder
#   uml_run 'ip -s xfrm state'     run a shell script in the guest, print its
#                                  output, return its status
#   uml_stop                       halt the guest
#
# Needs root and /usr/bin/linux.uml (scripts/deps.sh installs it).

UML_BIN=${UML_BIN:-/usr/bin/linux.uml}
UML_MODULES=/usr/lib/uml/modules

uml_available() {
  [ -x "$UML_BIN" ] && [ -d "$UML_MODULES" ]
}

uml_start() { # NETNS IFACE DIR
  local ns=$1 iface=$2
  UML_DIR=$3
  mkdir -p "$UML_DIR/m/lib" "$UML_DIR/bin"
  ln -sfn "$UML_MODULES" "$UML_DIR/m/lib/modules"
  # The guest's kernel loads modules from the UML package, not the host's tree.
  cat >"$UML_DIR/bin/modprobe" <<EOF
#!/bin/sh
exec /sbin/modprobe -d $UML_DIR/m "\$@"
EOF
  cat >"$UML_DIR/init" <<EOF
#!/bin/sh
# The guest's init: mount what tools need, then run the host's scripts in turn.
mount -t proc proc /proc
mount -t sysfs sys /sys
echo $UML_DIR/bin/modprobe > /proc/sys/kernel/modprobe
PATH=$UML_DIR/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
ip link set lo up
n=0
touch $UML_DIR/ready
while :; do
  if [ -e $UML_DIR/cmd.\$n ]; then
    sh $UML_DIR/cmd.\$n >$UML_DIR/out.\$n 2>&1
    echo \$? >$UML_DIR/rc.tmp
    mv $UML_DIR/rc.tmp $UML_DIR/rc.\$n
    n=\$((n + 1))
  else
    sleep 0.05
  fi
done
EOF
  chmod +x "$UML_DIR/bin/modprobe" "$UML_DIR/init"
  echo 0 >"$UML_DIR/next"
  # its own process group: the guest is several host processes, stopped together
  setsid ip netns exec "$ns" "$UML_BIN" mem=256M rootfstype=hostfs rw init="$UML_DIR/init" \
    con=null con0=null,fd:2 "vec0:transport=raw,ifname=$iface" \
    </dev/null >"$UML_DIR/console.log" 2>&1 &
  UML_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    [ -e "$UML_DIR/ready" ] && return 0
    kill -0 "$UML_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "uml: the guest did not come up; its console:" >&2
  tail -20 "$UML_DIR/console.log" >&2
  return 1
}

uml_run() { # SCRIPT: run in the guest; prints its output, returns its status
  local n i
  n=$(cat "$UML_DIR/next") # a file, not a variable: callers run us in $(...) subshells
  echo $((n + 1)) >"$UML_DIR/next"
  printf '%s\n' "$1" >"$UML_DIR/cmd.tmp"
  mv "$UML_DIR/cmd.tmp" "$UML_DIR/cmd.$n"
  for ((i = 0; i < ${UML_TIMEOUT:-1200}; i++)); do
    if [ -e "$UML_DIR/rc.$n" ]; then
      cat "$UML_DIR/out.$n"
      return "$(cat "$UML_DIR/rc.$n")"
    fi
    sleep 0.1
  done
  echo "uml: no answer to: $1" >&2
  return 124
}

uml_stop() {
  [ -n "${UML_PID:-}" ] || return 0
  kill -0 "$UML_PID" 2>/dev/null && printf 'halt -f\n' >"$UML_DIR/cmd.$(cat "$UML_DIR/next")"
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$UML_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 -- -"$UML_PID" 2>/dev/null || true
  wait "$UML_PID" 2>/dev/null || true
  UML_PID=
}
