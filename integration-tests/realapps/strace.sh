# strace -f of a shell and what it starts: syscall names and results.
echo data >/tmp/strace-in
# Syscall names and results only: pids, addresses and alignment stripped;
# the trace goes to a file so the program's own output cannot interleave.
strace -f -qq -o /tmp/trace -e trace=openat,write,execve,exit_group \
	sh -c 'echo hi; /bin/true; cat /tmp/strace-in' >/dev/null
sed -E 's/^[0-9]+ +//; s/0x[0-9a-f]+/ADDR/g; s/\/\* [0-9]+ vars \*\//VARS/; s/si_pid=[0-9]+/si_pid=P/; s/ +/ /g' /tmp/trace |
	grep -v -e 'locale' -e 'gconv' | sort
