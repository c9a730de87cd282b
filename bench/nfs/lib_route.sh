# The namespace side of a routed Linux reference (bench/nfs/lib.sh
# linux_mpps): "in" takes the generator's frames (its MAC is their
# destination), "out" routes them on towards 10.1.0.0/16 through a static
# neighbour, so every packet crosses the kernel's IPv4 forwarding path once.
# Source it inside the namespace before the reference NF's own setup.
ip link set in address 02:00:00:00:00:02
ip addr add 192.168.100.1/24 dev in
ip addr add 192.168.101.1/24 dev out
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.in.rp_filter=0
ip route add 10.0.0.0/16 via 192.168.100.2 dev in
ip neigh add 192.168.100.2 lladdr 02:00:00:00:00:01 dev in nud permanent
ip route add 10.1.0.0/16 via 192.168.101.2 dev out
ip neigh add 192.168.101.2 lladdr 02:00:00:00:00:99 dev out nud permanent
