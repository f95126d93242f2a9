# fsusage: what du, ls -s, fallocate and cp --sparse see of files the
# container writes (block counts, holes, preallocated ranges), and who owns
# /proc/self for a process that runs as another user (setpriv), which then
# lists its own /proc/self/fd.
set -eu
cd /var/tmp
rm -rf fsu && mkdir fsu && cd fsu
printf 'hello\n' >small
head -c 100000 /dev/zero | tr '\0' x >text
du -k small text
ls -s small text
truncate -s 1M sparse && printf data >>sparse
cp --sparse=always sparse sparse2
du -k sparse sparse2
fallocate -l 8M pre
fallocate --punch-hole -o 1M -l 2M pre
du -k pre
fallocate -d pre
du -k pre
sync && du -sk .
setpriv --reuid=1000 --regid=1000 --clear-groups sh -c \
	'stat -c "%u:%g %A %n" /proc/self/ /proc/self/status /proc/self/fd; ls /proc/self/fd | wc -l'
cd .. && rm -rf fsu
