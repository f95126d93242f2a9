# users: the shadow tools and PAM as an image's entrypoint uses them: useradd,
# chpasswd, usermod, then, as that user, the set-user-ID passwd changing its
# own password (it reads and rewrites /etc/shadow as root) and su
# authenticating through the set-group-ID unix_chkpwd; runuser and setpriv.
set -eu
useradd -m -s /bin/bash alice
echo 'alice:old-Secret1' | chpasswd
usermod -aG adm alice
id alice
stat -c '%A %U %G %n' /usr/bin/passwd /usr/sbin/unix_chkpwd /etc/shadow
su alice -c 'printf "old-Secret1\nnew-Secret22\nnew-Secret22\n" | passwd' 2>&1 | tr -s ' ' | sed 's/: /:\n/g'
su alice -c 'echo new-Secret22 | su alice -c "id -un; id -u"' 2>&1 | sed 's/Password: //'
if su alice -c 'echo wrong | su alice -c true' 2>/dev/null; then echo "wrong password accepted"; else echo "wrong password refused"; fi
runuser -u alice -- sh -c 'echo "runuser: $(id -un) $HOME"'
setpriv --reuid=alice --regid=alice --init-groups id
setpriv --reuid=alice --regid=alice --init-groups sh -c 'grep -E "^(Uid|Gid|NoNewPrivs)" /proc/self/status'
userdel -r alice 2>&1
id alice 2>&1 || echo "alice gone"
