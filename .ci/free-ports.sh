# Sourced: free_ports N prints N distinct ports nobody uses, chosen by the kernel with all N bound
# at once. Random picks checked by connecting to them met ports in use as the local end of some
# process's outgoing connection (nobody listens there, yet a server cannot bind it), and ports
# asked for one at a time can be the same port twice.
free_ports() {
    python3 -c '
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
' "$1"
}
