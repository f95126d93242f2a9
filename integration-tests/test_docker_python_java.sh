#!/usr/bin/env bash
# docker_run_python_pytest_and_java: on a Debian 12 image with python3,
# python3-pytest and openjdk-17-jre-headless, `python3 -X faulthandler`
# (sigaltstack sized from AT_MINSIGSTKSZ), pytest on a small test file,
# `java -version` (/usr/bin/java found through /proc/self/exe) and a Java
# program with threads and a caught NullPointerException give the same
# results as under runc.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
docker_import_debian

IMAGE=visor-abi-apps
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/Main.java" <<'JAVA'
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class Main {
    static String maybeNull(int i) { return i < 0 ? "x" : null; }

    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            final int id = t;
            parts.add(pool.submit(() -> {
                long s = 0;
                for (int i = 0; i < 2000000; i++)
                    s += (i ^ id) % 7;
                return s;
            }));
        }
        long total = 0;
        for (Future<Long> f : parts)
            total += f.get();
        pool.shutdown();
        System.out.println("sum " + total);
        int caught = 0;
        for (int i = 0; i < 3; i++) {
            try {
                System.out.println(maybeNull(i).length());
            } catch (NullPointerException e) {
                caught++;
            }
        }
        System.out.println("caught " + caught + " NullPointerException");
    }
}
JAVA
cat >"$work/test_sample.py" <<'PY'
import subprocess
import threading


def test_arithmetic():
    assert sum(range(10)) == 45


def test_threads():
    out = []
    ts = [threading.Thread(target=out.append, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(out) == [0, 1, 2, 3]


def test_subprocess():
    assert subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout == "hi\n"


def test_tmp_path(tmp_path):
    (tmp_path / "f").write_text("data")
    assert (tmp_path / "f").read_text() == "data"
PY
cat >"$work/Dockerfile" <<'EOF'
FROM visor-debian AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
COPY Main.java /src/
RUN javac -d /app /src/Main.java

FROM visor-debian
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-pytest openjdk-17-jre-headless >/dev/null && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
COPY test_sample.py /app/
EOF
timeout 1800 docker build -q -t "$IMAGE" "$work" >"$work/build.log" 2>&1 ||
	skip "cannot build $IMAGE (no Debian mirror?): $(tail -3 "$work/build.log")"

run() { # runtime, command...
	local rt=$1
	shift
	timeout 300 docker run --rm --runtime="$rt" "$IMAGE" "$@" 2>&1
}
check() { # name, command...
	local name=$1 want got
	shift
	want=$(run runc "$@") || fail "$name fails under runc: $want"
	got=$(run "$DOCKER_RUNTIME" "$@") || fail "$name fails under visor: $got"
	echo "$name: $got"
	[ "$want" = "$got" ] || fail "$name: outputs differ: runc [$want] visor [$got]"
}

check faulthandler python3 -X faulthandler -c 'import faulthandler; print(faulthandler.is_enabled())'
# pytest (which enables faulthandler itself); the timing is left out.  Its
# output capture lives in unlinked temporary files: first on /dev/shm.
pytest_cmd='cd /app && python3 -m pytest -q -p no:cacheprovider test_sample.py | sed "s/ in [0-9.]*s.*//"'
check pytest-tmpfs sh -c "TMPDIR=/dev/shm; export TMPDIR; $pytest_cmd"

# Parts that wait on the Gofer-backed root file system (not this test's
# subject): an unlinked file stays usable (pytest's capture in /tmp), and
# files map MAP_SHARED (the JVM maps its class library, lib/modules).
waiting=""
if run "$DOCKER_RUNTIME" python3 -c '
import tempfile
f = tempfile.TemporaryFile(dir="/tmp"); f.write(b"x"); f.flush(); f.truncate(0)' >/dev/null; then
	check pytest sh -c "$pytest_cmd"
else
	waiting="pytest with /tmp on the root (unlinked files)"
fi
if run "$DOCKER_RUNTIME" python3 -c '
import mmap
f = open("/usr/lib/jvm/java-17-openjdk-amd64/lib/modules", "rb")
mmap.mmap(f.fileno(), 4096, mmap.MAP_SHARED, mmap.PROT_READ)' >/dev/null; then
	check java-version java -version
	check java-program java -cp /app Main
else
	waiting="$waiting${waiting:+; }java (MAP_SHARED of root files)"
fi
[ -z "$waiting" ] || skip "python3 -X faulthandler and pytest pass; waiting on the root file system: $waiting"
exit 0
